import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'
import {ActionError, RegistryError, TransientError} from '../errors.js'
import {contentDigest} from '../model/digest.js'
import {isLoopbackHost} from '../plan/registry-target.js'
import type {BlobTransferClient, ManifestRef, RegistryClient, ReplayableBytes} from '../ports.js'
import {httpTransport, nodeBodyOf, type HttpTransport} from './http-transport.js'
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
  /** How requests are sent: node:http by default (Node's fetch also fits). */
  fetch?: HttpTransport
  /** Per HTTP request, token requests included; default 120 s (a big blob takes a while). */
  timeoutMs?: number
  /** Caps on the session's retries for every request of this client (a probe that can give up). */
  retryCaps?: Pick<RunOptions, 'retries' | 'unreachableRetries'>
  /** Caps on what the registry may send (tests lower them); DEFAULT_REGISTRY_LIMITS otherwise. */
  limits?: Partial<RegistryLimits>
}

/** How much a registry may make us read or follow: its answers are untrusted. */
export interface RegistryLimits {
  /** One manifest body (distribution itself refuses manifests over 4 MiB). */
  manifestBytes: number
  /** One JSON answer: a page of a tag listing, a token (error bodies: 64 KiB, read for their code). */
  jsonBytes: number
  /** A blob read into memory (an image config). */
  blobBytes: number
  /** Pages of one tag listing. */
  tagPages: number
  /** Redirects followed for one request. */
  redirects: number
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  manifestBytes: 4 * 1024 * 1024,
  jsonBytes: 8 * 1024 * 1024,
  blobBytes: 16 * 1024 * 1024,
  tagPages: 1000,
  redirects: 5,
}

/** The only digest form we read, sign or delete by. */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/
/** A tag as the distribution spec allows it. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/
/** A repository path as the distribution spec allows it (lowercase components, `/` between). */
const REPOSITORY =
  /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/

export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST.test(value)
}

/**
 * A registry answer we refuse to act on: bytes that are not what their digest says, an answer over
 * a size cap, a listing that never ends, a name that would leave its repository in a URL, a
 * challenge from another origin or over plain HTTP. Not a RegistryError: another attempt would
 * meet the same answer, so it is never retried.
 */
export class RegistryTrustError extends ActionError {}

/** Bodies we throw away are read this far at most, then the stream is cancelled. */
const DISCARD_BYTES = 64 * 1024
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308])

/** How one request is made (request → send → follow → attempts). */
interface RequestMode {
  /** One attempt only: the caller retries (a chunk of an upload, after asking for its offset). */
  once?: boolean
  /** The body is streamed by the caller: the timeout covers the headers, not the body. */
  streamed?: boolean
}

interface Challenge {
  scheme: string
  params: Record<string, string>
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504])

/**
 * The `/v2/` API, with Basic and Bearer challenges, pagination and retries. Everything the
 * registry sends is checked before it is used: manifest and blob bytes against their digest,
 * sizes against RegistryLimits, names before they go into a URL, and challenges against the
 * registry's own origin (credentials never go anywhere else).
 */
export class RegistryHttpClient implements RegistryClient, BlobTransferClient {
  private readonly base: string
  /** scheme://host:port of the registry: the only origin that gets its credentials. */
  private readonly origin: string
  private readonly fetchImpl: HttpTransport
  private readonly limits: RegistryLimits
  /** Authorization header per scope, reused until the registry refuses it. */
  private readonly authorization = new Map<string, string>()
  private credentials: {username?: string; password?: string}
  /** Basic credentials are not scoped: once a registry asked for them, send them everywhere. */
  private basicAuthorization: string | undefined
  /** The registry's Bearer challenge, once it made one: its token service, asked up front after. */
  private bearerChallenge: Challenge | undefined
  private readonly masked = new Set<string>()
  private readonly retry: RetrySession
  /** The URL each answer came from (the last hop of its redirects). */
  private readonly answeredBy = new WeakMap<Response, string>()

  constructor(private readonly options: RegistryHttpOptions) {
    this.retry =
      options.retry instanceof RetrySession ? options.retry : new RetrySession(options.retry)
    this.credentials = {username: options.username, password: options.password}
    this.base = `${options.insecure ? 'http' : 'https'}://${options.host}`
    this.origin = new URL(this.base).origin
    this.fetchImpl = options.fetch ?? httpTransport
    this.limits = {...DEFAULT_REGISTRY_LIMITS, ...options.limits}
  }

  async manifestDigest(ref: ManifestRef): Promise<string | undefined> {
    const path = this.manifestPath(ref.repository, ref.reference)
    const response = await this.request('HEAD', path, pullScope(ref.repository), {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    })
    if (response.status === 404) return undefined
    await this.expectOk(response, `HEAD ${ref.repository}:${ref.reference}`)
    await discard(response)
    // A HEAD has no body to hash: a header of the one digest form we use (the very digest asked
    // for, when asked by digest) is taken, and every later read by it is checked against its
    // bytes. Anything else (or no header, as some registries answer): the manifest is read and
    // hashed.
    const digest = response.headers.get('docker-content-digest')?.trim()
    const byDigest = isSha256Digest(ref.reference)
    if (digest && isSha256Digest(digest) && (!byDigest || digest === ref.reference)) return digest
    const manifest = await this.getManifest(ref)
    return manifest?.digest
  }

