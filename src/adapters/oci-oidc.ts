/**
 * Keyless OCI: GitHub's OIDC token exchanged at an OCI identity domain for a User Principal
 * Session Token (UPST) bound to a key pair made here, in memory. Every OCI call then signs with
 * key id `ST$<upst>` and that key (oci-client.ts, sessionAuthProvider). Nothing is written to disk.
 * https://docs.oracle.com/en-us/iaas/Content/Identity/api-getstarted/json_web_token_exchange.htm
 */
import * as core from '@actions/core'
import {generateKeyPairSync} from 'node:crypto'
import {ActionError, OciRequestError} from '../errors.js'
import type {OciOidcSettings, OciSession} from '../model/oci.js'
import {readCapped} from './registry-http.js'
import {retryAfterMs, RetrySession, type RetryPolicy} from './retry.js'

export const TOKEN_EXCHANGE_PATH = '/oauth2/v1/token'
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const REQUESTED_TOKEN_TYPE = 'urn:oci:token-type:oci-upst'
/** An answer is a few KiB; an endpoint sending more is not read further. */
const ANSWER_BYTES = 1024 * 1024
/** A UPST that names no expiry is assumed to last this long (OCI's are valid for up to an hour). */
const ASSUMED_LIFETIME_MS = 10 * 60_000

/** What the exchange learnt from the session token (its claims, read without verifying). */
export interface SessionClaims {
  /** The `tenant` claim: the tenancy OCID. */
  tenancy?: string
  /** The `sub` claim: the user the session acts as. */
  subject?: string
  expiresAt: Date
}

export interface OidcExchangeOptions {
  oidc: OciOidcSettings
  /** The run's retries (network failures, 429, 5xx). */
  retry: RetrySession | RetryPolicy
  /** GitHub's OIDC token for an audience; default core.getIDToken (which masks it). */
  getIdToken?: (audience: string) => Promise<string>
  /** Called with every secret the moment it exists; default core.setSecret. */
  onSecret?: (secret: string) => void
  now?: () => number
  /** Give up on one request after this many seconds (default 30). */
  requestTimeoutSeconds?: number
}

/** An open session: the first token's claims, and the session that renews it. */
export interface OpenedSession {
  session: OciSession
  claims: SessionClaims
}

/** Makes the key pair, runs the first exchange, and returns the session that renews itself. */
export async function openOciSession(options: OidcExchangeOptions): Promise<OpenedSession> {
  const session = new UpstSession(options)
  const claims = await session.start()
  return {session, claims}
}

/**
 * A UPST and the key pair it is bound to. token() renews it with a fresh exchange (a fresh
 * GitHub token, the same key) when it is within `renewBeforeMs` of expiring (or past half its
 * life, for short ones); concurrent callers share one renewal.
 */
export class UpstSession implements OciSession {
  readonly privateKeyPem: string
  private readonly publicKeyDer: string
  private current?: {token: string; claims: SessionClaims; obtainedAtMs: number}
  private renewal?: Promise<string>
  private readonly now: () => number
  private readonly mask: (secret: string) => void

  constructor(private readonly options: OidcExchangeOptions) {
    this.now = options.now ?? Date.now
    this.mask = options.onSecret ?? core.setSecret
    const {privateKey, publicKey} = generateKeyPairSync('rsa', {modulusLength: 2048})
    this.privateKeyPem = privateKey.export({type: 'pkcs1', format: 'pem'}).toString()
    maskPem(this.privateKeyPem, this.mask)
    this.publicKeyDer = publicKey.export({type: 'spki', format: 'der'}).toString('base64')
  }

  async start(): Promise<SessionClaims> {
    await this.token()
    return (this.current as {claims: SessionClaims}).claims
  }

  async token(): Promise<string> {
    if (this.current && !this.expiresSoon(this.current)) return this.current.token
    const renewing = Boolean(this.current)
    this.renewal ??= this.exchange()
      .then((fresh) => {
        if (renewing) core.info(`Renewed the OCI session token (${expiryNote(fresh.claims)})`)
        this.current = {...fresh, obtainedAtMs: this.now()}
        return fresh.token
      })
      .finally(() => {
        this.renewal = undefined
      })
    return this.renewal
  }

  private expiresSoon(current: {claims: SessionClaims; obtainedAtMs: number}): boolean {
    const expiresAtMs = current.claims.expiresAt.getTime()
    const lifetimeMs = Math.max(expiresAtMs - current.obtainedAtMs, 0)
    const margin = Math.min(this.options.oidc.renewBeforeMs, lifetimeMs / 2)
    return this.now() >= expiresAtMs - margin
  }

  /** One exchange: a fresh GitHub token for the audience, then the domain's token endpoint. */
  private async exchange(): Promise<{token: string; claims: SessionClaims}> {
    const {oidc} = this.options
    const getIdToken = this.options.getIdToken ?? ((audience: string) => core.getIDToken(audience))
    let jwt: string
    try {
      jwt = await getIdToken(oidc.audience)
    } catch (err) {
      throw new ActionError(
        `GitHub did not give an OIDC token for audience ${oidc.audience}: ${err instanceof Error ? err.message : String(err)}`,
        'check that the job has `permissions: id-token: write`, and re-run if GitHub had a fault',
      )
    }
    this.mask(jwt)
    const token = await exchangeForUpst({...this.options, jwt, publicKeyDer: this.publicKeyDer})
    this.mask(token)
    return {token, claims: readClaims(token, this.now())}
  }
}

