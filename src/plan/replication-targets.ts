/**
 * Where a release is replicated: the `replicate-to` lines (an OCIR region key or id, or a registry
 * host[:port]) and the `replicate-auth` credentials of the registry hosts. Pure: the YAML arrives
 * parsed, the primary registry and the test stand-ins as values.
 */
import {InputError} from '../errors.js'
import type {RegistryTarget} from '../model/action-config.js'
import type {OciRegion} from '../model/oci.js'
import {isOcirHost, ocirHost, regionFromOcirHost, resolveRegion} from './region.js'
import {isLoopbackHost} from './registry-target.js'

/** One further registry the release is copied to. */
export interface ReplicaTarget {
  /** How the run names it (outputs, summary, logs): the registry host, lowercase. */
  name: string
  /**
   * `region`: an OCIR region of the run's tenancy: the same namespace and the same credentials.
   * `registry`: any v2 registry, with its own credentials from `replicate-auth` (or none).
   */
  kind: 'region' | 'registry'
  /** The host[:port] the action connects to: the name, unless a test stand-in replaces it. */
  address: string
  /** Plain HTTP (a loopback address, as Docker does). */
  insecure: boolean
  /** A region target's OCI region, when known (its Artifacts endpoint). */
  region?: OciRegion
}

/** Login for a registry target, from `replicate-auth`. */
export interface ReplicaCredentials {
  username: string
  password: string
}

const HOST =
  /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/

export interface ReplicateToContext {
  /** The run's own registry. */
  primary: RegistryTarget
  /** OCI API credentials were given: a private endpoint or proxy in front of OCIR is OCIR too. */
  ociCredentials: boolean
  /** Test-only: OCIR host → the loopback host[:port] that stands in for it. */
  standIns?: Readonly<Record<string, string>>
}

/**
 * The `replicate-to` lines, one target each; blank lines and `#` comments are skipped. A line
 * without a dot, a colon or a bracket (other than `localhost`) is a region key or id; anything
 * else is a registry host, and an OCIR host among them is a region target as well.
 */
export function parseReplicateTo(text: string, context: ReplicateToContext): ReplicaTarget[] {
  const targets: ReplicaTarget[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s#.*$/, '').trim()
    if (!line || line.startsWith('#')) continue
    const target = parseLine(line, context)
    const primary = context.primary.host
    if (target.name === primary)
      throw new InputError(
        'replicate-to',
        line,
        `${target.name} is the run's own registry, which gets the release anyway: remove the line`,
      )
    if (targets.some((other) => other.name === target.name))
      throw new InputError(
        'replicate-to',
        line,
        `${target.name} is listed twice: keep one line per target`,
      )
    targets.push(target)
  }
  return targets
}

function parseLine(line: string, context: ReplicateToContext): ReplicaTarget {
  const bareWord = !/[.:[\]/]/.test(line) && line.toLowerCase() !== 'localhost'
  if (bareWord) {
    const region = resolveRegion(line, 'replicate-to')
    return regionTarget(line, ocirHost(region), region, context)
  }
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(line)
  if (scheme)
    throw new InputError(
      'replicate-to',
      line,
      `remove the scheme: use '${line.slice(scheme[0].length).replace(/\/.*$/, '')}' (loopback hosts use HTTP automatically)`,
    )
  const slash = line.indexOf('/')
  if (slash >= 0)
    throw new InputError(
      'replicate-to',
      line,
      `a target is a registry host[:port] or an OCIR region: use '${line.slice(0, slash)}'; the images keep the run's repository paths (namespace/name) there`,
    )
  if (!HOST.test(line))
    throw new InputError(
      'replicate-to',
      line,
      'use an OCIR region key or id (fra, eu-frankfurt-1) or a registry host with an optional port (registry.example.com:5000)',
    )
  const host = line.toLowerCase()
  if (isOcirHost(host)) return regionTarget(line, host, regionFromOcirHost(host), context)
  return withAddress({name: host, kind: 'registry', address: host, insecure: false}, context)
}