  /**
   * A manifest's bytes, checked: read by digest, they must hash to it; read by tag, to the
   * Docker-Content-Digest the registry names (when it names one). The digest returned is always
   * the one computed from the bytes.
   */
  async getManifest(
    ref: ManifestRef,
    scope = pullScope(ref.repository),
  ): Promise<{body: Buffer; mediaType: string; digest: string} | undefined> {
    const path = this.manifestPath(ref.repository, ref.reference)
    const response = await this.request('GET', path, scope, {
      accept: MANIFEST_MEDIA_TYPES.join(', '),
    })
    if (response.status === 404) {
      await discard(response)
      return undefined
    }
    const byDigest = isSha256Digest(ref.reference)
    const what = `GET manifest ${ref.repository}${byDigest ? '@' : ':'}${ref.reference}`
    await this.expectOk(response, what)
    const body = await readCapped(
      response,
      this.limits.manifestBytes,
      `${what} on ${this.options.host}`,
    )
    const mediaType =
      (response.headers.get('content-type') ?? '').split(';')[0].trim() || mediaTypeOf(body)
    const digest = contentDigest(body)
    if (byDigest && digest !== ref.reference)
      throw this.digestMismatch(
        `${what} on ${this.options.host} returned bytes whose digest is ${digest}`,
      )
    const named = response.headers.get('docker-content-digest')?.trim()
    if (!byDigest && named && named !== digest)
      throw this.digestMismatch(
        `${what} on ${this.options.host} returned bytes whose digest is ${digest}, not the ${named} its Docker-Content-Digest header names`,
      )
    return {body, mediaType, digest}
  }

  async putManifest(
    repository: string,
    reference: string,
    body: Buffer,
    mediaType: string,
  ): Promise<string> {
    const stored = await this.retry.run(`PUT manifest ${repository}:${reference}`, () =>
      this.putManifestOnce(repository, reference, body, mediaType),
    )
    return stored.digest
  }

  /**
   * Stores a manifest that has a `subject` by its digest (an OCI 1.1 referrer). `subject` is the
   * `OCI-Subject` header of the answer: a registry with the referrers API names the subject
   * there; one without stores the manifest as any other and says nothing.
   */
  async putReferrer(
    repository: string,
    body: Buffer,
    mediaType: string,
  ): Promise<{digest: string; subject?: string}> {
    const digest = contentDigest(body)
    return this.retry.run(`PUT manifest ${repository}@${digest}`, () =>
      this.putManifestOnce(repository, digest, body, mediaType),
    )
  }

