import {createHash} from 'node:crypto'
import {RegistryError} from '../errors.js'
import type {ManifestRef, RegistryClient} from './ports.js'
import {retryAfterMs, RetrySession, type RetryPolicy, type RunOptions} from './retry.js'

/** Every manifest kind we read or copy: Docker schema 2, manifest lists, OCI manifests and indexes. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const

export interface RegistryHttpOptions {
  host: string
  /** Plain HTTP (loopback registries). */
  insecure: boolean
  username?: string
  password?: string
  /**
   * The run's retries: every HTTP attempt goes through it, and a manifest push refused after a
   * transient fault gets its fresh login. A bare policy gets a session of its own.
   */
  retry: RetrySession | RetryPolicy
  /** Called with every bearer token the moment it is obtained, so it can be masked. */
  onSecret?: (secret: string) => void
  /** Called once per HTTP request made (for counting in tests and benchmarks). */
  onRequest?: (method: string, url: string, status: number | 'error') => void
  fetch?: typeof fetch
  /** Per HTTP request, token requests included; default 120 s (a big blob takes a while). */
  timeoutMs?: number
  /** Caps on the session's retries for every request of this client (a probe that can give up). */
  retryCaps?: Pick<RunOptions, 'retries' | 'unreachableRetries'>
}

interface Challenge {
  scheme: string
  params: Record<string, string>
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504])

/** The `/v2/` API, with Basic and Bearer challenges, pagination and retries. */
export class RegistryHttpClient implements RegistryClient {
  private readonly base: string
  private readonly fetchImpl: typeof fetch
  /** Authorization header per scope, reused until the registry refuses it. */
  private readonly authorization = new Map<string, string>()
  private credentials: {username?: string; password?: string}
  /** Basic credentials are not scoped: once a registry asked for them, send them everywhere. */
  private basicAuthorization: string | undefined
  private readonly masked = new Set<string>()
  private readonly retry: RetrySession

  constructor(private readonly options: RegistryHttpOptions) {
    this.retry =
      options.retry instanceof RetrySession ? options.retry : new RetrySession(options.retry)
    this.credentials = {username: options.username, password: options.password}
    this.base = `${options.insecure ? 'http' : 'https'}://${options.host}`
    this.fetchImpl = options.fetch ?? fetch
  }

  async manifestDigest(ref: ManifestRef): Promise<string | undefined> {
    const path = `/v2/${ref.repository}/manifests/${ref.reference}`
    const response = await this.request('HEAD', path, pullScope(ref.repository), {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    })
    if (response.status === 404) return undefined
    await this.expectOk(response, `HEAD ${ref.repository}:${ref.reference}`)
    const digest = response.headers.get('docker-content-digest')
    if (digest) return digest
    // Some registries leave the header off HEAD answers: hash the manifest bytes instead.
    const manifest = await this.getManifest(ref)
    return manifest?.digest
  }

  async getManifest(
    ref: ManifestRef,
    scope = pullScope(ref.repository),
  ): Promise<{body: Buffer; mediaType: string; digest: string} | undefined> {
    const path = `/v2/${ref.repository}/manifests/${ref.reference}`
    const response = await this.request('GET', path, scope, {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    })
    if (response.status === 404) return undefined
    await this.expectOk(response, `GET manifest ${ref.repository}:${ref.reference}`)
    const body = Buffer.from(await response.arrayBuffer())
    const mediaType =
      (response.headers.get('content-type') ?? '').split(';')[0].trim() || mediaTypeOf(body)
    const digest = response.headers.get('docker-content-digest') ?? contentDigest(body)
    return {body, mediaType, digest}
  }

  async putManifest(
    repository: string,
    reference: string,
    body: Buffer,
    mediaType: string,
  ): Promise<string> {
    return this.retry.run(`PUT manifest ${repository}:${reference}`, () =>
      this.putManifestOnce(repository, reference, body, mediaType),
    )
  }

  private async putManifestOnce(
    repository: string,
    reference: string,
    body: Buffer,
    mediaType: string,
  ): Promise<string> {
    const path = `/v2/${repository}/manifests/${reference}`
    const response = await this.request(
      'PUT',
      path,
      pushScope(repository),
      {'content-type': mediaType},
      body,
    )
    await this.expectOk(response, `PUT manifest ${repository}:${reference}`)
    return response.headers.get('docker-content-digest') ?? contentDigest(body)
  }

  async copyManifest(from: ManifestRef, toTags: readonly string[]): Promise<string> {
    return this.retry.run(`copy ${from.repository}:${from.reference}`, () =>
      this.copyManifestOnce(from, toTags),
    )
  }

