import {ActionError, CommandError, RegistryError} from '../errors.js'

/** How often and how patiently a transient failure is retried. */
export interface RetryPolicy {
  /** Extra attempts after the first (the `retries` input): 3 means at most 4 attempts. */
  retries: number
  /** First backoff step in milliseconds; doubles per attempt, with jitter. */
  baseMs: number
}

export const DEFAULT_RETRY_BASE_MS = 1000

/**
 * Failures worth another attempt, as the tools word them. Docker answers a 429 on a HEAD with
 * `error parsing HTTP 429 response body` (it expects a JSON error body); a restarted upload
 * session is `blob upload unknown`; the rest are dropped connections, timeouts and 5xx.
 */
const TRANSIENT_TEXT = [
  /blob upload unknown/i,
  /error parsing HTTP 429 response body/i,
  /\b429\b|too many requests|toomanyrequests/i,
  /connection reset|broken pipe|connection refused|ECONNRESET|ECONNREFUSED|EPIPE|socket hang up/i,
  /\bEOF\b/,
  /timed? ?out|timeout|deadline exceeded|ETIMEDOUT/i,
  /(HTTP status|status code|status)[:\s]+5\d\d\b/i,
  /service unavailable|bad gateway|internal server error|gateway time-?out/i,
  /TLS handshake timeout|i\/o timeout|no such host/i,
]

/** Failures that another attempt cannot fix: they fail at once, whatever else the text says. */
const PERMANENT_TEXT = [
  /denied|unauthorized|authentication required|forbidden|\b401\b|\b403\b/i,
  /manifest invalid|manifest unknown|name unknown|name invalid|tag invalid|blob unknown to registry/i,
  /no such file|not found: manifest|invalid reference format/i,
]

/** True when the failure reads like one a retry can get past. */
export function isTransientFailure(err: unknown): boolean {
  if (err instanceof RegistryError && err.status !== undefined) {
    return err.status === 408 || err.status === 429 || err.status >= 500
  }
  const text =
    err instanceof CommandError
      ? err.lastLine
      : err instanceof Error
        ? `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`
        : String(err)
  if (PERMANENT_TEXT.some((pattern) => pattern.test(text))) return false
  return TRANSIENT_TEXT.some((pattern) => pattern.test(text))
}

/** Exponential backoff with "equal jitter": half the step fixed, half random; at most 30 s. */
export function backoffMs(baseMs: number, attempt: number, random = Math.random): number {
  const ceiling = Math.min(baseMs * 2 ** attempt, 30_000)
  return ceiling / 2 + random() * (ceiling / 2)
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), at most a minute. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  if (/^\d+$/.test(header.trim())) return Math.min(Number(header.trim()) * 1000, 60_000)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.min(Math.max(date - now, 0), 60_000)
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `attempt` until it succeeds, fails with a non-transient error, or has been tried
 * `retries + 1` times. The last error is rethrown, with the attempt count in its hint.
 */
export async function withRetries<T>(
  what: string,
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  log: (line: string) => void = () => {},
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt()
    } catch (err) {
      const transient = isTransientFailure(err)
      if (!transient || tries >= policy.retries) {
        if (transient && tries > 0 && err instanceof ActionError) {
          throw withAttempts(err, tries + 1)
        }
        throw err
      }
      const delay = backoffMs(policy.baseMs, tries)
      log(
        `${what}: transient failure (${err instanceof Error ? err.message : String(err)}); attempt ${tries + 2} of ${policy.retries + 1} in ${Math.round(delay)} ms`,
      )
      await wait(delay)
    }
  }
}

function withAttempts(err: ActionError, attempts: number): ActionError {
  const hint = `gave up after ${attempts} attempts${err.hint ? `; ${err.hint}` : ''}`
  Object.defineProperty(err, 'hint', {value: hint})
  return err
}

/** Placeholder until the retry engine lands (helper branch). */
export class RetrySession {
  sawTransientFault = false
  private relogin?: () => Promise<void>
  constructor(
    readonly policy: RetryPolicy,
    options: {relogin?: () => Promise<void>; wait?: (ms: number) => Promise<void>} = {},
  ) {
    this.relogin = options.relogin
    this.wait = options.wait ?? sleep
  }
  private readonly wait: (ms: number) => Promise<void>
  setRelogin(relogin: () => Promise<void>): void {
    this.relogin = relogin
  }
  run<T>(what: string, attempt: () => Promise<T>, log?: (line: string) => void): Promise<T> {
    return withRetries(what, this.policy, attempt, log, this.wait)
  }
}