  /** Returns the digest of the bytes sent; a registry that names another one fails the push. */
  private async putManifestOnce(
    repository: string,
    reference: string,
    body: Buffer,
    mediaType: string,
  ): Promise<{digest: string; subject?: string}> {
    const digest = contentDigest(body)
    if (isSha256Digest(reference) && reference !== digest)
      throw new RegistryTrustError(
        `PUT manifest ${repository}@${reference} on ${this.options.host}: the bytes to store hash to ${digest}, not to the digest they were to be stored under`,
      )
    const path = this.manifestPath(repository, reference)
    const response = await this.request(
      'PUT',
      path,
      pushScope(repository),
      {'content-type': mediaType},
      body,
    )
    await this.expectOk(response, `PUT manifest ${repository}:${reference}`)
    await discard(response)
    const named = response.headers.get('docker-content-digest')?.trim()
    if (named && named !== digest)
      throw this.digestMismatch(
        `PUT manifest ${repository}:${reference} on ${this.options.host} answered Docker-Content-Digest ${named}, but the bytes sent hash to ${digest}`,
      )
    return {digest, subject: response.headers.get('oci-subject')?.trim() || undefined}
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

  /**
   * Every tag, following `Link` pages of the same listing: at most `tagPages` pages, none read
   * twice (a Link loop fails), and every entry must be a tag.
   */
  async listTags(repository: string): Promise<string[]> {
    const listing = `/v2/${this.checkedRepository(repository)}/tags/list`
    const where = `the tag listing of ${repository} on ${this.options.host}`
    const tags: string[] = []
    const seen = new Set<string>()
    let path: string | undefined = `${listing}?n=1000`
    while (path) {
      if (seen.has(path))
        throw new RegistryTrustError(
          `${where} loops: its Link header leads back to ${path}, a page already read (after ${seen.size} pages)`,
        )
      if (seen.size >= this.limits.tagPages)
        throw new RegistryTrustError(
          `${where} goes on past ${this.limits.tagPages} pages (${tags.length} tags so far); stopped there`,
        )
      seen.add(path)
      const response = await this.request('GET', path, pullScope(repository), {
        accept: 'application/json',
      })
      if (response.status === 404) {
        await discard(response)
        return tags
      }
      await this.expectOk(response, `list tags of ${repository}`)
      const page = await readJson(response, this.limits.jsonBytes, where)
      const found = (page as {tags?: unknown} | null)?.tags ?? []
      if (!Array.isArray(found)) throw new RegistryTrustError(`${where} has no list of tags`)
      for (const tag of found as unknown[]) {
        if (typeof tag !== 'string' || !TAG.test(tag))
          throw new RegistryTrustError(
            `${where} holds ${clip(JSON.stringify(tag) ?? String(tag))}, which is not a tag; nothing of the listing was used`,
          )
        tags.push(tag)
      }
      path = nextPage(response.headers.get('link'))
      if (path && new URL(path, this.base).pathname !== listing)
        throw new RegistryTrustError(
          `${where} links to ${clip(path)} as its next page, which is not a page of that listing`,
        )
    }
    return tags
  }

  async getBlob(repository: string, digest: string): Promise<Buffer | undefined> {
    const response = await this.request(
      'GET',
      this.blobPath(repository, digest),
      pullScope(repository),
      {},
    )
    if (response.status === 404) {
      await discard(response)
      return undefined
    }
    await this.expectOk(response, `GET blob ${repository}@${digest}`)
    const body = await readCapped(
      response,
      this.limits.blobBytes,
      `GET blob ${repository}@${digest} on ${this.options.host}`,
    )
    const got = contentDigest(body)
    if (got !== digest)
      throw this.digestMismatch(
        `GET blob ${repository}@${digest} on ${this.options.host} returned bytes whose digest is ${got}`,
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
    const head = await this.request('HEAD', this.blobPath(repository, digest), scope, {})
    if (head.ok) return digest
    if (head.status !== 404) await this.expectOk(head, `HEAD blob ${repository}@${digest}`)
    const upload = await this.startUpload(repository, scope)
    return this.finishUpload(repository, digest, upload, scope, body)
  }

  /** Opens an upload (POST); returns its Location, absolute and checked. */
  private async startUpload(repository: string, scope: string): Promise<string> {
    const start = await this.request(
      'POST',
      `/v2/${this.checkedRepository(repository)}/blobs/uploads/`,
      scope,
      {'content-length': '0'},
    )
    await this.expectOk(start, `start a blob upload to ${repository}`)
    await discard(start)
    const location = start.headers.get('location')
    if (!location)
      throw new RegistryError(
        `start a blob upload to ${repository} on ${this.options.host}: HTTP ${start.status} without a Location header`,
        start.status,
      )
    // A Location on another origin gets no credentials (follow, request).
    return this.absoluteUrl(location, this.base, 'the upload Location')
  }

  /** The PUT that ends an upload (with its last bytes, or none), checked against the digest. */
  private async finishUpload(
    repository: string,
    digest: string,
    upload: string,
    scope: string,
    body: RequestPayload,
  ): Promise<string> {
    // Appended, not set through URLSearchParams: the registry's own query (its upload state) goes
    // back byte for byte.
    const put = await this.request(
      'PUT',
      `${upload}${upload.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`,
      scope,
      {
        'content-type': 'application/octet-stream',
        'content-length': String(Buffer.isBuffer(body) ? body.length : body.size),
      },
      body,
    )
    await this.expectOk(put, `PUT blob ${repository}@${digest}`)
    await discard(put)
    const named = put.headers.get('docker-content-digest')?.trim()
    if (named && named !== digest)
      throw this.digestMismatch(
        `PUT blob ${repository}@${digest} on ${this.options.host} answered Docker-Content-Digest ${named}`,
      )
    return digest
  }

  /** Whether the repository holds the blob (HEAD, with the push scope: a copy asks before it uploads). */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const path = this.blobPath(repository, digest)
    const response = await this.request('HEAD', path, pushScope(repository), {})
    if (response.status === 404) {
      await discard(response)
      return false
    }
    await this.expectOk(response, `HEAD blob ${repository}@${digest}`)
    await discard(response)
    return true
  }

  /**
   * A cross-repository mount (POST `?mount=&from=`): true when the registry linked the blob it
   * holds in `from` into `repository` (201). A registry that opened an upload instead (202: it
   * cannot mount, or `from` lacks the blob) has that upload cancelled, and false comes back.
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    this.blobPath(from, digest)
    const path = `/v2/${this.checkedRepository(repository)}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`
    // The token must allow pulling from where the blob is mounted from, or the registry uploads.
    const scope = `${pushScope(repository)} ${pullScope(from)}`
    const response = await this.request('POST', path, scope, {'content-length': '0'})
    await this.expectOk(response, `mount blob ${digest} from ${from} into ${repository}`)
    await discard(response)
    if (response.status === 201) {
      const named = response.headers.get('docker-content-digest')?.trim()
      if (named && named !== digest)
        throw this.digestMismatch(
          `mount blob ${digest} into ${repository} on ${this.options.host} answered Docker-Content-Digest ${named}`,
        )
      return true
    }
    const location = response.headers.get('location')
    // Left alone, the upload expires; cancelled, it frees the registry's state now.
    if (location)
      await this.request(
        'DELETE',
        this.absoluteUrl(location, this.base, 'the upload Location'),
        scope,
        {},
        undefined,
        {once: true},
      )
        .then(discard)
        .catch(() => undefined)
    return false
  }

  /**
   * A blob as a stream, never whole in memory. From `offset` > 0 with `Range: bytes=<offset>-`
   * (206; a registry that ignores the Range and answers 200 has the first bytes skipped here);
   * from 0, the bytes are hashed as they pass and the stream fails at its end when they are not
   * the digest. Undefined when the blob does not exist. The client's timeout covers the headers;
   * the body is read as fast as the caller reads it.
   */
  async openBlob(repository: string, digest: string, offset = 0): Promise<Readable | undefined> {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`openBlob: offset ${offset} is not a byte offset`)
    const what = `GET blob ${repository}@${digest}${offset > 0 ? ` from byte ${offset}` : ''}`
    const response = await this.request(
      'GET',
      this.blobPath(repository, digest),
      pullScope(repository),
      offset > 0 ? {range: `bytes=${offset}-`} : {},
      undefined,
      {streamed: true},
    )
    if (response.status === 404) {
      await discard(response)
      return undefined
    }
    await this.expectOk(response, what)
    const where = `${what} on ${this.options.host}`
    let skip = 0
    if (offset > 0 && response.status === 206) {
      const range = response.headers.get('content-range') ?? ''
      if (Number(/^bytes (\d+)-/.exec(range)?.[1] ?? -1) !== offset) {
        await response.body?.cancel().catch(() => undefined)
        throw new RegistryTrustError(
          `${where} answered the bytes '${clip(range)}', not those from byte ${offset} on`,
        )
      }
    } else if (offset > 0) skip = offset
    // The body's chunks as they come: from the connection itself when the transport allows
    // (no web stream, no transform stream in between: each of those costs more than the hashing
    // on a blob of megabytes).
    return Readable.from(
      checkedBlobBytes(
        nodeBodyOf(response) ?? ((response.body ?? []) as AsyncIterable<Uint8Array>),
        skip,
        offset === 0 ? digest : undefined,
        (got) => this.digestMismatch(`${where} returned bytes whose digest is ${got}`),
      ),
      {objectMode: false},
    )
  }

