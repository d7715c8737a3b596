/** A failed copy, named by its target, what was being copied and where. */
import {ActionError} from '../errors.js'
import {attemptsOf} from '../adapters/retry.js'

export class CopyError extends ActionError {}

/**
 * `copy to fra: layer sha256:… of ns/app: <what failed> after 4 attempts`. A CopyError passes
 * through as it is (it already says where).
 */
export function copyFailure(
  target: string,
  what: string,
  repository: string,
  err: unknown,
): CopyError {
  if (err instanceof CopyError) return err
  const attempts = attemptsOf(err)
  const message = err instanceof Error ? err.message : String(err)
  // The retry loop's "gave up after N attempts" moves into the message.
  const hint =
    err instanceof ActionError && err.hint
      ? err.hint.replace(/^gave up after \d+ attempts(; )?/, '') || undefined
      : undefined
  return new CopyError(
    `copy to ${target}: ${what} of ${repository}: ${message}${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
    hint,
  )
}
