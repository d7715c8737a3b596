/**
 * Token-free OCIR login: a short-lived registry token from `GET https://<registry>/20180419/docker/token`,
 * signed with the OCI API key like any OCI API call. Log in with username `BEARER_TOKEN` and the
 * token as password.
 * https://www.ateam-oracle.com/authentication-mechanisms-for-oci-container-registry-ocir
 */
import type {OciAuth} from '../model/oci.js'
import * as core from '@actions/core'
import {OciRequestError} from '../errors.js'
import {createAuthProvider, loadOciCommon, wrapOciError} from './oci-client.js'
import {readCapped} from './registry-http.js'
import {retryAfterMs, RetrySession, type RetryPolicy} from './retry.js'
import {isLoopbackHost} from '../plan/registry-target.js'

export interface OcirToken {
  token: string
  expiresAt: Date
}

export interface OcirTokenRequest {
  /** Registry host[:port], e.g. `iad.ocir.io` or `127.0.0.1:5000`. */
  registry: string
  /** The parsed API key (config/oci-key.ts), or keyless credentials with their session open. */
  apiKey: OciAuth
  /** The run's retries (network failures, 429, 5xx); a bare policy gets a session of its own. */
  retry: RetrySession | RetryPolicy
  /** Give up on one request after this many seconds (default 30). */
  requestTimeoutSeconds?: number
  /** Clock, for tests. */
  now?: () => number
  /** Called with every token the moment it is obtained, so it is masked; default core.setSecret. */
  onSecret?: (secret: string) => void
}

const TOKEN_PATH = '/20180419/docker/token'
/** OCIR's token lifetime is not documented; a token that says nothing is assumed to last this long. */
const ASSUMED_LIFETIME_SECONDS = 300
/** A token answer is a few KiB; a registry sending more is not read further. */
const TOKEN_ANSWER_BYTES = 1024 * 1024

/** The token URL for a registry host. */
export function ocirTokenUrl(registry: string): string {
  return `${isLoopbackHost(registry) ? 'http' : 'https'}://${registry}${TOKEN_PATH}`
}

/** Fetches one registry token, signed with the API key; retries transient failures. */
export async function fetchOcirToken(request: OcirTokenRequest): Promise<OcirToken> {
  const now = request.now ?? Date.now
  const {apiKey} = request
  const common = await loadOciCommon()
  const signer = new common.DefaultRequestSigner(await createAuthProvider(apiKey))
  const url = ocirTokenUrl(request.registry)
  const timeoutMs = (request.requestTimeoutSeconds ?? 30) * 1000
  const session =
    request.retry instanceof RetrySession ? request.retry : new RetrySession(request.retry)

  return session.run(
    `GET ${url}`,
    async () => {
      let response: Response
      try {
        // Signed afresh on every attempt: the signature covers the date.
        const headers = new Headers()
        await signer.signHttpRequest({method: 'GET', uri: url, headers})
        // Not followed: the signed request goes to the registry named, nowhere else.
        response = await fetch(url, {
          headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        throw wrapOciError(
          'GetDockerToken',
          err,
          `${url} could not be reached; check the registry host`,
        )
      }
      const opcRequestId = response.headers.get('opc-request-id') ?? undefined
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => undefined)
        throw new OciRequestError(
          'GetDockerToken',
          response.status,
          undefined,
          opcRequestId,
          `${url} redirected to ${(response.headers.get('location') ?? '(nowhere)').slice(0, 200)}; a request signed with the API key is not followed elsewhere`,
          `check the registry host ${request.registry}: OCIR answers the token request itself`,
        )
      }
      const text = (
        await readCapped(response, TOKEN_ANSWER_BYTES, `GET ${url} (GetDockerToken)`)
      ).toString('utf8')
      if (response.ok) {
        const token = parseToken(text, now(), opcRequestId)
        ;(request.onSecret ?? core.setSecret)(token.token)
        return token
      }
      const body = parseJson(text) as {code?: unknown; message?: unknown} | undefined
      throw new OciRequestError(
        'GetDockerToken',
        response.status,
        typeof body?.code === 'string' ? body.code : undefined,
        opcRequestId,
        typeof body?.message === 'string'
          ? body.message
          : text.slice(0, 200) || response.statusText,
        tokenHint(response.status, request.registry),
        retryAfterMs(response.headers.get('retry-after')),
      )
    },
    () => {},
    {relogin: false},
  )
}

/**
 * Hands out a valid token, renewing it shortly before it expires (a minute before, or at half its
 * life when it lives less than two minutes). Concurrent callers share one renewal.
 */
export class TokenSource {
  private current?: {token: OcirToken; obtainedAtMs: number}
  private renewal?: Promise<OcirToken>

  constructor(
    private readonly fetchToken: () => Promise<OcirToken>,
    private readonly now: () => number = Date.now,
    private readonly renewBeforeMs = 60_000,
  ) {}

  /** A token valid for a while yet. */
  async token(): Promise<string> {
    if (this.current && !this.expiresSoon(this.current)) return this.current.token.token
    this.renewal ??= this.fetchToken().finally(() => {
      this.renewal = undefined
    })
    const fresh = await this.renewal
    this.current = {token: fresh, obtainedAtMs: this.now()}
    return fresh.token
  }

  private expiresSoon({token, obtainedAtMs}: {token: OcirToken; obtainedAtMs: number}): boolean {
    const expiresAtMs = token.expiresAt.getTime()
    const lifetimeMs = Math.max(expiresAtMs - obtainedAtMs, 0)
    return this.now() >= expiresAtMs - Math.min(this.renewBeforeMs, lifetimeMs / 2)
  }
}

function parseToken(text: string, nowMs: number, opcRequestId: string | undefined): OcirToken {
  const body = parseJson(text) as {token?: unknown; access_token?: unknown; expires_in?: unknown}
  const token =
    typeof body?.token === 'string'
      ? body.token
      : typeof body?.access_token === 'string'
        ? body.access_token
        : ''
  if (!token) {
    throw new OciRequestError(
      'GetDockerToken',
      200,
      undefined,
      opcRequestId,
      'the response held no token',
      'check that the registry is OCIR; other registries do not issue tokens for OCI API keys',
    )
  }
  const lifetimeSeconds =
    typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : undefined
  const expiresAtMs = lifetimeSeconds
    ? nowMs + lifetimeSeconds * 1000
    : (jwtExpiry(token) ?? nowMs + ASSUMED_LIFETIME_SECONDS * 1000)
  return {token, expiresAt: new Date(expiresAtMs)}
}

/** The `exp` claim of a JWT, in ms, when the token is one. */
function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1]
  if (!payload) return undefined
  const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8')) as
    {exp?: unknown} | undefined
  return typeof claims?.exp === 'number' ? claims.exp * 1000 : undefined
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function tokenHint(status: number, registry: string): string {
  if (status === 401 || status === 403) {
    return (
      `OCIR at ${registry} did not accept the signed request: check that oci-user, oci-tenancy, ` +
      'oci-fingerprint and oci-private-key belong to the same API key and that the registry ' +
      "is in the tenancy's region"
    )
  }
  if (status === 404)
    return `${registry} has no ${TOKEN_PATH}; token-free login works only with OCIR`
  if (status === 429) return 'OCIR throttled the requests; raise retries or re-run later'
  return 'OCIR had a server error; re-run later'
}