  /**
   * Uploads a blob of `size` bytes read from `open(offset)` (a stream of it from that byte on).
   * A blob smaller than `chunkBytes` is read whole (and checked) and goes up in one monolithic
   * PUT. A larger one goes in PATCH chunks of at most `chunkBytes`, each read into one Buffer
   * reused for the whole upload: one upload holds one chunk in memory, so parallel uploads hold
   * at most their number × chunkBytes. Each chunk is retried through the run's RetrySession; after
   * a failed one the upload is asked its offset (GET on its Location: `Range: 0-<last>`) and goes
   * on from there, from the chunk in hand or from the source re-opened at that offset (an upload
   * the registry forgot starts over). Every answer's Location is the next request's address.
   */
  async uploadBlob(
    repository: string,
    digest: string,
    size: number,
    source: ((offset: number) => Promise<Readable>) | Buffer | ReplayableBytes,
    chunkBytes = DEFAULT_CHUNK_BYTES,
  ): Promise<string> {
    this.blobPath(repository, digest)
    if (!Number.isSafeInteger(size) || size < 0)
      throw new RegistryTrustError(`blob ${digest} for ${repository} has no usable size (${size})`)
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1)
      throw new RangeError(`uploadBlob: chunkBytes ${chunkBytes} is not a positive whole number`)
    const what = `upload blob ${repository}@${digest} to ${this.options.host}`
    if (typeof source === 'object' && !Buffer.isBuffer(source)) {
      if (source.size !== size)
        throw new RegistryTrustError(
          `${what}: ${source.size} bytes to send, not the blob's ${size}`,
        )
      // Sent as they arrive, in one PUT that the registry checks against the digest.
      return this.monolithicUpload(repository, digest, source)
    }
    // Bytes in hand go up as they are, with no copy; a stream is read into one reused buffer.
    const open = Buffer.isBuffer(source)
      ? (offset: number) => Promise.resolve(Readable.from([source.subarray(offset)]))
      : source
    const whole = Buffer.isBuffer(source) && size < chunkBytes
    const reader = new BlobReader(open, whole ? 0 : Math.min(size, chunkBytes), what)
    try {
      if (size < chunkBytes) {
        const body = whole
          ? (source as Buffer)
          : await this.retry.run(`read blob ${digest} for ${repository}`, () =>
              reader.read(0, size),
            )
        if (body.length !== size || contentDigest(body) !== digest)
          throw this.digestMismatch(
            `${what}: the source gave ${body.length} bytes whose digest is ${contentDigest(body)}`,
          )
        return await this.monolithicUpload(repository, digest, body)
      }
      return await this.chunkedUpload(repository, digest, size, reader, chunkBytes)
    } finally {
      reader.close()
    }
  }

  /** A blob in one POST and one PUT, the pair tried again as a whole. */
  private monolithicUpload(
    repository: string,
    digest: string,
    body: RequestPayload,
  ): Promise<string> {
    const scope = pushScope(repository)
    return this.retry.run(`PUT blob ${repository}@${digest}`, async () =>
      this.finishUpload(repository, digest, await this.startUpload(repository, scope), scope, body),
    )
  }

  private async chunkedUpload(
    repository: string,
    digest: string,
    size: number,
    reader: BlobReader,
    chunkBytes: number,
  ): Promise<string> {
    const scope = pushScope(repository)
    const what = `upload blob ${repository}@${digest}`
    let upload: UploadState = {
      location: await this.retry.run(`start ${what}`, () => this.startUpload(repository, scope)),
      offset: 0,
    }
    while (upload.offset < size) {
      let tries = 0
      upload = await this.retry.run(`PATCH ${what} from byte ${upload.offset}`, async () => {
        if (tries++ > 0) upload = await this.resumePoint(repository, upload, size, scope)
        if (upload.offset >= size) return upload
        const chunk = await reader.read(upload.offset, Math.min(chunkBytes, size - upload.offset))
        return this.sendChunk(repository, upload, chunk, scope)
      })
    }
    return this.retry.run(`finish ${what}`, async () => {
      try {
        return await this.finishUpload(repository, digest, upload.location, scope, Buffer.alloc(0))
      } catch (err) {
        // A finish whose answer was lost, sent again: the upload is gone, the blob is there.
        if (
          err instanceof RegistryError &&
          err.status === 404 &&
          (await this.hasBlob(repository, digest))
        )
          return digest
        throw err
      }
    })
  }

  /** One PATCH (one attempt: chunkedUpload retries); where the upload stands after it. */
  private async sendChunk(
    repository: string,
    upload: UploadState,
    chunk: Buffer,
    scope: string,
  ): Promise<UploadState> {
    const end = upload.offset + chunk.length - 1
    const what = `PATCH blob upload to ${repository} bytes ${upload.offset}-${end}`
    const response = await this.request(
      'PATCH',
      upload.location,
      scope,
      {
        'content-type': 'application/octet-stream',
        'content-length': String(chunk.length),
        'content-range': `${upload.offset}-${end}`,
      },
      chunk,
      {once: true},
    )
    if (response.status === 416) {
      await discard(response)
      // The registry holds other bytes than we thought (an earlier PATCH went in after all).
      throw new TransientError(
        `${what} on ${this.options.host}: HTTP 416, the upload is not at byte ${upload.offset}`,
      )
    }
    await this.expectOk(response, what)
    await discard(response)
    const last = uploadedUpTo(response.headers.get('range'))
    return {
      location: this.nextLocation(response, upload.location),
      offset: last !== undefined && last > 0 ? last + 1 : end + 1,
    }
  }

  /**
   * Where a failed upload stands: GET on its Location (`Range: 0-<last>`). One the registry
   * forgot (404), or that holds nothing (distribution writes `0-0` for 0 bytes and for 1), starts
   * over with a new upload.
   */
  private async resumePoint(
    repository: string,
    upload: UploadState,
    size: number,
    scope: string,
  ): Promise<UploadState> {
    const response = await this.request('GET', upload.location, scope, {})
    const last = response.status === 404 ? undefined : uploadedUpTo(response.headers.get('range'))
    if (response.status !== 404)
      await this.expectOk(response, `GET blob upload state of ${repository}`)
    await discard(response)
    if (last === undefined || last <= 0)
      return {location: await this.startUpload(repository, scope), offset: 0}
    if (last + 1 > size)
      throw new RegistryTrustError(
        `the blob upload to ${repository} on ${this.options.host} says it holds ${last + 1} bytes, more than the blob's ${size}`,
      )
    return {location: this.nextLocation(response, upload.location), offset: last + 1}
  }

  /** The Location of an answer (checked), or the current one when it names none. */
  private nextLocation(response: Response, current: string): string {
    const location = response.headers.get('location')
    return location ? this.absoluteUrl(location, this.base, 'the upload Location') : current
  }

  /**
   * Deletes a manifest by its sha256 digest (nothing else is deleted: a name from a listing never
   * becomes a DELETE). True when deleted, false when it was not there (404). Any other refusal
   * throws a RegistryError with its status and code (405 or UNSUPPORTED: the registry does not
   * allow deletes).
   */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    if (!isSha256Digest(reference))
      throw new RegistryTrustError(
        `refusing to DELETE ${clip(reference)} in ${repository} on ${this.options.host}: only a sha256 digest (sha256: and 64 hex digits) is deleted`,
      )
    const response = await this.request(
      'DELETE',
      this.manifestPath(repository, reference),
      deleteScope(repository),
      {accept: MANIFEST_MEDIA_TYPES.join(', ')},
    )
    if (response.status === 404) {
      await discard(response)
      return false
    }
    await this.expectOk(response, `DELETE ${repository}@${reference}`)
    await discard(response)
    return true
  }

  /** A renewed login (a fresh short-lived token): cached authorizations are dropped. */
  setCredentials(username: string, password: string): void {
    this.mask(password)
    this.credentials = {username, password}
    this.authorization.clear()
  }

  /** Checks that the credentials are accepted, without touching any repository. */
  async ping(): Promise<void> {
    const response = await this.request('GET', '/v2/', '', {})
    await this.expectOk(response, 'GET /v2/')
    await discard(response)
  }

  private async request(
    method: string,
    path: string,
    scope: string,
    headers: Record<string, string>,
    body?: RequestPayload,
    mode: RequestMode = {},
  ): Promise<Response> {
    let cached = this.authorization.get(scope) ?? this.basicAuthorization
    if (cached === undefined && scope && this.bearerChallenge) {
      // A token service we already know: ask it for this scope's token now, rather than after a
      // 401 that would only say what the first one said (one round trip less per repository).
      cached = await this.authorize(this.bearerChallenge, scope)
      if (cached) this.authorization.set(scope, cached)
    }
    let response = await this.send(method, path, headers, body, cached, mode)
    if (response.status !== 401) return response
    // No credentials yet for this scope, or the cached token expired or was revoked: ask again.
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '')
    if (!challenge) return response
    // Only the registry's own challenge is answered: a 401 from an upload Location or a redirect
    // target elsewhere would hand our credentials (or a token bought with them) to that host.
    const from = new URL(this.answeredBy.get(response) ?? `${this.base}${path}`)
    if (from.origin !== this.origin) {
      await discard(response)
      throw new RegistryTrustError(
        `${method} ${from.origin}${from.pathname}, where the registry ${this.options.host} sent us, answered with a ${challenge.scheme} challenge; credentials go to the registry's own origin ${this.origin} only, so none were sent`,
        'check the address the registry hands out for uploads and redirects (a proxy in front of it may rewrite them)',
      )
    }
    if (challenge.scheme === 'bearer') this.bearerChallenge = challenge
    const authorization = await this.authorize(challenge, scope).catch(async (err: unknown) => {
      await discard(response)
      throw err
    })
    if (!authorization || authorization === cached) return response
    await discard(response)
    if (challenge.scheme === 'basic') this.basicAuthorization = authorization
    else this.authorization.set(scope, authorization)
    response = await this.send(method, path, headers, body, authorization, mode)
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
    const problem = realmProblem(challenge.params.realm, this.options.host)
    if (problem) throw new RegistryTrustError(problem, 'a token service must be served over https')
    const url = new URL(challenge.params.realm)
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service)
    const wanted = scope || challenge.params.scope
    // A mount asks for two scopes (push here, pull where it mounts from): one `scope` parameter each.
    if (wanted) url.searchParams.delete('scope')
    for (const one of (wanted ?? '').split(' ').filter(Boolean))
      url.searchParams.append('scope', one)
    const service = `the token service ${url.origin}${url.pathname}`
    // The Basic credentials go to the realm's origin only, even when it redirects.
    const response = await this.follow(
      'GET',
      url.toString(),
      {},
      undefined,
      basic,
      url.origin,
      this.options.timeoutMs ?? 60_000,
    )
    if (!response.ok) {
      await discard(response)
      throw new RegistryError(
        `${service} refused the credentials (HTTP ${response.status})`,
        response.status,
        'UNAUTHORIZED',
      )
    }
    const token = (await readJson(response, this.limits.jsonBytes, service)) as {
      token?: unknown
      access_token?: unknown
    } | null
    const value =
      typeof token?.token === 'string'
        ? token.token
        : typeof token?.access_token === 'string'
          ? token.access_token
          : ''
    if (!value) throw new RegistryError(`${service} answered without a token`, response.status)
    this.mask(value)
    return `Bearer ${value}`
  }

  private mask(secret: string): void {
    if (!secret || this.masked.has(secret)) return
    this.masked.add(secret)
    this.options.onSecret?.(secret)
  }

  /** `path` is a path on the registry, or an absolute URL (an upload Location). */
  private send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: RequestPayload | undefined,
    authorization: string | undefined,
    mode: RequestMode = {},
  ): Promise<Response> {
    const url = /^https?:\/\//i.test(path) ? path : `${this.base}${path}`
    return this.follow(
      method,
      url,
      headers,
      body,
      authorization,
      this.origin,
      this.options.timeoutMs ?? 120_000,
      mode,
    )
  }

  /**
   * One request and the redirects it meets (each hop through the run's retries, at most
   * `redirects` of them). `authorization` goes to `authOrigin` only, never to an upload Location
   * or a redirect target elsewhere; where the answer came from is kept for request().
   */
  private async follow(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: RequestPayload | undefined,
    authorization: string | undefined,
    authOrigin: string,
    timeoutMs: number,
    mode: RequestMode = {},
  ): Promise<Response> {
    let hop = {method, url: this.absoluteUrl(url, this.base, 'a request'), headers, body}
    for (let redirects = 0; ; redirects++) {
      const sameOrigin = new URL(hop.url).origin === authOrigin
      const response = await this.attempts(
        hop.method,
        hop.url,
        {
          method: hop.method,
          headers: {...hop.headers, ...(authorization && sameOrigin ? {authorization} : {})},
          redirect: 'manual',
        },
        timeoutMs,
        mode,
        hop.body,
      )
      const location = REDIRECT_STATUS.has(response.status)
        ? response.headers.get('location')
        : null
      if (!location) {
        this.answeredBy.set(response, hop.url)
        return response
      }
      await discard(response)
      if (redirects >= this.limits.redirects)
        throw new RegistryTrustError(
          `${method} ${new URL(url).origin}${new URL(url).pathname} on ${this.options.host} was redirected more than ${this.limits.redirects} times; stopped following`,
        )
      const next = this.absoluteUrl(location, hop.url, 'a redirect')
      // As fetch does: a 303, or a 301/302 after a POST, goes on as a GET without its body.
      const asGet =
        response.status === 303 ||
        ((response.status === 301 || response.status === 302) && hop.method === 'POST')
      hop = asGet
        ? {
            method: hop.method === 'HEAD' ? 'HEAD' : 'GET',
            url: next,
            headers: withoutBodyHeaders(hop.headers),
            body: undefined,
          }
        : {...hop, url: next}
    }
  }

  /**
   * `target` resolved against `base`; http(s) only, and plain HTTP only to the registry itself or
   * a loopback host (an https registry never sends us to a plain-HTTP host).
   */
  private absoluteUrl(target: string, base: string, what: string): string {
    let url: URL
    try {
      url = new URL(target, base)
    } catch {
      throw new RegistryTrustError(
        `${what} on ${this.options.host} names ${clip(target)}, which is not a URL`,
      )
    }
    const plainOk =
      url.protocol === 'http:' && (url.origin === this.origin || isLoopbackHost(url.host))
    if (url.protocol !== 'https:' && !plainOk)
      throw new RegistryTrustError(
        `${what} on ${this.options.host} names ${url.protocol}//${url.host}: only https (or plain HTTP to a loopback host) is followed`,
      )
    return url.toString()
  }

  private manifestPath(repository: string, reference: string): string {
    return `/v2/${this.checkedRepository(repository)}/manifests/${this.checkedReference(repository, reference)}`
  }

  private blobPath(repository: string, digest: string): string {
    if (!isSha256Digest(digest))
      throw new RegistryTrustError(
        `${clip(digest)} is not a sha256 digest (sha256: and 64 hex digits): no blob of ${repository} on ${this.options.host} is asked for by it`,
      )
    return `/v2/${this.checkedRepository(repository)}/blobs/${digest}`
  }

  /** A repository path goes into a URL only when it is one (no `..`, no `%2F`, no `?`). */
  private checkedRepository(repository: string): string {
    if (repository.length <= 255 && REPOSITORY.test(repository)) return repository
    throw new RegistryTrustError(
      `'${clip(repository)}' is not a repository path (lowercase names separated by /); it is not put into a URL on ${this.options.host}`,
    )
  }

  private checkedReference(repository: string, reference: string): string {
    if (TAG.test(reference) || isSha256Digest(reference)) return reference
    throw new RegistryTrustError(
      `'${clip(reference)}' is neither a tag nor a sha256 digest; it is not put into a URL of ${repository} on ${this.options.host}`,
    )
  }

  private digestMismatch(message: string): RegistryTrustError {
    return new RegistryTrustError(
      message,
      'the registry or a proxy in between altered the content; nothing was done with it',
    )
  }

  /**
   * One request, through the run's retries: connection errors, 5xx, 408 and 429 are tried again
   * (after the Retry-After the registry asked for); every other answer is returned as it came.
   * `mode.once`: one attempt, its transient failure thrown for the caller's own retry loop.
   */
  private attempts(
    method: string,
    url: string,
    init: RequestInit,
    timeoutMs: number,
    mode: RequestMode = {},
    body?: RequestPayload,
  ): Promise<Response> {
    const attempt = (): Promise<Response> =>
      this.attemptOnce(method, url, {...init, ...requestBody(body)}, timeoutMs, mode)
    if (mode.once) return attempt()
    return this.retry.run(`${method} ${url}`, attempt, () => {}, {
      relogin: false,
      ...this.options.retryCaps,
    })
  }

  /**
   * One fetch. The timeout covers the whole answer, or (`mode.streamed`) the headers only: a
   * streamed blob's body is watched by its reader instead.
   */
  private async attemptOnce(
    method: string,
    url: string,
    init: RequestInit,
    timeoutMs: number,
    mode: RequestMode,
  ): Promise<Response> {
    let response: Response
    const headersOnly = mode.streamed ? new AbortController() : undefined
    const timer = headersOnly
      ? setTimeout(() => headersOnly.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)
      : undefined
    try {
      response = await this.fetchImpl(url, {
        ...init,
        signal: headersOnly?.signal ?? AbortSignal.timeout(timeoutMs),
      })
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
    } finally {
      clearTimeout(timer)
    }
    this.options.onRequest?.(method, url, response.status)
    if (!TRANSIENT_STATUS.has(response.status)) return response
    await discard(response)
    throw new RegistryError(
      `${method} ${url} answered HTTP ${response.status}`,
      response.status,
      undefined,
      undefined,
      retryAfterMs(response.headers.get('retry-after')),
    )
  }

  private async expectOk(response: Response, what: string): Promise<void> {
    if (response.ok) return
    let detail = ''
    let code: string | undefined
    try {
      const body = JSON.parse(
        (await readCapped(response, DISCARD_BYTES, what)).toString('utf8'),
      ) as {errors?: {code?: string; message?: string}[]}
      const first = body.errors?.[0]
      code = typeof first?.code === 'string' ? first.code : undefined
      detail = first ? clip(`${first.code ?? ''}: ${first.message ?? ''}`) : ''
    } catch {
      // not a JSON error body, or a long one
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

/**
 * Why a Bearer realm gets no credentials, or undefined when it may: an https realm, or a plain
 * HTTP one between loopback hosts (the registry's and the realm's). Credentials never cross a
 * network in clear text.
 */
export function realmProblem(realm: string, registryHost: string): string | undefined {
  let url: URL
  try {
    url = new URL(realm)
  } catch {
    return `the token realm '${clip(realm)}' of ${registryHost} is not a URL; no credentials were sent`
  }
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopbackHost(registryHost) && isLoopbackHost(url.host))
    return undefined
  const where = `${url.protocol}//${url.host}${url.pathname}`
  return url.protocol === 'http:'
    ? `the token realm ${where} of ${registryHost} is plain HTTP, which only a loopback registry may use with a loopback realm; no credentials were sent`
    : `the token realm ${where} of ${registryHost} is not an https URL; no credentials were sent`
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

/**
 * The next page from a `Link: </v2/…?last=x&n=100>; rel="next"` header, as a path and query on
 * the registry (an absolute link loses its origin, `..` segments are resolved).
 */
export function nextPage(link: string | null): string | undefined {
  if (!link) return undefined
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)
  if (!match) return undefined
  try {
    const url = new URL(match[1], 'http://registry.invalid')
    return `${url.pathname}${url.search}`
  } catch {
    return undefined
  }
}

/**
 * Reads a body of at most `limit` bytes: one that declares more, or streams more, is cancelled
 * there and fails with a RegistryTrustError naming `what`.
 */
export async function readCapped(response: Response, limit: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0)
  const tooLarge = (size: string): RegistryTrustError =>
    new RegistryTrustError(
      `${what}: the answer is ${size}, over the cap of ${limit} bytes; stopped reading it`,
    )
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge(`${declared} bytes`)
  }
  if (!response.body) return Buffer.alloc(0)
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge(`more than ${limit} bytes`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** A JSON body of at most `limit` bytes. */
export async function readJson(response: Response, limit: number, what: string): Promise<unknown> {
  const text = (await readCapped(response, limit, what)).toString('utf8')
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new RegistryTrustError(`${what}: the answer is not JSON`)
  }
}

