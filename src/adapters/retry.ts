import {
  ActionError,
  CommandError,
  OciRequestError,
  RegistryError,
  TransientError,
  type FailureKind,
} from '../errors.js'

export type {FailureKind}

/** How often and how patiently a transient failure is retried. */
export interface RetryPolicy {
  /** Extra attempts after the first (the `retries` input): 3 means at most 4 attempts. */
  retries: number
  /** First backoff step in milliseconds; doubles per attempt, with jitter. */
  baseMs: number
}

export const DEFAULT_RETRY_BASE_MS = 1000
/** The longest wait between two attempts, whether the backoff or a Retry-After asks for more. */
export const MAX_WAIT_MS = 30_000

/**
 * Refusals of the credentials, as the tools word them. Docker's classic login also says
 * `failed with status: 401 Unauthorized` when the registry's first `GET /v2/` answered 5xx, 429:
 * connect.ts checks such a refusal with its own request before believing it.
 */
const CREDENTIALS_TEXT = [
  /denied|unauthorized|authentication required|forbidden|\b401\b|\b403\b/i,
  /invalid username\/password|incorrect username or password/i,
]

/**
 * Docker's manifest PUT refused for a blob the registry does not hold yet: two pushes of the same
 * layers at once (two runs on one engine) can leave a manifest ahead of its blob. Another push
 * checks every blob again and uploads what is missing.
 */
const PUSH_RACE_TEXT = /manifest blob unknown/i

/** Failures another attempt cannot fix. */
const PERMANENT_TEXT = [
  /manifest invalid|manifest unknown|name unknown|name invalid|tag invalid|blob unknown to registry/i,
  /no such file|not found: manifest|invalid reference format/i,
]

/** Nobody answered at that address: a wrong host or port, DNS, or a connect that timed out. */
const UNREACHABLE_TEXT = [
  /connection refused|ECONNREFUSED|no such host|ENOTFOUND|EAI_AGAIN|getaddrinfo|server misbehaving/i,
  /dial tcp[^"]*: i\/o timeout|connect timeout|UND_ERR_CONNECT_TIMEOUT/i,
  /no route to host|network is unreachable|EHOSTUNREACH|ENETUNREACH/i,
]

/**
 * Failures worth another attempt. Docker answers a 429 on a HEAD with `error parsing HTTP 429
 * response body` (it expects a JSON error body); a restarted upload session is `blob upload
 * unknown`; the rest are dropped connections, timeouts and 5xx as docker, buildah and Node word them.
 */
const TRANSIENT_TEXT = [
  /blob upload unknown/i,
  /error parsing HTTP 429 response body/i,
  /\b429\b|too many requests|toomanyrequests/i,
  /connection reset|broken pipe|ECONNRESET|EPIPE|socket hang up|other side closed/i,
  /\bEOF\b/,
  /timed? ?out|timeout|deadline exceeded|ETIMEDOUT/i,
  /(HTTP status|status code|status code from registry|status)[:\s]+5\d\d\b/i,
  /\bHTTP 5\d\d\b/,
  /service unavailable|bad gateway|internal server error|gateway time-?out/i,
]

/** What kind of failure this is: worth another attempt, a credentials problem, a bad address, or final. */
export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof TransientError) return 'transient'
  const status =
    err instanceof RegistryError
      ? err.status
      : err instanceof OciRequestError
        ? err.statusCode
        : undefined
  // The registry forgot an upload session (restarted, or it expired): a new upload can succeed.
  if (err instanceof RegistryError && err.code === 'BLOB_UPLOAD_UNKNOWN') return 'transient'
  if (status !== undefined) {
    if (status === 401 || status === 403) return 'credentials'
    if (status === 408 || status === 429 || status >= 500) return 'transient'
    return 'permanent'
  }
  const text = failureText(err)
  if (CREDENTIALS_TEXT.some((pattern) => pattern.test(text))) return 'credentials'
  if (PUSH_RACE_TEXT.test(text)) return 'transient'
  if (PERMANENT_TEXT.some((pattern) => pattern.test(text))) return 'permanent'
  if (UNREACHABLE_TEXT.some((pattern) => pattern.test(text))) return 'unreachable'
  if (TRANSIENT_TEXT.some((pattern) => pattern.test(text))) return 'transient'
  // A request that got no answer at all, for a reason not listed above: worth another try.
  if (err instanceof RegistryError || err instanceof OciRequestError) return 'transient'
  return 'permanent'
}

