/** npm packages: the `package.json` of each directory under a `node_modules` directory. */
import type {FileFindings} from './package-record.js'

/** npm's name rule, loosely: an optional `@scope/` and a name, without slashes or spaces. */
const NAME = /^(?:@[^/\s@]+\/)?[^/\s@.][^/\s@]*$/

export function parseNpmPackage(text: string): FileFindings {
  let manifest: unknown
  try {
    manifest = JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch {
    return {packages: [], note: 'not valid JSON'}
  }
  const {name, version} = (manifest ?? {}) as {name?: unknown; version?: unknown}
  if (typeof name !== 'string' || !NAME.test(name)) {
    return {packages: [], note: 'no usable "name"'}
  }
  if (typeof version !== 'string' || version.trim() === '' || /\s/.test(version.trim())) {
    return {packages: [], note: 'no usable "version"'}
  }
  return {packages: [{type: 'npm', name, version: version.trim()}]}
}