/** Reads what is left of an answer we do not need, a little at most (keep-alive), then drops it. */
async function discard(response: Response): Promise<void> {
  await readCapped(response, DISCARD_BYTES, '').catch(() => undefined)
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !/^content-(type|length)$/i.test(name)),
  )
}

/** A value from the registry, short enough for a message. */
function clip(value: string): string {
  return value.length > 120 ? `${value.slice(0, 120)}…` : value
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

/** Bodies above this go out as a stream of views into the Buffer. */
const STREAMED_BODY_BYTES = 1024 * 1024

type RequestPayload = Buffer | ReplayableBytes

/**
 * A request body, fresh for each attempt. fetch copies a Uint8Array body whole before sending it;
 * an upload chunk (up to chunkBytes) goes out as a stream of 1 MiB views of its Buffer instead,
 * so it is never held twice. Replayable bytes go out as they are read.
 */
function requestBody(
  body: RequestPayload | undefined,
): Pick<RequestInit, 'body'> & {duplex?: 'half'} {
  if (body === undefined) return {}
  if (!Buffer.isBuffer(body)) return {body: body.read(), duplex: 'half'}
  if (body.length <= STREAMED_BODY_BYTES)
    return {body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength)}
  // A stream body goes out only with duplex 'half' (fetch's rule).
  return {body: viewsOf(body, STREAMED_BODY_BYTES), duplex: 'half'}
}

