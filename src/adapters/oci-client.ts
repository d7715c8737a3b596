/**
 * OCI SDK clients built from API-key credentials, with our retry policy, no circuit breaker, and
 * errors that say what failed. The SDK is loaded with dynamic import() so a run that uses no OCI
 * feature never loads it.
 */
import {createHash, createPrivateKey, createPublicKey, type KeyObject} from 'node:crypto'
import type * as OciCommon from 'oci-common'
import type {ArtifactsClient} from 'oci-artifacts'
import type {ObjectStorageClient} from 'oci-objectstorage'
import type {OciCredentials} from '../config/action-config.js'
import {InputError, OciRequestError} from '../errors.js'
import {resolveRegion, type OciRegion} from '../plan/region.js'
import {backoffMs, DEFAULT_RETRY_BASE_MS} from './retry.js'

/** How OCI SDK clients are built. */
export interface OciClientOptions {
  credentials: OciCredentials
  /** How many times a transient failure is retried (the `retries` input). */
  retries: number
  /** Base URL for every OCI call (the `oci-endpoint` input); default: the region's endpoints. */
  endpoint?: string
  /** First backoff step in milliseconds, as for every other retry of the run (default 1 s). */
  retryBaseMs?: number
  /** Give up on one HTTP request after this many seconds (default 60). */
  requestTimeoutSeconds?: number
}