/** The HTTP status a failure reports, from the error or from the tool's wording. */
export function failureStatus(err: unknown): number | undefined {
  // Its text quotes a refusal we disproved.
  if (err instanceof TransientError) return undefined
  if (err instanceof RegistryError && err.status !== undefined) return err.status
  if (err instanceof OciRequestError && err.statusCode !== undefined) return err.statusCode
  const match =
    /(?:status(?: code)?(?: from registry)?|HTTP)[:\s]+(\d{3})\b/i.exec(failureText(err)) ??
    /\b(\d{3}) (?:Internal Server Error|Service Unavailable|Too Many Requests|Bad Gateway)/i.exec(
      failureText(err),
    )
  return match ? Number(match[1]) : undefined
}

function failureText(err: unknown): string {
  if (err instanceof CommandError) return err.lastLine
  if (err instanceof Error) {
    const cause = err.cause as {message?: unknown; code?: unknown} | undefined
    return [err.message, cause?.message, cause?.code].filter((part) => part).join(' ')
  }
  return String(err)
}

/** Exponential backoff with "equal jitter": half the step fixed, half random; at most 30 s. */
export function backoffMs(baseMs: number, attempt: number, random = Math.random): number {
  const ceiling = Math.min(baseMs * 2 ** attempt, MAX_WAIT_MS)
  return ceiling / 2 + random() * (ceiling / 2)
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), at most 30 s. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  if (/^\d+(\.\d+)?$/.test(header.trim()))
    return Math.min(Number(header.trim()) * 1000, MAX_WAIT_MS)
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.min(Math.max(date - now, 0), MAX_WAIT_MS)
}

