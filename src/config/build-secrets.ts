/**
 * Build secrets, as docker/build-push-action takes them: `secrets` (lines `id=value`),
 * `secret-files` (lines `id=path`) and `secret-envs` (lines `id=VARIABLE`). Every value is masked
 * the moment it is read, each line of a multi-line value too; no message names a value, and a
 * line of `secrets` that cannot be parsed is named by its number only (it may be a value).
 */
import {accessSync, constants} from 'node:fs'
import {isAbsolute, relative, resolve, sep} from 'node:path'
import {describeFailure, InputError} from '../errors.js'
import type {BuildSecret, SecretInput} from '../model/action-config.js'
import {isBuilderEnvironmentVariable} from '../plan/builder-commands.js'
import {
  checkCheckoutPath,
  pathProblem,
  readCheckoutFile,
  type CheckoutBounds,
} from './checkout-files.js'

/** The inputs, in the order they are read (a duplicate id is reported on the later one). */
export const SECRET_INPUTS: readonly SecretInput[] = ['secrets', 'secret-files', 'secret-envs']

/** What `RUN --mount=type=secret,id=…` can name, as build-push-action documents ids. */
const SECRET_ID = /^[A-Za-z0-9_.-]+$/
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A secret file up to this size is read once to mask its content line by line (a build that
 * prints it then prints `***`); a larger one (an archive, a keystore) is only checked.
 */
const MASKED_FILE_BYTES = 64 * 1024

/**
 * Lines of a multi-line value shorter than this are not masked on their own: a `}` of a JSON
 * document is no secret, and masking it would mask every `}` of the log. The whole value is
 * always masked.
 */
const MIN_MASKED_LINE = 4

export interface SecretSources {
  /** An input as given (not trimmed). */
  raw: (input: SecretInput) => string
  env: NodeJS.ProcessEnv
  /** Where relative secret-files paths are resolved, and must stay. */
  bounds: CheckoutBounds
  mask: (secret: string) => void
}

/** Reads, checks and masks the three inputs; ids are unique across them. */
export function readBuildSecrets(sources: SecretSources): BuildSecret[] {
  const secrets: BuildSecret[] = []
  const seen = new Map<string, SecretInput>()
  for (const input of SECRET_INPUTS) {
    for (const {id, rest, line} of entries(input, sources.raw(input), sources.mask)) {
      const first = seen.get(id)
      if (first)
        throw new InputError(
          input,
          id,
          `give each secret one id: '${id}' is ${first === input ? `on two lines of ${input}` : `also in ${first}`} (line ${line})`,
          `input '${input}' repeats the build secret id '${id}'`,
        )
      seen.set(id, input)
      secrets.push(secretOf(input, id, rest, line, sources))
    }
  }
  return secrets
}

interface Entry {
  id: string
  /** What follows the first `=`, trimmed (as the line is). */
  rest: string
  /** 1-based line number in the input. */
  line: number
}

/** The `id=…` lines of an input; blank lines and `#` comments skipped. */
function entries(input: SecretInput, raw: string, mask: (secret: string) => void): Entry[] {
  const found: Entry[] = []
  const lines = raw.split(/\r?\n/)
  for (const [index, text] of lines.entries()) {
    const line = text.trim()
    if (line === '' || line.startsWith('#')) continue
    const equals = line.indexOf('=')
    const id = equals < 0 ? '' : line.slice(0, equals).trim()
    const rest = equals < 0 ? '' : line.slice(equals + 1).trim()
    // A value is masked before anything can fail: a line that does not parse may be one.
    if (input === 'secrets') maskValue(equals < 0 ? line : rest, mask)
    if (equals < 0 || !SECRET_ID.test(id) || id === '.' || id === '..') {
      const shown = input === 'secrets' ? `line ${index + 1}` : line
      throw new InputError(
        input,
        shown,
        `write one id=${VALUE_WORD[input]} per line; an id is letters, digits, '_', '.' and '-', as RUN --mount=type=secret,id=… names it${
          input === 'secrets'
            ? ` (the line is not shown: it may hold a secret${line.startsWith('"') ? "; build-push-action's quoted multi-line form is not read here: put such a value in a variable and name it in secret-envs" : ''})`
            : ''
        }`,
        equals < 0
          ? `input '${input}' has a line that is not id=${VALUE_WORD[input]} (${shown})`
          : `input '${input}' has an unusable secret id${input === 'secrets' ? '' : ` '${id}'`} (${input === 'secrets' ? shown : `line ${index + 1}`})`,
      )
    }
    found.push({id, rest, line: index + 1})
  }
  return found
}

const VALUE_WORD: Record<SecretInput, string> = {
  secrets: 'value',
  'secret-files': 'path',
  'secret-envs': 'VARIABLE',
}

function secretOf(
  input: SecretInput,
  id: string,
  rest: string,
  line: number,
  sources: SecretSources,
): BuildSecret {
  switch (input) {
    case 'secrets':
      return {id, input, value: rest}
    case 'secret-files':
      return {id, input, file: secretFileOf(id, rest.trim(), line, sources)}
    case 'secret-envs':
      return envSecretOf(id, rest.trim(), sources)
  }
}

