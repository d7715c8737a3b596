import {createHash} from 'node:crypto'
import {lstat, open, readdir, readlink} from 'node:fs/promises'
import {join} from 'node:path'
import {
  CheckoutFileError,
  checkCheckoutPath,
  MAX_DOCKERIGNORE_BYTES,
  READ_FLAGS,
  readCheckoutFile,
  type CheckoutBounds,
} from '../config/checkout-files.js'
import {mapWithLimit} from '../map-with-limit.js'
import {
  isIgnored,
  mayIncludeBelow,
  parseDockerignore,
  type DockerignoreRules,
} from '../plan/dockerignore.js'

export interface ContextDigestOptions {
  /**
   * The Dockerfile's path. A `<Dockerfile>.dockerignore` next to it replaces the context's
   * `.dockerignore`, as BuildKit does.
   */
  dockerfile?: string
  /** Where the `.dockerignore` files must resolve (the workspace, out of RUNNER_TEMP). */
  bounds?: CheckoutBounds
}

export interface ContextDigest {
  /** `sha256:…` over every entry docker would send. */
  digest: string
  /** Entries that are not directories (files, symlinks, others). */
  files: number
  /** `.dockerignore` lines docker refuses; a key over this context cannot be trusted then. */
  problems: string[]
}

/** How many files are read at once. */
const PARALLEL_READS = 16

interface Entry {
  path: string
  line: string
}

/**
 * A digest over the context's files after .dockerignore: each file's path, mode (permission bits
 * as lstat gives them, which is what docker sends from Linux) and content; symlinks as their link
 * text, directories as entries. Sorted, so the order of readdir does not matter. Owners and
 * modification times are left out: a fresh checkout changes them and COPY does not keep owners.
 *
 * The Dockerfile and .dockerignore count like any other file unless .dockerignore leaves them
 * out (docker still sends them then, but COPY cannot see them); the caller hashes the Dockerfile
 * on its own as well.
 */
export async function contextDigest(
  contextDir: string,
  options: ContextDigestOptions = {},
): Promise<ContextDigest> {
  const rules = readIgnoreRules(contextDir, options)
  const found: {path: string; mode: number; kind: 'file' | 'link' | 'dir' | 'other'}[] = []
  await walk(contextDir, '', rules, found)
  const entries = await mapWithLimit(found, PARALLEL_READS, async (entry): Promise<Entry> => {
    const absolute = join(contextDir, entry.path)
    const mode = (entry.mode & 0o7777).toString(8)
    const name = JSON.stringify(entry.path)
    switch (entry.kind) {
      case 'file':
        return {path: entry.path, line: `file ${name} ${mode} ${await hashFile(absolute)}`}
      case 'link':
        return {path: entry.path, line: `link ${name} ${JSON.stringify(await readlink(absolute))}`}
      case 'dir':
        return {path: entry.path, line: `dir ${name} ${mode}`}
      default:
        return {path: entry.path, line: `other ${name} ${entry.mode.toString(8)}`}
    }
  })
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const hash = createHash('sha256')
  for (const entry of entries) hash.update(`${entry.line}\n`)
  return {
    digest: `sha256:${hash.digest('hex')}`,
    files: found.filter((entry) => entry.kind !== 'dir').length,
    problems: rules.problems,
  }
}

/**
 * The rules of the first ignore file there is. One that is not a regular file of the checkout,
 * or is larger than 1 MiB, is refused (CheckoutFileError), never read.
 */
function readIgnoreRules(contextDir: string, options: ContextDigestOptions): DockerignoreRules {
  const candidates = [
    ...(options.dockerfile ? [`${options.dockerfile}.dockerignore`] : []),
    join(contextDir, '.dockerignore'),
  ]
  for (const candidate of candidates) {
    if (checkCheckoutPath(candidate, options.bounds).status === 'missing') continue
    return parseDockerignore(
      readCheckoutFile(candidate, {
        what: '.dockerignore',
        maxBytes: MAX_DOCKERIGNORE_BYTES,
        bounds: options.bounds,
      }),
    )
  }
  return parseDockerignore('')
}

/**
 * Collects what docker sends below `dir`. Returns whether anything below it is sent: an ignored
 * directory still counts as an entry when an exception brings a file inside it back.
 */
async function walk(
  root: string,
  dir: string,
  rules: DockerignoreRules,
  found: {path: string; mode: number; kind: 'file' | 'link' | 'dir' | 'other'}[],
): Promise<boolean> {
  let sent = false
  for (const dirent of await readdir(join(root, dir), {withFileTypes: true})) {
    const path = dir ? `${dir}/${dirent.name}` : dirent.name
    const ignored = isIgnored(rules, path)
    const stats = await lstat(join(root, path))
    if (stats.isDirectory()) {
      if (ignored && !mayIncludeBelow(rules, path)) continue
      const below = await walk(root, path, rules, found)
      if (!ignored || below) {
        found.push({path, mode: stats.mode, kind: 'dir'})
        sent = true
      }
      continue
    }
    if (ignored) continue
    const kind = stats.isFile() ? 'file' : stats.isSymbolicLink() ? 'link' : 'other'
    found.push({path, mode: stats.mode, kind})
    sent = true
  }
  return sent
}

/**
 * sha256 of a file's bytes, read in chunks: a big file is never held whole. Opened without
 * following a link and without blocking, and checked to be a regular file once open: a pipe
 * swapped in after the walk's lstat fails the digest instead of hanging it.
 */
async function hashFile(path: string): Promise<string> {
  const handle = await open(path, READ_FLAGS)
  try {
    if (!(await handle.stat()).isFile())
      throw new CheckoutFileError(`${path} in the build context is no longer a regular file`)
    const hash = createHash('sha256')
    const buffer = Buffer.alloc(256 * 1024)
    for (;;) {
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
    }
    return hash.digest('hex')
  } finally {
    await handle.close()
  }
}