function* viewsOf(bytes: Buffer, size: number): Generator<Uint8Array> {
  for (let sent = 0; sent < bytes.length; sent += size)
    yield bytes.subarray(sent, Math.min(sent + size, bytes.length))
}

/** A chunk of a chunked upload, unless the caller says otherwise: 32 MiB. */
export const DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024

/** Where a chunked upload stands: its current Location and the next byte it expects. */
interface UploadState {
  location: string
  offset: number
}

/** The last byte an upload holds, from its `Range: 0-<last>` header (undefined: none named). */
function uploadedUpTo(range: string | null): number | undefined {
  const match = /^(?:bytes=)?0-(\d+)$/.exec(range?.trim() ?? '')
  return match ? Number(match[1]) : undefined
}

/**
 * Reads a blob in chunks from the streams `open(offset)` gives, into one Buffer reused for every
 * chunk. A chunk asked for again (or its tail) comes from the Buffer; any other offset than where
 * the stream stands re-opens the source there; a stream that failed is re-opened on the next read.
 */
class BlobReader {
  private stream: Readable | undefined
  /** The byte the stream gives next. */
  private position = 0
  private readonly buffer: Buffer
  /** What the buffer holds: bytes [start, start + length) of the blob. */
  private held = {start: 0, length: 0}