/**
 * The file of a secret-files line, resolved. A relative path is a file of the checkout: it must
 * resolve inside the workspace and outside RUNNER_TEMP (a link in the checkout must not hand the
 * build a file of the runner's). An absolute path outside the workspace is taken as given: such a
 * file is written by an earlier step, typically to RUNNER_TEMP.
 */
function secretFileOf(id: string, path: string, line: number, sources: SecretSources): string {
  const fail = (hint: string, what?: string): never => {
    throw new InputError('secret-files', path, hint, what)
  }
  if (path === '') fail(`secret '${id}' (line ${line}) names no file: write id=path`)
  const {bounds} = sources
  const inCheckout =
    !isAbsolute(path) || isWithin(path, bounds.workspace) || isWithin(path, realOf(bounds))
  const check = checkCheckoutPath(path, inCheckout ? bounds : undefined)
  if (check.status === 'missing')
    fail(
      isAbsolute(path)
        ? `secret '${id}': the file does not exist; write it in an earlier step of the job`
        : `secret '${id}': the file does not exist (a relative path is relative to the workspace, ${bounds.workspace}); for a file an earlier step writes, give its absolute path, e.g. \${{ runner.temp }}/npmrc`,
    )
  const problem = pathProblem(check, 'file')
  if (problem || check.status !== 'ok')
    fail(
      `secret '${id}': give a regular file${inCheckout ? ' of the checkout, or an absolute path outside the workspace' : ''}`,
      `input 'secret-files' has an unusable path '${path}': it ${problem}`,
    )
  const real = (check as {real: string}).real
  // The builders split `--secret id=…,src=…` at commas (buildx reads quotes, buildah does not).
  if (/[,"\r\n]/.test(real))
    fail(
      `secret '${id}': the path ${real === path ? '' : `(${real}) `}holds a comma, a quote or a line break, which the builders read as separators: move or rename the file`,
    )
  maskFile(id, path, real, (check as {size: number}).size, sources.mask)
  return real
}

/** Masks the content of a small secret file; checks a larger one is readable. */
function maskFile(
  id: string,
  path: string,
  real: string,
  size: number,
  mask: (secret: string) => void,
): void {
  try {
    if (size > MASKED_FILE_BYTES) accessSync(real, constants.R_OK)
    else maskValue(readCheckoutFile(real, {what: 'secret file', maxBytes: MASKED_FILE_BYTES}), mask)
  } catch (err) {
    throw new InputError(
      'secret-files',
      path,
      `secret '${id}': make the file readable by the runner's user (${describeFailure(err)})`,
      `input 'secret-files' has a file '${path}' that cannot be read`,
    )
  }
}

function envSecretOf(id: string, variable: string, sources: SecretSources): BuildSecret {
  if (!VARIABLE.test(variable))
    throw new InputError(
      'secret-envs',
      variable,
      `secret '${id}': name an environment variable (letters, digits and '_', not starting with a digit), e.g. ${id}=NPM_TOKEN with env: {NPM_TOKEN: \${{ secrets.NPM_TOKEN }}}`,
    )
  if (isBuilderEnvironmentVariable(variable))
    throw new InputError(
      'secret-envs',
      variable,
      `secret '${id}': ${variable} is a variable the builders themselves read, and a secret's variable is withheld from them: copy the value into a variable of its own`,
    )
  const value = sources.env[variable]
  if (value === undefined)
    throw new InputError(
      'secret-envs',
      variable,
      `secret '${id}': set the variable in the step's env:, e.g. env: {${variable}: \${{ secrets.${variable} }}}`,
      `input 'secret-envs' names the variable ${variable}, which is not set`,
    )
  maskValue(value, sources.mask)
  return {id, input: 'secret-envs', value, variable}
}

/**
 * The variables a secret-envs input names, read leniently and unchecked (readBuildSecrets checks
 * them): withheld from every child process of the main step, before any config is read, and of
 * the post step, which reads no config.
 */
export function secretEnvVariables(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .filter((line) => !line.trim().startsWith('#'))
    .map((line) => line.slice(line.indexOf('=') + 1).trim())
    .filter((name) => VARIABLE.test(name))
}

/** Masks a value, and each line of a multi-line one on its own (logs are masked line by line). */
function maskValue(value: string, mask: (secret: string) => void): void {
  const parts = new Set<string>()
  if (value !== '') parts.add(value)
  if (value.trim() !== '') parts.add(value.trim())
  for (const line of value.split(/\r?\n/))
    if (line.trim().length >= MIN_MASKED_LINE) parts.add(line.trim())
  for (const part of parts) mask(part)
}

function isWithin(path: string, root: string): boolean {
  const rest = relative(root, resolve(path))
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest))
}

/** The workspace's real path (a runner's workspace may be reached through a link). */
function realOf(bounds: CheckoutBounds): string {
  const check = checkCheckoutPath(bounds.workspace)
  return check.status === 'ok' ? check.real : resolve(bounds.workspace)
}