/** The wait before attempt `attempt + 2`: what the server asked for, else the backoff; capped. */
export function retryDelayMs(
  err: unknown,
  policy: RetryPolicy,
  attempt: number,
  random = Math.random,
): number {
  const asked =
    err instanceof RegistryError || err instanceof OciRequestError ? err.retryAfterMs : undefined
  return Math.min(asked ?? backoffMs(policy.baseMs, attempt, random), MAX_WAIT_MS)
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/** How many attempts a failure took, once a retry loop gave up on it. */
const attemptsTaken = new WeakMap<object, number>()

/** Attempts made before `err` was given up on (1 when it never went through a retry loop). */
export function attemptsOf(err: unknown): number {
  return (typeof err === 'object' && err !== null && attemptsTaken.get(err)) || 1
}

/**
 * Docker's words when it sent no credentials at all: what it says when the `GET /v2/` that should
 * have told it how to log in answered 5xx or 429 (a fault we never see).
 */
const UNAUTHENTICATED_TEXT = /unauthorized|authentication required|\b401\b/i

export interface RunOptions {
  /** False: a credentials refusal never triggers a fresh login (the login itself, token requests). */
  relogin?: boolean
  /** At most this many retries, below the policy's: for a probe whose failure only costs a build. */
  retries?: number
  /** At most this many retries when nobody answered (DNS, refused, connect timeout). */
  unreachableRetries?: number
}

/**
 * One per run: retries with the policy, remembers that a transient fault happened, and re-logs
 * in once when a push is refused with 401/403 after a transient fault (docker, for one, words a
 * 5xx on its first request as `unauthorized: authentication required`).
 */
export class RetrySession implements RetryPolicy {
  /** True once any attempt of the run failed transiently. */
  sawTransientFault = false
  private relogin?: () => Promise<void>
  private relogging?: Promise<void>
  private credentialsAccepted?: () => Promise<boolean>
  private readonly wait: (ms: number) => Promise<void>

  constructor(
    readonly policy: RetryPolicy,
    options: {
      relogin?: () => Promise<void>
      wait?: (ms: number) => Promise<void>
      credentialsAccepted?: () => Promise<boolean>
    } = {},
  ) {
    this.relogin = options.relogin
    this.wait = options.wait ?? sleep
    this.credentialsAccepted = options.credentialsAccepted
  }

  get retries(): number {
    return this.policy.retries
  }

  get baseMs(): number {
    return this.policy.baseMs
  }

  /** The fresh login a refused push gets after a transient fault. */
  setRelogin(relogin: () => Promise<void>): void {
    this.relogin = relogin
  }

  /**
   * Runs `attempt` until it succeeds, fails for good, or has been tried `retries + 1` times.
   * Transient and unreachable failures are retried; a 401/403 after a transient fault gets one
   * fresh login and one more try (an `unauthorized` the credentials check disproves counts as
   * one). A failure that already went through a retry loop (a nested
   * one) is not retried again. The last error is rethrown, with the attempt count in its hint.
   */
  async run<T>(
    what: string,
    attempt: () => Promise<T>,
    log: (line: string) => void = () => {},
    options: RunOptions = {},
  ): Promise<T> {
    let relogged = false
    for (let tries = 1; ; tries++) {
      try {
        return await attempt()
      } catch (err) {
        if (typeof err === 'object' && err !== null && attemptsTaken.has(err)) throw err
        const kind = classifyFailure(err)
        if (kind === 'transient') this.sawTransientFault = true
        if (
          kind === 'credentials' &&
          !this.sawTransientFault &&
          options.relogin !== false &&
          this.credentialsAccepted &&
          UNAUTHENTICATED_TEXT.test(failureText(err)) &&
          (await this.credentialsAccepted())
        ) {
          this.sawTransientFault = true
          log(
            `${what}: refused (${messageOf(err)}), yet the registry accepts the credentials: a request before it must have failed`,
          )
        }
        if (
          kind === 'credentials' &&
          this.sawTransientFault &&
          this.relogin &&
          options.relogin !== false &&
          !relogged
        ) {
          relogged = true
          log(
            `${what}: refused (${messageOf(err)}) after a transient fault; logging in again and trying once more`,
          )
          await this.renewLogin()
          tries--
          continue
        }
        const retryable = kind === 'transient' || kind === 'unreachable'
        const retries = Math.min(
          this.policy.retries,
          options.retries ?? Infinity,
          kind === 'unreachable' ? (options.unreachableRetries ?? Infinity) : Infinity,
        )
        if (!retryable || tries > retries) throw giveUp(err, tries, retryable)
        const delay = Math.round(retryDelayMs(err, this.policy, tries - 1))
        log(
          `${what}: ${kind === 'unreachable' ? 'unreachable' : 'transient failure'} (${messageOf(err)}); attempt ${tries + 1} of ${retries + 1} in ${delay} ms`,
        )
        await this.wait(delay)
      }
    }
  }

  /**
   * Asks the registry itself whether it accepts the credentials. An `unauthorized` from a tool
   * while the registry accepts them then counts as the transient fault the tool hid from us.
   */
  setCredentialsCheck(credentialsAccepted: () => Promise<boolean>): void {
    this.credentialsAccepted = credentialsAccepted
  }

  /** Parallel refusals share one fresh login. */
  private renewLogin(): Promise<void> {
    const relogin = this.relogin as () => Promise<void>
    this.relogging ??= relogin().finally(() => (this.relogging = undefined))
    return this.relogging
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function giveUp(err: unknown, attempts: number, retryable: boolean): unknown {
  if (typeof err !== 'object' || err === null) return err
  attemptsTaken.set(err, attempts)
  if (retryable && attempts > 1 && err instanceof ActionError) {
    const hint = `gave up after ${attempts} attempts${err.hint ? `; ${err.hint}` : ''}`
    Object.defineProperty(err, 'hint', {value: hint})
  }
  return err
}
