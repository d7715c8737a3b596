import type {FailureKind} from '../errors.js'

/** The registry answers worth a hint when a push (not a login) fails. */
const PUSH_REFUSALS =
  /tenant with namespace .* not found|anonymous users are only allowed read access|requested access to the resource is denied|unauthorized|authentication required/i

/** A hint for a failed push when the registry refused it; undefined for any other failure. */
export function pushRefusalHint(
  message: string,
  registry: {host: string; isOcir: boolean},
  username: string,
): string | undefined {
  return PUSH_REFUSALS.test(message) ? registryHint(message, registry, username) : undefined
}

/**
 * Turns what a registry says when it refuses a login or a push into the next step to take.
 * The texts are the ones users actually see from OCIR and distribution registries.
 */
export function registryHint(
  message: string,
  registry: {host: string; isOcir: boolean},
  username: string,
): string {
  const text = message.toLowerCase()
  const ocirUser = `<namespace>/<user>, <namespace>/oracleidentitycloudservice/<user> (federated) or <namespace>/<identity-domain>/<user>`
  if (/tenant with namespace .* not found/.test(text)) {
    return `the namespace in the username is not your tenancy namespace: use the Object Storage namespace shown under Tenancy details (it is not the tenancy name), or leave namespace empty and give OCI API credentials to look it up`
  }
  if (text.includes('anonymous users are only allowed read access')) {
    return `the registry treated the push as anonymous: set username and auth-token (for OCIR the username is ${ocirUser})`
  }
  if (text.includes('requested access to the resource is denied')) {
    return registry.isOcir
      ? `the user '${username}' may log in but not push here: give its group an IAM policy such as "Allow group <group> to manage repos in tenancy" (or in the repository's compartment), and check the repository name`
      : `the user '${username}' may log in but not push to this repository: check its permissions on ${registry.host}`
  }
  if (
    /unauthorized|authentication required|401|incorrect username or password|login attempt .* failed/.test(
      text,
    )
  ) {
    return registry.isOcir
      ? `check the username format (${ocirUser}; you gave '${username}') and that auth-token is an OCI auth token (User settings > Auth tokens), not the console password or an API key`
      : `check username '${username}' and the password or token in auth-token`
  }
  return registry.isOcir
    ? `check region/registry, the username format (${ocirUser}) and the auth token`
    : `check the registry address, username and password`
}

/** What a failed login came to, once its retries were spent. */
export interface LoginFailure {
  kind: FailureKind
  /** What the tool or the registry said. */
  detail: string
  /** Attempts made, the first one included. */
  attempts: number
  /** The HTTP status the registry answered, when known. */
  status?: number
}

/**
 * The next step after a failed login, by what happened: refused credentials get the username and
 * token hints; a registry that kept failing (5xx, 429, dropped connections) is not the user's
 * fault; an address nobody answers at points at the registry or region input.
 */
export function loginHint(
  failure: LoginFailure,
  registry: {host: string; isOcir: boolean},
  username: string,
): string {
  const input = registry.isOcir ? 'region (or registry)' : 'registry'
  switch (failure.kind) {
    case 'credentials':
      return registryHint(failure.detail, registry, username)
    case 'transient': {
      const tries = `after ${failure.attempts} attempt${failure.attempts === 1 ? '' : 's'}`
      return `${registry.host} ${answerOf(failure)} ${tries}: the registry is failing, not your credentials; re-run later or raise retries`
    }
    case 'unreachable':
      return `${registry.host} could not be reached: check the address in the ${input} input and that the runner can reach it`
    default:
      return registryHint(failure.detail, registry, username)
  }
}

function answerOf(failure: LoginFailure): string {
  if (failure.status !== undefined) return `answered HTTP ${failure.status}`
  if (/\bEOF\b|reset|closed|hang up|broken pipe/i.test(failure.detail))
    return 'dropped the connection'
  if (/time-?out|timed out|deadline/i.test(failure.detail)) return 'timed out'
  return 'kept failing'
}
