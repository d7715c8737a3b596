/**
 * Which files of an image the SBOM reads, and with what: each cataloger names the paths it reads,
 * how much of a file it reads at most, and how it turns the text into packages. Paths are
 * normalised and relative to the root.
 */
import {parseApkInstalled} from './apk.js'
import {parseDpkgStatus} from './dpkg.js'
import {parseNpmPackage} from './npm.js'
import {parseOsRelease} from './os-release.js'
import type {FileFindings} from './package-record.js'
import {parsePythonMetadata} from './python.js'

export interface Cataloger {
  /** Bytes read at most. */
  cap: number
  /** Whether the first `cap` bytes of a bigger file are still worth reading (headers come first). */
  readsPrefix: boolean
  parse(text: string): FileFindings
}

const MiB = 1 << 20

const DPKG_STATUS: Cataloger = {
  cap: 16 * MiB,
  readsPrefix: false,
  parse: (text) => parseDpkgStatus(text, true),
}
const DPKG_STATUS_D: Cataloger = {
  cap: 16 * MiB,
  readsPrefix: false,
  parse: (text) => parseDpkgStatus(text, false),
}
const APK_INSTALLED: Cataloger = {cap: 16 * MiB, readsPrefix: false, parse: parseApkInstalled}
const NPM_PACKAGE: Cataloger = {cap: MiB, readsPrefix: false, parse: parseNpmPackage}
const PYTHON_METADATA: Cataloger = {cap: MiB, readsPrefix: true, parse: parsePythonMetadata}
const OS_RELEASE: Cataloger = {cap: 64 << 10, readsPrefix: false, parse: parseOsRelease}

/** os-release(5): /etc/os-release, else /usr/lib/os-release (often a link to it). */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const

/** `<dir>/node_modules/<name>/package.json` and `<dir>/node_modules/@<scope>/<name>/package.json`. */
const NPM_PATH = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/@.][^/]*\/package\.json$/
const PYTHON_PATH = /(?:^|\/)[^/]+\.dist-info\/METADATA$/
/** status.d holds a file per package, and (distroless) an `.md5sums` file beside each. */
const DPKG_STATUS_D_PATH = /^var\/lib\/dpkg\/status\.d\/[^/]+$/

export function catalogerFor(path: string): Cataloger | undefined {
  if (path === 'var/lib/dpkg/status') return DPKG_STATUS
  if (DPKG_STATUS_D_PATH.test(path) && !path.endsWith('.md5sums')) return DPKG_STATUS_D
  if (path === 'lib/apk/db/installed') return APK_INSTALLED
  if ((OS_RELEASE_PATHS as readonly string[]).includes(path)) return OS_RELEASE
  if (NPM_PATH.test(path)) return NPM_PACKAGE
  if (PYTHON_PATH.test(path)) return PYTHON_METADATA
  return undefined
}
