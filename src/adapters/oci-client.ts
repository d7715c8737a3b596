/**
 * OCI SDK clients built from API-key credentials, with our retry policy, no circuit breaker, and
 * errors that say what failed. The SDK is loaded with dynamic import() so a run that uses no OCI
 * feature never loads it.
 */
import * as core from '@actions/core'
import type * as OciCommon from 'oci-common'
import type {ArtifactsClient} from 'oci-artifacts'
import type {KmsCryptoClient} from 'oci-keymanagement'
import type {ObjectStorageClient} from 'oci-objectstorage'
import {isKeyless, type OciAuth, type OciSession} from '../model/oci.js'
import {ActionError, OciRequestError} from '../errors.js'
import {backoffMs, DEFAULT_RETRY_BASE_MS} from './retry.js'

/** How OCI SDK clients are built. */
export interface OciClientOptions {
  /** The parsed API key (config/oci-key.ts), or keyless credentials with their session open. */
  apiKey: OciAuth
  /** How many times a transient failure is retried (the `retries` input). */
  retries: number
  /** Base URL for every OCI call (the `oci-endpoint` input); default: the region's endpoints. */
  endpoint?: string
  /** First backoff step in milliseconds, as for every other retry of the run (default 1 s). */
  retryBaseMs?: number
  /** Give up on one HTTP request after this many seconds (default 60). */
  requestTimeoutSeconds?: number
}

const DEFAULT_REQUEST_TIMEOUT_SECONDS = 60

/** What `require('oci-common')` returns. */
export type OciCommonModule = typeof OciCommon

/** The oci-common module, loaded on first use. */
export async function loadOciCommon(): Promise<OciCommonModule> {
  return commonJs(await import('oci-common'))
}

/**
 * module.exports of a CommonJS package from import(): Node puts it under `default`; a bundler may
 * hand over the exports directly.
 */
function commonJs<T>(namespace: T): T {
  return (namespace as {default?: T}).default ?? namespace
}

/**
 * An in-memory auth provider for the SDK (no ~/.oci/config): the API key, or for keyless
 * credentials the session token (key id `ST$<token>`) and the private key it is bound to.
 */
export async function createAuthProvider(
  apiKey: OciAuth,
): Promise<OciCommon.AuthenticationDetailsProvider> {
  if (isKeyless(apiKey)) {
    if (!apiKey.session) {
      throw new ActionError(
        'an OCI call was about to be made before the OIDC token exchange',
        'this is a bug in ocir-push: please report it',
      )
    }
    return sessionAuthProvider(apiKey.session)
  }
  const common = await loadOciCommon()
  return new common.SimpleAuthenticationDetailsProvider(
    apiKey.tenancy,
    apiKey.user,
    apiKey.fingerprint,
    apiKey.privateKeyPem,
    null,
  )
}

/**
 * Signs with a session token: the SDK's signer asks for the key id on every request, so a renewed
 * token (OciSession renews it before it expires) is used from the next request on. oci-common's
 * own SessionAuthDetailProvider reads ~/.oci/config and files; this one keeps everything in memory.
 */
export function sessionAuthProvider(session: OciSession): OciCommon.AuthenticationDetailsProvider {
  return {
    getKeyId: async () => `ST$${await session.token()}`,
    getPrivateKey: () => session.privateKeyPem,
    getPassphrase: () => null,
  }
}

/**
 * Retries: `retries + 1` attempts with the run's backoff (retry.ts), instead of the SDK default
 * (8 attempts, which turns a dead endpoint into minutes). The SDK decides what is transient: 5xx,
 * 429, 409 IncorrectState, network errors. The circuit breaker is off: one run makes a handful of
 * calls, and an open breaker would only hide the real error.
 */
