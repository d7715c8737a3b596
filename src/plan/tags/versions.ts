/** Version grammars the tag rules understand: strict SemVer 2.0.0 and PEP 440. */

export interface Semver {
  major: number
  minor: number
  patch: number
  prerelease: string[]
  build: string[]
  /** `major.minor.patch[-prerelease]`, without a leading `v` and without build metadata. */
  version: string
  /** The input as given (trimmed), e.g. `v1.2.3`. */
  raw: string
}

const NUMERIC = '0|[1-9]\\d*'
const PRERELEASE_ID = `(?:${NUMERIC}|\\d*[A-Za-z-][0-9A-Za-z-]*)`
// SemVer 2.0.0 with the optional leading `v` node-semver accepts in strict mode.
const SEMVER = new RegExp(
  `^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?` +
    `(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
)

/** Parses a strict semver (`1.2.3`, `v1.2.3-rc.1+build.5`); undefined when it is not one. */
export function parseSemver(input: string): Semver | undefined {
  const raw = input.trim()
  const match = SEMVER.exec(raw)
  if (!match) return undefined
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number)
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined
  const prerelease = match[4] ? match[4].split('.') : []
  const build = match[5] ? match[5].split('.') : []
  const version = `${major}.${minor}.${patch}${prerelease.length ? `-${prerelease.join('.')}` : ''}`
  return {major, minor, patch, prerelease, build, version, raw}
}

function compareIdentifiers(left: string, right: string): number {
  const leftNumeric = /^\d+$/.test(left)
  const rightNumeric = /^\d+$/.test(right)
  if (leftNumeric && rightNumeric) return Math.sign(Number(left) - Number(right))
  if (leftNumeric) return -1
  if (rightNumeric) return 1
  return left < right ? -1 : left > right ? 1 : 0
}

/** SemVer precedence: negative when `left` is lower, 0 when equal (build metadata ignored). */
export function compareSemver(left: Semver, right: Semver): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (left[key] !== right[key]) return Math.sign(left[key] - right[key])
  }
  if (!left.prerelease.length || !right.prerelease.length) {
    return Math.sign(right.prerelease.length - left.prerelease.length) // a prerelease sorts first
  }
  for (let index = 0; index < Math.max(left.prerelease.length, right.prerelease.length); index++) {
    if (index >= left.prerelease.length) return -1
    if (index >= right.prerelease.length) return 1
    const order = compareIdentifiers(left.prerelease[index], right.prerelease[index])
    if (order !== 0) return order
  }
  return 0
}

export interface Pep440 {
  epoch: number
  release: number[]
  /** `a`, `b` or `rc` with its number. */
  pre?: {label: 'a' | 'b' | 'rc'; number: number}
  post?: number
  dev?: number
  /** Normalised local label, e.g. `ubuntu.1`. */
  local?: string
  /** The normalised form (PEP 440 "Normalization"), without a leading `v`. */
  version: string
  raw: string
  /** A pre-release or a development release. */
  isPrerelease: boolean
  isPostrelease: boolean
  isDevrelease: boolean
}

// The permissive form from PEP 440's appendix ("Parsing version strings with regular expressions").
const PEP440 =
  /^v?(?:(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?(\d+)?)?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d+)?)?(?:[-_.]?(dev)[-_.]?(\d+)?)?)(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$/i

const PRE_LABELS: Record<string, 'a' | 'b' | 'rc'> = {
  a: 'a',
  alpha: 'a',
  b: 'b',
  beta: 'b',
  c: 'rc',
  rc: 'rc',
  pre: 'rc',
  preview: 'rc',
}

/** Parses and normalises a PEP 440 version; undefined when it does not conform. */
export function parsePep440(input: string): Pep440 | undefined {
  const raw = input.trim()
  const match = PEP440.exec(raw)
  if (!match) return undefined
  const [, epochText, releaseText, preLabel, preNumber, postImplicit, postLabel, postNumber] = match
  const [devLabel, devNumber, localText] = [match[8], match[9], match[10]]
  const epoch = Number(epochText ?? 0)
  const release = releaseText.split('.').map(Number)
  const pre = preLabel
    ? {label: PRE_LABELS[preLabel.toLowerCase()], number: Number(preNumber ?? 0)}
    : undefined
  const post =
    postImplicit !== undefined
      ? Number(postImplicit)
      : postLabel
        ? Number(postNumber ?? 0)
        : undefined
  const dev = devLabel ? Number(devNumber ?? 0) : undefined
  const local = localText?.toLowerCase().replace(/[-_]/g, '.')
  let version = `${epoch ? `${epoch}!` : ''}${release.join('.')}`
  if (pre) version += `${pre.label}${pre.number}`
  if (post !== undefined) version += `.post${post}`
  if (dev !== undefined) version += `.dev${dev}`
  if (local) version += `+${local}`
  return {
    epoch,
    release,
    pre,
    post,
    dev,
    local,
    version,
    raw,
    isPrerelease: pre !== undefined || dev !== undefined,
    isPostrelease: post !== undefined,
    isDevrelease: dev !== undefined,
  }
}

/** True when the text is a semver or PEP 440 pre-release (or dev release), `v` prefix allowed. */
export function isPrereleaseVersion(text: string): boolean {
  const semver = parseSemver(text)
  if (semver) return semver.prerelease.length > 0
  return parsePep440(text)?.isPrerelease ?? false
}
