/**
 * One layer's entries, read in order: whiteouts applied, the files of interest read (capped) and
 * cataloged, Go executables scanned for their build information, and everything else only noted
 * as replacing what lower layers had at its path. Entries are never written anywhere and links
 * are never followed: a symlinked package database is not read.
 */
import {catalogerFor, OS_RELEASE_PATHS, type Cataloger} from './catalogers.js'
import {captureBuildInfo, goPackages, MAX_SCANNED_FILE, parseBuildInfo} from './go-buildinfo.js'
import type {LayeredFiles} from './layered-files.js'
import type {FileFindings} from './package-record.js'
import {readCapped, type TarEntry} from './tar-entries.js'

const WHITEOUT = '.wh.'
const OPAQUE = '.wh..wh..opq'

/**
 * An entry's path, relative to the root and without `.` parts or trailing slashes; undefined for
 * a path that is absolute or climbs with `..` (no layer tool writes one: it is hostile or broken).
 */
export function normalizeEntryPath(path: string): string | undefined {
  const relative = path.replace(/^(?:\.\/)+/, '')
  if (relative.startsWith('/')) return undefined
  const parts = relative.split('/').filter((part) => part !== '' && part !== '.')
  return parts.includes('..') ? undefined : parts.join('/')
}

async function readCataloged(entry: TarEntry, cataloger: Cataloger): Promise<FileFindings> {
  if (entry.size > cataloger.cap && !cataloger.readsPrefix) {
    return {packages: [], note: `${entry.size} bytes, over the ${cataloger.cap} read: not read`}
  }
  const {bytes} = await readCapped(entry.body, cataloger.cap)
  return cataloger.parse(bytes.toString('utf8'))
}

const isExecutable = (entry: TarEntry): boolean =>
  (entry.mode & 0o111) !== 0 && entry.size >= 64 && entry.size <= MAX_SCANNED_FILE

async function catalogFile(
  entry: TarEntry,
  path: string,
  files: LayeredFiles<FileFindings>,
): Promise<void> {
  const cataloger = catalogerFor(path)
  if (cataloger) {
    files.keep(path, await readCataloged(entry, cataloger))
    return
  }
  if (isExecutable(entry)) {
    const block = await captureBuildInfo(entry.body)
    const found = goPackages(block && parseBuildInfo(block))
    if (found.packages.length > 0 || found.note) {
      files.keep(path, found)
      return
    }
  }
  files.entry(path, false)
}

function catalogNonFile(
  entry: TarEntry,
  path: string,
  files: LayeredFiles<FileFindings>,
  note: (text: string) => void,
): void {
  const cataloged = catalogerFor(path) !== undefined
  if (entry.type === 'hardlink') {
    const target = normalizeEntryPath(entry.linkname)
    const found = target === undefined ? undefined : files.find(target)
    if (found) return files.keep(path, found)
    if (cataloged) note(`/${path} is a hard link to ${entry.linkname}, which was not read: skipped`)
  } else if (entry.type === 'symlink' && cataloged && !OS_RELEASE_PATHS.some((p) => p === path)) {
    note(`/${path} is a symbolic link to ${entry.linkname}: not followed, skipped`)
  }
  files.entry(path, entry.type === 'directory')
}

/**
 * Applies one layer's entries to `files` (and ends the layer). `note` gets what was skipped in it.
 */
export async function catalogLayer(
  entries: AsyncIterable<TarEntry>,
  files: LayeredFiles<FileFindings>,
  note: (text: string) => void,
): Promise<void> {
  let hostile = 0
  for await (const entry of entries) {
    const path = normalizeEntryPath(entry.path)
    if (path === undefined) {
      hostile++
      continue
    }
    if (path === '') continue
    const slash = path.lastIndexOf('/')
    const directory = slash < 0 ? '' : path.slice(0, slash)
    const base = path.slice(slash + 1)
    if (base === OPAQUE) files.opaque(directory)
    else if (base.startsWith(WHITEOUT)) {
      // `.wh..wh.<x>` names are aufs' own bookkeeping, not deletions.
      const name = base.slice(WHITEOUT.length)
      if (name !== '' && !name.startsWith(WHITEOUT)) {
        files.whiteout(directory ? `${directory}/${name}` : name)
      }
    } else if (entry.type === 'file') await catalogFile(entry, path, files)
    else catalogNonFile(entry, path, files, note)
  }
  files.endLayer()
  if (hostile > 0) note(`${hostile} entries with an absolute path or a '..' part skipped`)
}