export function ociClientConfiguration(
  common: OciCommonModule,
  options: Omit<OciClientOptions, 'apiKey' | 'endpoint'>,
): OciCommon.ClientConfiguration {
  const baseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS
  const timeoutMs = (options.requestTimeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000
  return {
    retryConfiguration: {
      terminationStrategy: new common.MaxAttemptsTerminationStrategy(options.retries + 1),
      delayStrategy: {
        // attemptCount is 0 before the first retry; the SDK wants seconds.
        delay: (context) => backoffMs(baseMs, context.attemptCount) / 1000,
      },
      retryCondition: common.OciSdkDefaultRetryConfiguration.retryCondition,
    },
    circuitBreaker: new common.CircuitBreaker({disableClientCircuitBreaker: true}),
    // The SDK sets no timeout; a getter gives every request its own deadline.
    httpOptions: {
      get signal(): AbortSignal {
        return AbortSignal.timeout(timeoutMs)
      },
    },
  }
}

/** The client options of a run: its API key, its retries, its endpoint. One place for all clients. */
export function ociClientOptionsOf(
  config: {retries: number; retryBaseMs?: number; ociEndpoint?: string},
  apiKey: OciAuth,
): OciClientOptions {
  return {
    apiKey,
    retries: config.retries,
    retryBaseMs: config.retryBaseMs,
    endpoint: config.ociEndpoint,
  }
}

/** An Artifacts (container repositories) client; `endpoint` gets the SDK's `/20160918` appended. */
export async function createArtifactsClient(options: OciClientOptions): Promise<ArtifactsClient> {
  const {apiKey} = options
  const [common, artifacts] = await Promise.all([loadOciCommon(), import('oci-artifacts')])
  const {ArtifactsClient} = commonJs(artifacts)
  const client = new ArtifactsClient(
    {authenticationDetailsProvider: await createAuthProvider(apiKey)},
    ociClientConfiguration(common, options),
  )
  placeClient(client, apiKey, options.endpoint)
  return client
}

/**
 * A Vault crypto client (Sign): it has no regional endpoint, only the vault's own crypto endpoint,
 * and its request paths carry the `/20180608` version themselves.
 */
export async function createKmsCryptoClient(
  options: Omit<OciClientOptions, 'endpoint'> & {cryptoEndpoint: string},
): Promise<KmsCryptoClient> {
  const [common, keyManagement] = await Promise.all([loadOciCommon(), import('oci-keymanagement')])
  const {KmsCryptoClient} = commonJs(keyManagement)
  const client = new KmsCryptoClient(
    {authenticationDetailsProvider: await createAuthProvider(options.apiKey)},
    ociClientConfiguration(common, options),
  )
  client.endpoint = options.cryptoEndpoint.replace(/\/+$/, '')
  return client
}

/** An Object Storage client (namespace look-up); its endpoint has no version suffix. */
export async function createObjectStorageClient(
  options: OciClientOptions,
): Promise<ObjectStorageClient> {
  const {apiKey} = options
  const [common, objectStorage] = await Promise.all([loadOciCommon(), import('oci-objectstorage')])
  const {ObjectStorageClient} = commonJs(objectStorage)
  const client = new ObjectStorageClient(
    {authenticationDetailsProvider: await createAuthProvider(apiKey)},
    ociClientConfiguration(common, options),
  )
  placeClient(client, apiKey, options.endpoint)
  return client
}

/**
 * Region first, endpoint last: setting the region (re)computes the endpoint, so an override set
 * before it would be lost.
 */
function placeClient(
  client: {regionId: string; endpoint: string},
  apiKey: OciAuth,
  endpoint: string | undefined,
): void {
  if (apiKey.region) client.regionId = apiKey.region.id
  if (endpoint) client.endpoint = endpoint.replace(/\/+$/, '')
}

/**
 * Turns anything an SDK call throws into an OciRequestError. The SDK throws OciError for HTTP
 * errors, but a plain object `{code, message, requestEndpoint}` for network failures, and other
 * code may throw strings or undefined: none of it is lost.
 */
export function wrapOciError(operation: string, err: unknown, hint?: string): OciRequestError {
  if (err instanceof OciRequestError) return err
  const fields = typeof err === 'object' && err !== null ? (err as Record<string, unknown>) : {}
  const statusCode = typeof fields.statusCode === 'number' ? fields.statusCode : undefined
  const rawCode =
    typeof fields.serviceCode === 'string'
      ? fields.serviceCode
      : typeof fields.code === 'string'
        ? fields.code
        : undefined
  // The SDK writes 'None' when the error body had no code.
  const serviceCode = rawCode && rawCode !== 'None' ? rawCode : undefined
  const opcRequestId = typeof fields.opcRequestId === 'string' ? fields.opcRequestId : undefined
  let detail: string
  if (typeof fields.message === 'string' && fields.message) {
    detail = fields.message
    const cause = (fields.cause as {message?: unknown; code?: unknown} | undefined) ?? undefined
    if (cause && typeof cause.message === 'string') detail += `: ${cause.message}`
  } else if (typeof err === 'string' && err) {
    detail = err
  } else if (err instanceof Error) {
    detail = err.name
  } else {
    detail = `unexpected ${err === null ? 'null' : typeof err} thrown: ${safeString(err)}`
  }
  if (typeof fields.requestEndpoint === 'string' && !statusCode) {
    detail += ` (${fields.requestEndpoint})`
  }
  return new OciRequestError(
    operation,
    statusCode,
    serviceCode,
    opcRequestId,
    detail,
    hint ?? hintFor(statusCode, serviceCode),
  )
}

function hintFor(statusCode: number | undefined, serviceCode: string | undefined): string {
  if (statusCode === 401) {
    return (
      'OCI did not accept the request signature: check that oci-user, oci-tenancy, ' +
      "oci-fingerprint and oci-private-key belong to the same API key, and the runner's clock"
    )
  }
  if (statusCode === 404 || serviceCode === 'NotAuthorizedOrNotFound') {
    return (
      'the OCID is wrong or a policy is missing, e.g. ' +
      '"Allow group <group> to manage repos in tenancy"'
    )
  }
  if (serviceCode === 'LimitExceeded' || serviceCode === 'QuotaExceeded') {
    return (
      'a service limit or quota is reached (OCIR allows 500 repositories per region by default): ' +
      'delete unused repositories or request a limit increase'
    )
  }
  if (statusCode === 429) return 'OCI throttled the requests; raise retries or re-run later'
  if (statusCode !== undefined && statusCode >= 500) return 'OCI had a server error; re-run later'
  if (statusCode === undefined) {
    return 'the OCI API could not be reached: check the network, oci-region and oci-endpoint'
  }
  return 'see the OCI API error reference, https://docs.oracle.com/iaas/Content/API/References/apierrors.htm'
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * The OCI SDK's retrier writes every failed attempt to console.warn, an expected 409 from a
 * concurrent creation included; we report outcomes ourselves, so its lines go to the debug log.
 * Used only while nothing else runs (before the builds start).
 */
export async function sdkLogsAsDebug<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn
  console.warn = (...args: unknown[]) => core.debug(`OCI SDK: ${args.map(String).join(' ')}`)
  try {
    return await work()
  } finally {
    console.warn = warn
  }
}