  constructor(
    private readonly open: (offset: number) => Promise<Readable>,
    capacity: number,
    private readonly what: string,
  ) {
    this.buffer = Buffer.allocUnsafe(capacity)
  }

  /** Up to `length` bytes from `offset` (fewer only when they come from the chunk in hand). */
  async read(offset: number, length: number): Promise<Buffer> {
    const {start, length: heldLength} = this.held
    if (offset >= start && offset < start + heldLength)
      return this.buffer.subarray(offset - start, heldLength)
    this.held = {start: offset, length: 0}
    try {
      if (!this.stream || this.position !== offset) {
        this.close()
        this.stream = await this.open(offset)
        this.position = offset
      }
      const got = await fill(this.stream, this.buffer, length)
      if (got < length)
        throw new RegistryTrustError(
          `${this.what}: the source ended at byte ${offset + got}, before the blob's size`,
        )
      this.position += got
    } catch (err) {
      this.close()
      if (err instanceof ActionError) throw err
      throw new RegistryError(
        `${this.what}: reading the source from byte ${offset} failed: ${err instanceof Error ? err.message : String(err)}`,
      )
    }
    this.held = {start: offset, length}
    return this.buffer.subarray(0, length)
  }

  close(): void {
    this.stream?.destroy()
    this.stream = undefined
  }
}

