/** A Kubernetes image pull Secret for the registry login, one YAML document per namespace. */
import {InputError} from '../errors.js'
import {OCIR_BEARER_USERNAME} from '../plan/username.js'

export interface PullSecretRequest {
  /** Registry host[:port], the key under `auths`. */
  host: string
  username: string
  password: string
  /** Secret name (a DNS subdomain). */
  name: string
  /** Kubernetes namespaces (DNS labels); one document each. */
  namespaces: readonly string[]
}

/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
/** RFC 1123 subdomain: what Kubernetes accepts as a Secret name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/**
 * `kubectl apply -f`-ready YAML: a `kubernetes.io/dockerconfigjson` Secret per namespace whose
 * `.dockerconfigjson` is `{"auths":{host:{username,password,auth}}}`, base64-encoded. The result
 * holds the password: write it with mode 0600.
 */
export function pullSecretManifest(request: PullSecretRequest): string {
  const {host, username, password, name} = request
  if (!host) throw new InputError('registry', host, 'the pull secret needs the registry host')
  if (!username || !password) {
    throw new InputError(
      'pull-secret',
      '',
      'a pull secret needs a registry login: set username and auth-token (or OCI API credentials)',
    )
  }
  if (username === OCIR_BEARER_USERNAME) {
    // The token from a token-free login expires within minutes; a cluster would soon fail to pull.
    throw new InputError(
      'pull-secret',
      '',
      'a pull secret needs a lasting login, but this run logs in with a short-lived token ' +
        '(BEARER_TOKEN): set username and auth-token for the pull secret',
    )
  }
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new InputError(
      'pull-secret-name',
      name,
      'use a Kubernetes object name: lowercase letters, digits, - and ., at most 253 characters',
    )
  }
  const namespaces = request.namespaces
  if (namespaces.length === 0) {
    throw new InputError('pull-secret-namespaces', '', 'list at least one namespace, e.g. default')
  }
  const seen = new Set<string>()
  for (const namespace of namespaces) {
    if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
      throw new InputError(
        'pull-secret-namespaces',
        namespace,
        'a Kubernetes namespace is lowercase letters, digits and -, at most 63 characters',
      )
    }
    if (seen.has(namespace)) {
      throw new InputError('pull-secret-namespaces', namespace, 'it is listed twice; list it once')
    }
    seen.add(namespace)
  }

  const dockerConfig = JSON.stringify({
    auths: {[host]: {username, password, auth: base64(`${username}:${password}`)}},
  })
  const encoded = base64(dockerConfig)
  // Scalars are written as JSON strings, which YAML reads as double-quoted strings: a namespace
  // called `yes` or `null` stays a string for every YAML parser.
  return namespaces
    .map((namespace) =>
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        `  name: ${JSON.stringify(name)}`,
        `  namespace: ${JSON.stringify(namespace)}`,
        'type: kubernetes.io/dockerconfigjson',
        'data:',
        `  .dockerconfigjson: ${encoded}`,
        '',
      ].join('\n'),
    )
    .join('---\n')
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64')
}