  private async copyManifestOnce(from: ManifestRef, toTags: readonly string[]): Promise<string> {
    // Read with the push scope: the PUT that follows then reuses the same token.
    const manifest = await this.getManifest(from, pushScope(from.repository))
    if (!manifest)
      throw new RegistryError(
        `manifest ${from.repository}:${from.reference} not found on ${this.options.host}`,
        404,
      )
    // The exact bytes go back up, so every tag names the very same digest.
    for (const tag of toTags)
      await this.putManifestOnce(from.repository, tag, manifest.body, manifest.mediaType)
    return manifest.digest
  }

  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = []
    let path: string | undefined = `/v2/${repository}/tags/list?n=1000`
    while (path) {
      const response = await this.request('GET', path, pullScope(repository), {
        accept: 'application/json',
      })
      if (response.status === 404) return tags
      await this.expectOk(response, `list tags of ${repository}`)
      const body = (await response.json()) as {tags?: string[] | null}
      tags.push(...(body.tags ?? []))
      path = nextPage(response.headers.get('link'))
    }
    return tags
  }

  async getBlob(repository: string, digest: string): Promise<Buffer | undefined> {
    const response = await this.request(
      'GET',
      `/v2/${repository}/blobs/${digest}`,
      pullScope(repository),
      {},
    )
    if (response.status === 404) return undefined
    await this.expectOk(response, `GET blob ${repository}@${digest}`)
    const body = Buffer.from(await response.arrayBuffer())
    const got = contentDigest(body)
    if (digest.startsWith('sha256:') && got !== digest)
      throw new RegistryError(
        `GET blob ${repository}@${digest} on ${this.options.host} returned bytes whose digest is ${got}`,
        undefined,
        'DIGEST_INVALID',
        'the registry or a proxy in between altered the blob; try again or check the registry',
      )
    return body
  }

  async putBlob(repository: string, body: Buffer): Promise<string> {
    const digest = contentDigest(body)
    return this.retry.run(`PUT blob ${repository}@${digest}`, () =>
      this.putBlobOnce(repository, body, digest),
    )
  }

  private async putBlobOnce(repository: string, body: Buffer, digest: string): Promise<string> {
    // Every step asks for the push scope, so a Bearer registry issues one token for all three.
    const scope = pushScope(repository)
    const head = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, scope, {})
    if (head.ok) return digest
    if (head.status !== 404) await this.expectOk(head, `HEAD blob ${repository}@${digest}`)
    const start = await this.request('POST', `/v2/${repository}/blobs/uploads/`, scope, {
      'content-length': '0',
    })
    await this.expectOk(start, `start a blob upload to ${repository}`)
    await start.arrayBuffer().catch(() => undefined)
    const location = start.headers.get('location')
    if (!location)
      throw new RegistryError(
        `start a blob upload to ${repository} on ${this.options.host}: HTTP ${start.status} without a Location header`,
        start.status,
      )
    // Appended, not set through URLSearchParams: the registry's own query (its upload state) goes
    // back byte for byte.
    const upload = new URL(location, `${this.base}/`).toString()
    const put = await this.request(
      'PUT',
      `${upload}${upload.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`,
      scope,
      {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
      },
      body,
    )
    await this.expectOk(put, `PUT blob ${repository}@${digest}`)
    await put.arrayBuffer().catch(() => undefined)
    return put.headers.get('docker-content-digest') ?? digest
  }

  /**
   * Deletes a manifest by digest (or a tag, where the registry allows it). True when deleted,
   * false when it was not there (404). Any other refusal throws a RegistryError with its status and
   * code (405 or UNSUPPORTED: the registry does not allow deletes).
   */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const response = await this.request(
      'DELETE',
      `/v2/${repository}/manifests/${reference}`,
      deleteScope(repository),
      {accept: MANIFEST_MEDIA_TYPES.join(', ')},
    )
    if (response.status === 404) {
      await response.arrayBuffer().catch(() => undefined)
      return false
    }
    await this.expectOk(response, `DELETE ${repository}@${reference}`)
    await response.arrayBuffer().catch(() => undefined)
    return true
  }

  /** A renewed login (a fresh short-lived token): cached authorizations are dropped. */
  setCredentials(username: string, password: string): void {
    this.credentials = {username, password}
    this.authorization.clear()
  }

  /** Checks that the credentials are accepted, without touching any repository. */
  async ping(): Promise<void> {
    const response = await this.request('GET', '/v2/', '', {})
    await this.expectOk(response, 'GET /v2/')
  }

  private async request(
    method: string,
    path: string,
    scope: string,
    headers: Record<string, string>,
    body?: Buffer,
  ): Promise<Response> {
    const cached = this.authorization.get(scope) ?? this.basicAuthorization
    let response = await this.send(method, path, headers, body, cached)
    if (response.status !== 401) return response
    // No credentials yet for this scope, or the cached token expired or was revoked: ask again.
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '')
    if (!challenge) return response
    const authorization = await this.authorize(challenge, scope)
    if (!authorization || authorization === cached) return response
    await response.arrayBuffer().catch(() => undefined)
    if (challenge.scheme === 'basic') this.basicAuthorization = authorization
    else this.authorization.set(scope, authorization)
    response = await this.send(method, path, headers, body, authorization)
    return response
  }

  private async authorize(challenge: Challenge, scope: string): Promise<string | undefined> {
    const {username, password} = this.credentials
    const basic =
      username !== undefined && password !== undefined
        ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
        : undefined
    if (basic) this.mask(basic.slice(6))
    if (challenge.scheme === 'basic') return basic
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) return undefined
    const url = new URL(challenge.params.realm)
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service)
    const wanted = scope || challenge.params.scope
    if (wanted) url.searchParams.set('scope', wanted)
    const response = await this.attempts(
      'GET',
      url.toString(),
      {headers: basic ? {authorization: basic} : {}},
      this.options.timeoutMs ?? 60_000,
    )
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined)
      throw new RegistryError(
        `the token service ${url.origin}${url.pathname} refused the credentials (HTTP ${response.status})`,
        response.status,
        'UNAUTHORIZED',
      )
    }
    const token = (await response.json()) as {token?: string; access_token?: string}
    const value = token.token ?? token.access_token
    if (!value)
      throw new RegistryError(
        `the token service ${url.origin}${url.pathname} answered without a token`,
        response.status,
      )
    this.mask(value)
    return `Bearer ${value}`
  }

  private mask(secret: string): void {
    if (this.masked.has(secret)) return
    this.masked.add(secret)
    this.options.onSecret?.(secret)
  }

  /** `path` is a path on the registry, or an absolute URL (an upload Location). */
  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    authorization: string | undefined,
  ): Promise<Response> {
    const url = /^https?:\/\//i.test(path) ? path : `${this.base}${path}`
    // Credentials go to the registry only, never to another host an upload was sent to.
    const sameOrigin = new URL(url).origin === new URL(this.base).origin
    return this.attempts(
      method,
      url,
      {
        method,
        headers: {...headers, ...(authorization && sameOrigin ? {authorization} : {})},
        body: body === undefined ? undefined : new Uint8Array(body),
        redirect: 'follow',
      },
      this.options.timeoutMs ?? 120_000,
    )
  }

  /**
   * One request, through the run's retries: connection errors, 5xx, 408 and 429 are tried again
   * (after the Retry-After the registry asked for); every other answer is returned as it came.
   */
  private attempts(
    method: string,
    url: string,
    init: RequestInit,
    timeoutMs: number,
  ): Promise<Response> {
    return this.retry.run(
      `${method} ${url}`,
      async () => {
        let response: Response
        try {
          response = await this.fetchImpl(url, {...init, signal: AbortSignal.timeout(timeoutMs)})
        } catch (err) {
          this.options.onRequest?.(method, url, 'error')
          const cause =
            err instanceof Error
              ? ((err.cause as Error | undefined)?.message ?? err.message)
              : String(err)
          throw new RegistryError(
            `${method} ${url} failed: ${cause}`,
            undefined,
            undefined,
            `check that ${this.options.host} is reachable from this runner`,
          )
        }
        this.options.onRequest?.(method, url, response.status)
        if (!TRANSIENT_STATUS.has(response.status)) return response
        await response.arrayBuffer().catch(() => undefined)
        throw new RegistryError(
          `${method} ${url} answered HTTP ${response.status}`,
          response.status,
          undefined,
          undefined,
          retryAfterMs(response.headers.get('retry-after')),
        )
      },
      () => {},
      {relogin: false, ...this.options.retryCaps},
    )
  }

  private async expectOk(response: Response, what: string): Promise<void> {
    if (response.ok) return
    let detail = ''
    let code: string | undefined
    try {
      const body = (await response.json()) as {errors?: {code?: string; message?: string}[]}
      const first = body.errors?.[0]
      code = first?.code
      detail = first ? `${first.code ?? ''}: ${first.message ?? ''}` : ''
    } catch {
      // not a JSON error body
    }
    throw new RegistryError(
      `${what} on ${this.options.host} failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
      response.status,
      code,
    )
  }
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`
}

/** Distribution's token auth checks the `delete` action for a manifest DELETE. */
export function deleteScope(repository: string): string {
  return `repository:${repository}:delete`
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`
}

/** Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/.exec(header)
  if (!match) return undefined
  const params: Record<string, string> = {}
  for (const param of match[2].matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[param[1].toLowerCase()] = param[2] ?? param[3]
  }
  return {scheme: match[1].toLowerCase(), params}
}

/** The next page from a `Link: </v2/…?last=x&n=100>; rel="next"` header. */
export function nextPage(link: string | null): string | undefined {
  if (!link) return undefined
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)
  if (!match) return undefined
  const target = match[1]
  if (target.startsWith('/')) return target
  try {
    const url = new URL(target)
    return `${url.pathname}${url.search}`
  } catch {
    return undefined
  }
}

/** The digest a registry names content by: `sha256:` and the hex SHA-256 of its bytes. */
export function contentDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}

function mediaTypeOf(body: Buffer): string {
  try {
    return (
      (JSON.parse(body.toString('utf8')) as {mediaType?: string}).mediaType ??
      MANIFEST_MEDIA_TYPES[2]
    )
  } catch {
    return MANIFEST_MEDIA_TYPES[2]
  }
}