/** Reads up to `want` bytes of a stream into `buffer`; fewer only when the stream ends. */
async function fill(stream: Readable, buffer: Buffer, want: number): Promise<number> {
  let filled = 0
  while (filled < want) {
    const piece = stream.read() as Buffer | null
    if (piece === null) {
      if (stream.errored) throw stream.errored
      if (stream.readableEnded) break
      if (stream.destroyed) throw new Error('the stream was closed before its end')
      await readableOrEnd(stream)
      continue
    }
    const take = Math.min(piece.length, want - filled)
    piece.copy(buffer, filled, 0, take)
    filled += take
    if (take < piece.length) stream.unshift(piece.subarray(take))
  }
  return filled
}

/** Resolves when the stream has bytes to read, ends or closes; rejects when it fails. */
function readableOrEnd(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (err?: Error): void => {
      stream.off('readable', ready).off('end', ready).off('close', ready).off('error', settle)
      if (err) reject(err)
      else resolve()
    }
    const ready = (): void => settle()
    stream.on('readable', ready).on('end', ready).on('close', ready).on('error', settle)
  })
}

/** A blob's bytes passed on: the first `skip` dropped, the digest checked at the end when given. */
async function* checkedBlobBytes(
  body: AsyncIterable<Uint8Array>,
  skip: number,
  digest: string | undefined,
  mismatch: (got: string) => Error,
): AsyncGenerator<Buffer> {
  const hash = digest ? createHash('sha256') : undefined
  let toSkip = skip
  for await (const piece of body) {
    let bytes = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength)
    if (toSkip > 0) {
      if (toSkip >= bytes.length) {
        toSkip -= bytes.length
        continue
      }
      bytes = bytes.subarray(toSkip)
      toSkip = 0
    }
    hash?.update(bytes)
    yield bytes
  }
  if (toSkip > 0) throw new RegistryError(`the blob ended before the bytes skipped`)
  const got = hash ? `sha256:${hash.digest('hex')}` : undefined
  if (got && got !== digest) throw mismatch(got)
}
