/** OCI regions and the OCIR host of each, from the table generated out of oci-common. */
import {InputError} from '../errors.js'
import type {OciRegion} from '../model/oci.js'
import {OCI_REGIONS, type OciRegionRow} from './oci-regions.generated.js'

/** The commercial realm, the only one with `*.ocir.io` hosts. */
const COMMERCIAL_REALM_DOMAIN = 'oraclecloud.com'

/**
 * Resolves a region key (`iad`) or identifier (`us-ashburn-1`), in any case and with surrounding
 * blanks, to the region. An unknown value is an InputError that suggests the closest known names.
 */
export function resolveRegion(
  input: string,
  inputName = 'region',
  table: readonly OciRegionRow[] = OCI_REGIONS,
): OciRegion {
  const wanted = input.trim().toLowerCase()
  if (!wanted) {
    throw new InputError(
      inputName,
      input,
      'set a region key (iad) or identifier (us-ashburn-1); it falls back to OCI_CLI_REGION',
    )
  }
  const row = findRegion(wanted, table)
  if (row) return {...row}
  const suggestions = closestNames(wanted, table, 3)
  throw new InputError(
    inputName,
    input,
    `it is neither a region key nor a region identifier known to oci-common. ` +
      `Closest known: ${suggestions.join(', ')}. ` +
      `For a region newer than this action, set registry: to its OCIR host instead`,
  )
}

/**
 * The OCIR host of a region. `<key>.ocir.io` exists only in the commercial realm (oc1); every realm
 * has the long form `ocir.<region id>.oci.<realm domain>`.
 */
export function ocirHost(region: {key: string; id: string; realmDomain: string}): string {
  return region.realmDomain === COMMERCIAL_REALM_DOMAIN
    ? `${region.key}.ocir.io`
    : `ocir.${region.id}.oci.${region.realmDomain}`
}

/** `ocir.<region>.oci.<realm domain>` (any realm, including ones newer than the table). */
const LONG_FORM = /^ocir\.([a-z0-9]+(?:-[a-z0-9]+)*)\.oci\.([a-z0-9-]+(?:\.[a-z0-9-]+)+)$/
/** `<key or id>.ocir.io`. */
const SHORT_FORM = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.ocir\.io$/

/** True for OCIR host names: `*.ocir.io` and `ocir.<region>.oci.<realm domain>`; a port is ignored. */
export function isOcirHost(host: string): boolean {
  const name = hostName(host)
  return SHORT_FORM.test(name) || LONG_FORM.test(name)
}

/**
 * The region of an OCIR host, best effort: `iad.ocir.io`, `us-ashburn-1.ocir.io` and
 * `ocir.us-ashburn-1.oci.oraclecloud.com` all give us-ashburn-1. Undefined when the host is not an
 * OCIR host or names a region the table does not know.
 */
export function regionFromOcirHost(
  host: string,
  table: readonly OciRegionRow[] = OCI_REGIONS,
): OciRegion | undefined {
  const name = hostName(host)
  const short = SHORT_FORM.exec(name)
  if (short) {
    const row = findRegion(short[1], table)
    return row ? {...row} : undefined
  }
  const long = LONG_FORM.exec(name)
  if (long) {
    const row = table.find((candidate) => candidate.id === long[1])
    // The host's realm domain must agree; ocir.us-ashburn-1.oci.oraclegovcloud.com is not Ashburn.
    return row && row.realmDomain === long[2] ? {...row} : undefined
  }
  return undefined
}

function findRegion(wanted: string, table: readonly OciRegionRow[]): OciRegionRow | undefined {
  return table.find((row) => row.key === wanted || row.id === wanted)
}

/** Lowercase host without the port (also for a bracketed IPv6 literal). */
function hostName(host: string): string {
  const trimmed = host.trim().toLowerCase()
  if (trimmed.startsWith('[')) return trimmed.slice(0, trimmed.indexOf(']') + 1)
  const colon = trimmed.lastIndexOf(':')
  return colon >= 0 && trimmed.indexOf(':') === colon ? trimmed.slice(0, colon) : trimmed
}

/** The `count` known keys and identifiers closest to `wanted` by edit distance. */
function closestNames(wanted: string, table: readonly OciRegionRow[], count: number): string[] {
  const names = new Set(table.flatMap((row) => [row.key, row.id]))
  return [...names]
    .map((name) => ({name, distance: editDistance(wanted, name)}))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, count)
    .map(({name}) => name)
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, substitution)
    }
    previous = current
  }
  return previous[b.length]
}
