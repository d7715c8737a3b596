import * as core from '@actions/core'
import {randomBytes} from 'node:crypto'
import {EOL} from 'node:os'

/**
 * Prints what the builders wrote, with the runner's workflow commands off around it: a
 * Dockerfile's `RUN echo "::add-mask::…"` or `"::error::…"` is text in the log, never a command
 * (the runner resumes only on the random token, which no build can know).
 */
export function printToolLines(lines: readonly string[]): void {
  if (lines.length === 0) return
  const token = randomBytes(16).toString('hex')
  process.stdout.write(`::stop-commands::${token}${EOL}`)
  for (const line of lines) core.info(line)
  process.stdout.write(`::${token}::${EOL}`)
}