/** Credentials after validation: the key decrypted and re-encoded in a form the SDK's parser reads. */
export interface OciApiKey {
  tenancy: string
  user: string
  fingerprint: string
  /** Unencrypted PKCS#1 PEM. */
  privateKeyPem: string
  /** Undefined when an `oci-endpoint` makes the region unnecessary. */
  region?: OciRegion
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
 * Checks every piece of the API key before any request, so a mistake is an InputError naming the
 * input instead of a 401 from OCI. Also decrypts the key (node:crypto reads every PEM flavour:
 * PKCS#1, PKCS#8, encrypted PKCS#8 as OpenSSL 3 writes it) so the SDK never needs the passphrase.
 */
export function checkOciCredentials(
  credentials: OciCredentials,
  options: {regionRequired?: boolean} = {},
): OciApiKey {
  const user = required(credentials.user, 'oci-user', 'OCI_CLI_USER', 'the user OCID')
  const tenancy = required(
    credentials.tenancy,
    'oci-tenancy',
    'OCI_CLI_TENANCY',
    'the tenancy OCID',
  )
  const fingerprint = required(
    credentials.fingerprint,
    'oci-fingerprint',
    'OCI_CLI_FINGERPRINT',
    'the fingerprint of the API key',
  ).toLowerCase()
  const pem = required(
    credentials.privateKey,
    'oci-private-key',
    'OCI_CLI_KEY_CONTENT',
    'the PEM private key of the API key',
    '<redacted>',
  )
  if (!user.startsWith('ocid1.user.')) {
    throw new InputError(
      'oci-user',
      user,
      'use the user OCID (ocid1.user.oc1..…, Console → Profile → User settings), not the user name' +
        (user.startsWith('ocid1.tenancy.') ? '; this looks like the tenancy OCID' : ''),
    )
  }
  if (!tenancy.startsWith('ocid1.tenancy.')) {
    throw new InputError(
      'oci-tenancy',
      tenancy,
      'use the tenancy OCID (ocid1.tenancy.oc1..…, Console → Tenancy details)' +
        (tenancy.startsWith('ocid1.user.') ? '; this looks like the user OCID' : ''),
    )
  }
  if (!/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/.test(fingerprint)) {
    throw new InputError(
      'oci-fingerprint',
      fingerprint,
      'use the fingerprint shown next to the API key in the console, 16 hex pairs like 12:34:…:ef',
    )
  }
  const key = readPrivateKey(pem, credentials.passphrase)
  const keyFingerprint = publicKeyFingerprint(key)
  if (keyFingerprint !== fingerprint) {
    throw new InputError(
      'oci-fingerprint',
      fingerprint,
      `the private key in oci-private-key has the fingerprint ${keyFingerprint}; ` +
        'use the fingerprint and the key of the same API key',
    )
  }
  const regionInput = credentials.region?.trim() ?? ''
  if (!regionInput && options.regionRequired !== false) {
    throw new InputError(
      'oci-region',
      '',
      'set the oci-region input or the OCI_CLI_REGION environment variable (e.g. us-ashburn-1), ' +
        'or oci-endpoint',
    )
  }
  return {
    tenancy,
    user,
    fingerprint,
    privateKeyPem: key.export({type: 'pkcs1', format: 'pem'}).toString(),
    region: regionInput ? resolveRegion(regionInput, 'oci-region') : undefined,
  }
}

/** The MD5 fingerprint OCI shows for an API key: of the DER public key, as colon-separated hex. */
export function publicKeyFingerprint(key: KeyObject): string {
  const der = createPublicKey(key).export({type: 'spki', format: 'der'})
  return (createHash('md5').update(der).digest('hex').match(/../g) ?? []).join(':')
}

/** An in-memory auth provider for the SDK (no ~/.oci/config). */
export async function createAuthProvider(
  apiKey: OciApiKey,
): Promise<OciCommon.SimpleAuthenticationDetailsProvider> {
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
 * Retries: `retries + 1` attempts with the run's backoff (retry.ts), instead of the SDK default
 * (8 attempts, which turns a dead endpoint into minutes). The SDK decides what is transient: 5xx,
 * 429, 409 IncorrectState, network errors. The circuit breaker is off: one run makes a handful of
 * calls, and an open breaker would only hide the real error.
 */
export function ociClientConfiguration(
  common: OciCommonModule,
  options: Omit<OciClientOptions, 'credentials' | 'endpoint'>,
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

/** An Artifacts (container repositories) client; `endpoint` gets the SDK's `/20160918` appended. */
export async function createArtifactsClient(options: OciClientOptions): Promise<ArtifactsClient> {
  const apiKey = checkOciCredentials(options.credentials, {regionRequired: !options.endpoint})
  const [common, artifacts] = await Promise.all([loadOciCommon(), import('oci-artifacts')])
  const {ArtifactsClient} = commonJs(artifacts)
  const client = new ArtifactsClient(
    {authenticationDetailsProvider: await createAuthProvider(apiKey)},
    ociClientConfiguration(common, options),
  )
  placeClient(client, apiKey, options.endpoint)
  return client
}

/** An Object Storage client (namespace look-up); its endpoint has no version suffix. */
export async function createObjectStorageClient(
  options: OciClientOptions,
): Promise<ObjectStorageClient> {
  const apiKey = checkOciCredentials(options.credentials, {regionRequired: !options.endpoint})
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
  apiKey: OciApiKey,
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

function required(
  value: string | undefined,
  input: string,
  envName: string,
  what: string,
  shown?: string,
): string {
  const trimmed = value?.trim() ?? ''
  if (!trimmed) {
    throw new InputError(
      input,
      shown ?? '',
      `set the ${input} input or the ${envName} environment variable to ${what}`,
    )
  }
  return trimmed
}

/** Parses the PEM private key; errors name the input without ever showing the key. */
function readPrivateKey(text: string, passphrase: string | undefined): KeyObject {
  const pem = normalisePem(text)
  if (!pem) {
    const looksLikePath = !text.includes('\n') && /^(~|\.|\/|[A-Za-z]:\\)/.test(text.trim())
    throw new InputError(
      'oci-private-key',
      '<redacted>',
      text.includes('PUBLIC KEY')
        ? 'it is a public key; give the private key of the API key'
        : looksLikePath
          ? 'it looks like a file path; give the content of the key file (-----BEGIN PRIVATE KEY----- …)'
          : 'it is not a PEM private key; give the whole key file, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----',
    )
  }
  const encrypted = /ENCRYPTED/.test(pem)
  if (encrypted && !passphrase) {
    throw new InputError(
      'oci-private-key-passphrase',
      '',
      'the private key is encrypted: set oci-private-key-passphrase or OCI_CLI_PASSPHRASE',
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey({
      key: pem,
      format: 'pem',
      passphrase: encrypted ? passphrase : undefined,
    })
  } catch {
    if (encrypted) {
      throw new InputError(
        'oci-private-key-passphrase',
        '<redacted>',
        'it does not decrypt the private key; check the passphrase of this key',
      )
    }
    throw new InputError(
      'oci-private-key',
      '<redacted>',
      'the PEM block could not be read as a private key; paste the key file unchanged',
    )
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InputError(
      'oci-private-key',
      '<redacted>',
      `it is a ${key.asymmetricKeyType ?? 'non-RSA'} key; OCI API keys are RSA keys`,
    )
  }
  return key
}

/**
 * The PEM block of the text, or undefined. Repairs what secret stores do to keys: `\n` written as
 * two characters, line breaks turned into spaces, and the `OCI_API_KEY` line the console appends.
 */
function normalisePem(text: string): string | undefined {
  const unescaped = text.includes('\n') ? text : text.replace(/\\n/g, '\n')
  const block = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(unescaped)
  if (!block) return undefined
  const [, label, inner] = block
  // An encrypted PKCS#1 key has `Proc-Type:`/`DEK-Info:` header lines that must stay lines.
  if (/Proc-Type:/.test(inner)) return `${block[0].trim()}\n`
  const body = inner.replace(/\s+/g, '')
  const lines = body.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
