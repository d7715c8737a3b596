/**
 * Files of the checkout, which the job may not trust: a Dockerfile, context or `.dockerignore`
 * can be a symbolic link to anywhere (a key in the home directory, our login in RUNNER_TEMP), a
 * named pipe that blocks whoever opens it, or a device that never ends. Every path is resolved
 * (realpath) and must stay in the workspace and out of RUNNER_TEMP; only regular files are read,
 * opened so that a pipe cannot block, and only up to a size cap. Messages name paths, never a
 * file's content.
 */
import {randomBytes} from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs'
import {basename, dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import {ActionError} from '../errors.js'

/** A Dockerfile or .dockerignore larger than this is refused: no real one comes near it. */
export const MAX_DOCKERFILE_BYTES = 1024 * 1024
export const MAX_DOCKERIGNORE_BYTES = 1024 * 1024

/** O_NOFOLLOW and O_NONBLOCK where the platform has them (not on Windows). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0
const NON_BLOCKING = constants.O_NONBLOCK ?? 0
/** How a file of the checkout is opened for reading: no link followed, no pipe waited on. */
export const READ_FLAGS = constants.O_RDONLY | NO_FOLLOW | NON_BLOCKING

/** Where files of the checkout may be. */
export interface CheckoutBounds {
  /** GITHUB_WORKSPACE: every path must resolve inside it. */
  workspace: string
  /**
   * RUNNER_TEMP, where the runner and this action keep credentials: no path may resolve inside
   * it (unless the workspace itself is there, when the workspace rule is the only one left).
   */
  runnerTemp?: string
}

export type FileType =
  'file' | 'directory' | 'fifo' | 'socket' | 'character device' | 'block device' | 'other'

export type PathCheck =
  | {status: 'missing'}
  | {status: 'unresolvable'; code: string}
  | {status: 'outside'; real: string; root: string}
  | {status: 'runner-temp'; real: string; root: string}
  | {status: 'ok'; real: string; type: FileType; size: number}

const TYPE_NAMES: Record<FileType, string> = {
  file: 'a regular file',
  directory: 'a directory',
  fifo: 'a named pipe (FIFO)',
  socket: 'a socket',
  'character device': 'a character device',
  'block device': 'a block device',
  other: 'not a regular file',
}

/** A file of the checkout that may not be read or written; the message names paths only. */
export class CheckoutFileError extends ActionError {}

/** Resolves `path` (relative to the workspace) and says where it leads and what is there. */
export function checkCheckoutPath(path: string, bounds?: CheckoutBounds): PathCheck {
  const absolute = bounds ? resolve(bounds.workspace, path) : resolve(path)
  let real: string
  let stats: Stats
  try {
    real = realpathSync(absolute)
    stats = statSync(real)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? {status: 'missing'}
      : {status: 'unresolvable', code}
  }
  const outside = bounds && boundsProblem(real, bounds)
  if (outside) return outside
  return {status: 'ok', real, type: fileType(stats), size: stats.size}
}

/** Why the path cannot serve as a `want`, as words that follow its name; undefined when it can. */
export function pathProblem(
  check: PathCheck,
  want: 'file' | 'directory',
  maxBytes = Number.POSITIVE_INFINITY,
): string | undefined {
  switch (check.status) {
    case 'missing':
      return 'does not exist'
    case 'unresolvable':
      return `cannot be resolved (${check.code})`
    case 'outside':
      return `resolves to ${check.real}, outside the workspace (${check.root})`
    case 'runner-temp':
      return `resolves to ${check.real}, inside RUNNER_TEMP (${check.root}), where the runner and this action keep credentials`
    case 'ok':
      if (check.type !== want) return `is ${TYPE_NAMES[check.type]}, not ${TYPE_NAMES[want]}`
      if (want === 'file' && check.size > maxBytes)
        return `is ${check.size} bytes, more than the ${formatBytes(maxBytes)} allowed`
      return undefined
  }
}

/**
 * The text of a regular file of the checkout, at most `maxBytes`. With `bounds`, the file must
 * resolve inside them. A pipe, socket or device is refused before it is opened, and the file is
 * opened without blocking and without following a link, so one swapped in meanwhile is refused too.
 */
export function readCheckoutFile(
  path: string,
  options: {what: string; maxBytes: number; bounds?: CheckoutBounds},
): string {
  const check = checkCheckoutPath(path, options.bounds)
  const problem = pathProblem(check, 'file', options.maxBytes)
  if (problem || check.status !== 'ok')
    throw new CheckoutFileError(`the ${options.what} ${path} ${problem}`)
  let fd: number
  try {
    fd = openSync(check.real, READ_FLAGS)
  } catch (err) {
    throw new CheckoutFileError(
      `the ${options.what} ${path} could not be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    )
  }
  try {
    if (!fstatSync(fd).isFile())
      throw new CheckoutFileError(`the ${options.what} ${path} is no longer a regular file`)
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const chunk = Buffer.alloc(64 * 1024)
      const read = readSync(fd, chunk, 0, chunk.length, null)
      if (read === 0) break
      total += read
      if (total > options.maxBytes)
        throw new CheckoutFileError(
          `the ${options.what} ${path} is more than the ${formatBytes(options.maxBytes)} allowed`,
        )
      chunks.push(chunk.subarray(0, read))
    }
    return Buffer.concat(chunks).toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/**
 * Why a file the action writes at `path` (relative to the workspace) cannot go there; undefined
 * when it can. An existing link there is followed only to check where it leads (the write
 * replaces the link, never writes through it); the directory, or its nearest existing ancestor,
 * must resolve inside the bounds.
 */
export function outputPathProblem(path: string, bounds: CheckoutBounds): string | undefined {
  const target = resolve(bounds.workspace, path)
  const existing = lstatOrUndefined(target)
  if (existing?.isSymbolicLink()) {
    const check = checkCheckoutPath(target, bounds)
    if (check.status === 'missing') return 'is a symbolic link to a path that does not exist'
    if (check.status !== 'ok') return `is a symbolic link that ${pathProblem(check, 'file')}`
    if (check.type !== 'file') return `is a symbolic link to ${TYPE_NAMES[check.type]}`
  } else if (existing && !existing.isFile()) {
    return `is ${TYPE_NAMES[fileType(existing)]}, not a regular file`
  }
  let directory = dirname(target)
  while (!lstatOrUndefined(directory) && dirname(directory) !== directory)
    directory = dirname(directory)
  const check = checkCheckoutPath(directory, bounds)
  if (check.status === 'ok' && check.type !== 'directory')
    return `is below ${directory}, which is ${TYPE_NAMES[check.type]}, not a directory`
  const problem = pathProblem(check, 'directory')
  return problem && `is in the directory ${directory}, which ${problem}`
}

/**
 * Writes a file of the workspace without following links: a new file (O_EXCL, mode 0600) in the
 * target's directory, renamed over the target. Checks the place again first (outputPathProblem).
 */
export function writeCheckoutFile(path: string, content: string, bounds: CheckoutBounds): void {
  const problem = outputPathProblem(path, bounds)
  if (problem) throw new CheckoutFileError(`${path} ${problem}`)
  const target = resolve(bounds.workspace, path)
  mkdirSync(dirname(target), {recursive: true})
  const directory = checkCheckoutPath(dirname(target), bounds)
  if (directory.status !== 'ok' || directory.type !== 'directory')
    throw new CheckoutFileError(`${path}: its directory ${pathProblem(directory, 'directory')}`)
  const temporary = join(directory.real, `.${basename(target)}.${randomBytes(6).toString('hex')}`)
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW,
    0o600,
  )
  try {
    try {
      fchmodSync(fd, 0o600)
      writeFileSync(fd, content)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, join(directory.real, basename(target)))
  } catch (err) {
    try {
      unlinkSync(temporary)
    } catch {
      // already renamed, or never written
    }
    throw err
  }
}

function boundsProblem(real: string, bounds: CheckoutBounds): PathCheck | undefined {
  const workspace = realOrResolved(bounds.workspace)
  if (!isWithin(real, workspace)) return {status: 'outside', real, root: workspace}
  if (bounds.runnerTemp) {
    const runnerTemp = realOrResolved(bounds.runnerTemp)
    if (!isWithin(workspace, runnerTemp) && isWithin(real, runnerTemp))
      return {status: 'runner-temp', real, root: runnerTemp}
  }
  return undefined
}

function isWithin(path: string, root: string): boolean {
  const rest = relative(root, path)
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest))
}

function realOrResolved(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return resolve(path)
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path)
  } catch {
    return undefined
  }
}

function fileType(stats: Stats): FileType {
  if (stats.isFile()) return 'file'
  if (stats.isDirectory()) return 'directory'
  if (stats.isFIFO()) return 'fifo'
  if (stats.isSocket()) return 'socket'
  if (stats.isCharacterDevice()) return 'character device'
  if (stats.isBlockDevice()) return 'block device'
  return 'other'
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`
}
