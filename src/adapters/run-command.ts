import * as exec from '@actions/exec'
import {CommandError} from '../errors.js'
import type {LogSink} from '../ports.js'

/**
 * Variables a child tool never needs that can hold secrets: the runner passes every input as
 * INPUT_*, and the OCI key may sit in OCI_CLI_KEY_CONTENT. A process's environment is readable
 * in /proc by the same user, so we do not hand them down.
 */
const WITHHELD =
  /^(INPUT_|OCI_CLI_KEY_CONTENT$|OCI_CLI_PASSPHRASE$|GITHUB_TOKEN$|ACTIONS_RUNTIME_TOKEN$|ACTIONS_ID_TOKEN_REQUEST_TOKEN$)/

/**
 * The variables secret-envs names: they hold build secrets, which reach a builder only as the
 * files its `--secret` names, so no child process inherits them.
 */
const withheldVariables = new Set<string>()

/** Withholds these variables from every child process started from now on. */
export function withholdVariables(names: Iterable<string>): void {
  for (const name of names) withheldVariables.add(name)
}

export function childEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const environment: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !WITHHELD.test(key) && !withheldVariables.has(key))
      environment[key] = value
  }
  return {...environment, ...extra}
}

export interface CommandOptions {
  env?: Record<string, string>
  /** Fed to stdin; how secrets reach tools (never argv, never the environment). */
  stdin?: string
  cwd?: string
  log?: LogSink
}

export interface CommandResult {
  stdout: string
  stderr: string
}

/** Runs a tool, judges it by its exit code alone, and turns a failure into a CommandError. */
export async function runCommand(
  tool: string,
  args: string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const log = options.log
  let pending = ''
  const forward = (data: Buffer): void => {
    if (!log) return
    pending += data.toString('utf8')
    const lines = pending.split(/\r?\n/)
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') log(line)
  }
  const result = await exec.getExecOutput(tool, args, {
    ignoreReturnCode: true,
    silent: true,
    cwd: options.cwd,
    env: options.env ?? childEnvironment(),
    input: options.stdin === undefined ? undefined : Buffer.from(options.stdin, 'utf8'),
    listeners: {stdout: forward, stderr: forward},
  })
  if (log && pending.trim() !== '') log(pending)
  if (result.exitCode !== 0) {
    const lastLine = lastMeaningfulLine(result.stderr) || lastMeaningfulLine(result.stdout)
    throw new CommandError(tool, args[0] ?? '', result.exitCode, lastLine)
  }
  return {stdout: result.stdout, stderr: result.stderr}
}

/**
 * The line that says why a tool failed: buildx's own `ERROR:` line when there is one (buildx
 * follows it with advice such as "Switch to a different driver…"), else the last line that is not
 * a warning or a hint.
 */
function lastMeaningfulLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  const errorLine = lines.filter((line) => line.startsWith('ERROR: ')).at(-1)
  if (errorLine) return errorLine
  const meaningful = lines.filter(
    (line) =>
      !/^(WARNING|DEPRECATED|Install the buildx|BuildKit is currently disabled|Learn more)/i.test(
        line,
      ),
  )
  return meaningful.at(-1) ?? ''
}