/** POST <domain>/oauth2/v1/token: the token exchange, with Basic client credentials. */
async function exchangeForUpst(
  options: OidcExchangeOptions & {jwt: string; publicKeyDer: string},
): Promise<string> {
  const {oidc} = options
  const url = `${oidc.domainUrl}${TOKEN_EXCHANGE_PATH}`
  const timeoutMs = (options.requestTimeoutSeconds ?? 30) * 1000
  const session =
    options.retry instanceof RetrySession ? options.retry : new RetrySession(options.retry)
  // As Oracle's own oci-token-exchange action sends them: not form-encoded first.
  const basic = Buffer.from(`${oidc.clientId}:${oidc.clientSecret}`).toString('base64')
  ;(options.onSecret ?? core.setSecret)(basic)
  const body = new URLSearchParams({
    grant_type: GRANT_TYPE,
    requested_token_type: REQUESTED_TOKEN_TYPE,
    subject_token: options.jwt,
    subject_token_type: 'jwt',
    public_key: options.publicKeyDer,
  }).toString()
  return session.run(
    `POST ${url}`,
    async () => {
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Basic ${basic}`,
            'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
            accept: 'application/json',
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        const cause = (err as {cause?: {message?: string}}).cause?.message
        throw new OciRequestError(
          'TokenExchange',
          undefined,
          undefined,
          undefined,
          `${url} could not be reached: ${err instanceof Error ? err.message : String(err)}${cause ? `: ${cause}` : ''}`,
          'check oci-identity-domain (the Domain URL of the identity domain) and the network',
        )
      }
      const text = (await readCapped(response, ANSWER_BYTES, `POST ${url}`)).toString('utf8')
      const answer = parseJson(text) as Record<string, unknown> | undefined
      if (response.ok && typeof answer?.token === 'string' && answer.token) return answer.token
      throw exchangeError(response, answer, text, oidc)
    },
    () => {},
    {relogin: false},
  )
}

/** What the domain said, and what to fix: the client, the trust, its rule, the token's age. */
function exchangeError(
  response: Response,
  answer: Record<string, unknown> | undefined,
  text: string,
  oidc: OciOidcSettings,
): OciRequestError {
  const error = typeof answer?.error === 'string' ? answer.error : undefined
  const description =
    typeof answer?.error_description === 'string'
      ? answer.error_description
      : typeof answer?.detail === 'string'
        ? answer.detail
        : undefined
  const said =
    [error, description].filter(Boolean).join(': ') ||
    (response.ok ? 'the answer held no token' : text.slice(0, 200) || response.statusText)
  return new OciRequestError(
    'TokenExchange',
    response.status,
    error,
    response.headers.get('opc-request-id') ?? undefined,
    `the identity domain ${oidc.domainUrl} refused to exchange GitHub's OIDC token: ${said}`,
    exchangeHint(response.status, error ?? '', description ?? text, oidc),
    retryAfterMs(response.headers.get('retry-after')),
  )
}

function exchangeHint(
  status: number,
  error: string,
  description: string,
  oidc: OciOidcSettings,
): string {
  if (error === 'invalid_client' || status === 401) {
    return (
      'the client credentials were refused: check oci-oidc-client-id and oci-oidc-client-secret ' +
      "against the confidential application's OAuth configuration (client ID and secret) in the " +
      'identity domain, and that the application is activated'
    )
  }
  if (/expir/i.test(description)) {
    return (
      "GitHub's OIDC token had expired when the domain checked it: re-run the job; if it " +
      "recurs, check the runner's clock"
    )
  }
  if (/\b(sub|subject)\b|rule|condition|claim/i.test(description)) {
    return (
      "the Identity Propagation Trust's rule does not match this workflow's token: the rule " +
      'must accept its sub, e.g. repo:<org>/<repo>:ref:refs/heads/main (a pull request has ' +
      'repo:<org>/<repo>:pull_request, an environment repo:<org>/<repo>:environment:<name>)'
    )
  }
  if (/\biss(uer)?\b|trust|jwks|signature|audience|\baud\b/i.test(description)) {
    return (
      'the identity domain has no active Identity Propagation Trust for this token: create one ' +
      'for the issuer https://token.actions.githubusercontent.com (public certificate from ' +
      `https://token.actions.githubusercontent.com/.well-known/jwks), with audience ${oidc.audience} ` +
      '(oci-oidc-audience), the confidential application in its client list, and impersonating the ' +
      'service user'
    )
  }
  if (status === 429) return 'the identity domain throttled the requests; raise retries or re-run'
  if (status >= 500) return 'the identity domain had a server error; re-run later'
  return (
    'check the Identity Propagation Trust (issuer https://token.actions.githubusercontent.com, ' +
    'its sub rule, the impersonated service user) and the confidential application (client ' +
    'credentials and token exchange grant allowed)'
  )
}

/** The claims the run needs, read without verifying (the domain verifies; OCI checks every call). */
export function readClaims(token: string, nowMs: number): SessionClaims {
  const payload = token.split('.')[1]
  const claims = payload
    ? (parseJson(Buffer.from(payload, 'base64url').toString('utf8')) as
        Record<string, unknown> | undefined)
    : undefined
  if (!claims) {
    throw new ActionError(
      'the identity domain answered with a session token that is not a JWT',
      'check that oci-identity-domain is an OCI identity domain URL',
    )
  }
  return {
    tenancy: typeof claims.tenant === 'string' ? claims.tenant : undefined,
    subject: typeof claims.sub === 'string' ? claims.sub : undefined,
    expiresAt: new Date(
      typeof claims.exp === 'number' ? claims.exp * 1000 : nowMs + ASSUMED_LIFETIME_MS,
    ),
  }
}

function expiryNote(claims: SessionClaims): string {
  return `valid until ${claims.expiresAt.toISOString()}`
}

/** The PEM and each line of its body: logs are masked line by line. */
function maskPem(pem: string, mask: (secret: string) => void): void {
  mask(pem)
  for (const line of pem.split('\n')) if (line.length >= 8 && !line.includes('-----')) mask(line)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