function regionTarget(
  line: string,
  host: string,
  region: OciRegion | undefined,
  context: ReplicateToContext,
): ReplicaTarget {
  if (!context.primary.isOcir && !context.ociCredentials)
    throw new InputError(
      'replicate-to',
      line,
      `an OCIR region takes the run's namespace and credentials, but the run's registry ${context.primary.host} is not OCIR: push to OCIR (region: or an OCIR registry:), or list the registry host with its credentials in replicate-auth`,
    )
  return withAddress({name: host, kind: 'region', address: host, insecure: false, region}, context)
}

function withAddress(target: ReplicaTarget, context: ReplicateToContext): ReplicaTarget {
  const address = context.standIns?.[target.name] ?? target.address
  return {...target, address, insecure: isLoopbackHost(address)}
}

/**
 * The `replicate-auth` mapping, parsed from YAML: host → {username, password}. Values are checked
 * here; the passwords were masked by whoever read the input. A host that is no registry target is
 * a warning (a region target uses the run's own login), not an error.
 */
export function parseReplicateAuth(
  parsed: unknown,
  targets: readonly ReplicaTarget[],
): {credentials: Record<string, ReplicaCredentials>; warnings: string[]} {
  const credentials: Record<string, ReplicaCredentials> = {}
  const warnings: string[] = []
  if (parsed === undefined || parsed === null || parsed === '') return {credentials, warnings}
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InputError(
      'replicate-auth',
      '(not shown: it may hold passwords)',
      'write a YAML mapping of registry hosts, each with username and password, e.g. "registry.example.com: {username: ci, password: ${{ secrets.REGISTRY_PASSWORD }}}"',
      "input 'replicate-auth' is not a YAML mapping",
    )
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const host = key.trim().toLowerCase()
    credentials[host] = checkEntry(host, value)
    const target = targets.find((candidate) => candidate.name === host)
    if (!target)
      warnings.push(
        `replicate-auth has credentials for ${host}, which is not in replicate-to: they are not used`,
      )
    else if (target.kind === 'region')
      warnings.push(
        `replicate-auth has credentials for ${host}, an OCIR region: it uses the run's own login, so they are not used`,
      )
  }
  return {credentials, warnings}
}

function checkEntry(host: string, value: unknown): ReplicaCredentials {
  const fix = `give ${host} a mapping with username and password, e.g. "${host}: {username: ci, password: \${{ secrets.REGISTRY_PASSWORD }}}"`
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InputError('replicate-auth', host, fix, `replicate-auth: ${host} is not a mapping`)
  const entry = value as Record<string, unknown>
  const unknown = Object.keys(entry).filter((key) => key !== 'username' && key !== 'password')
  if (unknown.length > 0)
    throw new InputError(
      'replicate-auth',
      host,
      `${fix}; nothing else is read`,
      `replicate-auth: ${host} has unknown keys ${unknown.map((key) => `'${key}'`).join(', ')}`,
    )
  const field = (name: 'username' | 'password'): string => {
    const given = entry[name]
    const text = typeof given === 'number' ? String(given) : given
    if (typeof text !== 'string' || !text.trim())
      throw new InputError('replicate-auth', host, fix, `replicate-auth: ${host} has no ${name}`)
    return name === 'password' ? text : text.trim()
  }
  return {username: field('username'), password: field('password')}
}

/**
 * The test stand-ins (OCIR_PUSH_REGION_HOSTS): a JSON object, OCIR host → loopback host[:port].
 * Only loopback addresses are taken: the variable can never send credentials elsewhere.
 */
export function parseStandIns(value: string | undefined): Record<string, string> {
  if (!value?.trim()) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    parsed = undefined
  }
  const entries = parsed && typeof parsed === 'object' ? Object.entries(parsed) : undefined
  if (
    !entries ||
    Array.isArray(parsed) ||
    entries.some(([, address]) => typeof address !== 'string' || !isLoopbackHost(address))
  )
    throw new InputError(
      'OCIR_PUSH_REGION_HOSTS',
      value,
      'a test-only variable: a JSON object of OCIR hosts to loopback host:port stand-ins, e.g. {"fra.ocir.io": "127.0.0.1:5002"}; unset it outside tests',
    )
  return Object.fromEntries(
    entries.map(([host, address]) => [host.toLowerCase(), String(address).toLowerCase()]),
  )
}
