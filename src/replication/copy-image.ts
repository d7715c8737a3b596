/**
 * Copies an image between registries byte for byte, so it keeps its digest: the manifest tree
 * (an index, its children, each manifest's config and layers), then the cosign-scheme tags of
 * every digest of the tree (`sha256-<hex>.sig`, `.att`, `.sbom`), then the immutable tags. A
 * manifest goes up after everything it names, so a target never holds a manifest whose blobs or
 * children are missing. Blobs stream through (blob-transfer.ts); memory is bounded by
 * maxParallel × chunkBytes.
 */
import {isSha256Digest} from '../adapters/registry-http.js'
import {RetrySession, type RetryPolicy} from '../adapters/retry.js'
import type {LogSink} from '../ports.js'
import {BlobTransfer, Budget, type BlobDescriptor, type ReplicaEndpoint} from './blob-transfer.js'
import {CopyError, copyFailure} from './copy-error.js'

export type {ReplicaEndpoint} from './blob-transfer.js'

/** A retry policy, for a copier that gets no session of the run's. */
export type RetryOptions = RetryPolicy

export interface CopyRequest {
  source: ReplicaEndpoint
  sourceRepository: string
  target: ReplicaEndpoint
  targetRepository: string
  /** The image's top manifest (an index or a manifest). */
  digest: string
  /** Immutable tags to PUT on the target once the tree is there. */
  tags?: readonly string[]
  /**
   * Whether the `.sig`, `.att` and `.sbom` tags are looked for and copied (default true). A copy
   * started before the image is signed has none to find.
   */
  attached?: boolean
}

export interface CopyStats {
  /** Blobs streamed from the source. */
  uploaded: number
  /** Blobs mounted from another repository of the target. */
  mounted: number
  /** Blobs the target already held. */
  skipped: number
  /** Bytes uploaded. */
  bytes: number
  /** Manifests (and tags) PUT on the target. */
  manifests: number
}

/** The cosign scheme: signatures, attestations and SBOMs of a digest are tags of the repository. */
const ATTACHED_SUFFIXES = ['sig', 'att', 'sbom'] as const

interface Manifest {
  body: Buffer
  mediaType: string
  digest: string
}

/** One copy under way. */
interface CopyRun {
  request: CopyRequest
  stats: CopyStats
  /** Every digest of the image's tree (not of its signatures), in the order met. */
  treeDigests: string[]
}

export class ImageCopier {
  private readonly blobs: BlobTransfer
  private readonly log: LogSink
  /**
   * Source manifests read by this copier. One named by its digest never changes, so it is read
   * once for every target and both phases of a copy; one named by a tag (a signature's) is only
   * shared by the reads asked for at the same time.
   */
  private readonly sourceManifests = new Map<string, Promise<Manifest | undefined>>()
  /**
   * Trees this copier put complete onto a target repository (target, repository, digest): the
   * second phase of a copy (after signing) does not check their blobs again.
   */
  private readonly completeTrees = new Set<string>()
  /**
   * Manifests this copier PUT by digest onto a target repository because it lacked them: no tag
   * there can name them yet, so their tags go up without asking first.
   */
  private readonly putHere = new Set<string>()
  /** Tags this copier PUT onto a target repository (their placeKey) → the digest they name. */
  private readonly tagged = new Map<string, string>()

  /**
   * The uploads under way across every copy of this copier hold at most `maxParallel` chunks of
   * `chunkBytes` (default 32 MiB) in memory (a blob smaller than a chunk holds its size); up to
   * max(8, 4 × maxParallel) blobs are placed at once (a check, a mount or an upload each).
   */
  constructor(options: {
    maxParallel: number
    chunkBytes?: number
    retry: RetrySession | RetryOptions
    log: LogSink
  }) {
    if (!Number.isSafeInteger(options.maxParallel) || options.maxParallel < 1)
      throw new RangeError(`ImageCopier: maxParallel ${options.maxParallel} is not at least 1`)
    const retry =
      options.retry instanceof RetrySession ? options.retry : new RetrySession(options.retry)
    this.log = options.log
    const chunkBytes = options.chunkBytes ?? 32 * 1024 * 1024
    this.blobs = new BlobTransfer({
      // Checks, mounts and small uploads are a round trip each, not memory: many at once.
      limit: new Budget(Math.max(8, 4 * options.maxParallel)),
      memory: new Budget(options.maxParallel * chunkBytes),
      chunkBytes,
      retry,
      log: options.log,
    })
  }

  /**
   * Copies the manifest tree byte for byte (index → children → config + layers), the `.sig`,
   * `.att` and `.sbom` tags of every digest of the tree, then the tags. Returns the digest on the
   * target (the one asked for: every manifest PUT is checked against it).
   */
  async copy(request: CopyRequest): Promise<{digest: string; stats: CopyStats}> {
    if (!isSha256Digest(request.digest))
      throw new CopyError(
        `copy to ${request.target.name}: '${request.digest}' is not a sha256 digest; only images named by their digest are copied`,
      )
    const run: CopyRun = {
      request,
      stats: {uploaded: 0, mounted: 0, skipped: 0, bytes: 0, manifests: 0},
      treeDigests: [],
    }
    const top = await this.copyTree(run, request.digest, true)
    if (request.attached ?? true) await this.copyAttached(run)
    for (const tag of request.tags ?? []) await this.putUnderTag(run, tag, top)
    return {digest: top.digest, stats: run.stats}
  }

  /**
   * A moving tag on the target: the manifest bytes (already there by digest) PUT under the tag;
   * no blob traffic. The bytes come from the target itself, or from the source when the target
   * cannot give them (the target then checks the manifest names nothing it lacks).
   */
  async moveTag(
    target: ReplicaEndpoint,
    targetRepository: string,
    tag: string,
    digest: string,
    source: {endpoint: ReplicaEndpoint; repository: string},
  ): Promise<void> {
    try {
      const ref = {repository: targetRepository, reference: digest}
      // The bytes of a digest are the same wherever they are: those read for the copy serve.
      const manifest =
        (await this.sourceManifests.get(placeKey(source.endpoint, source.repository, digest))) ??
        (await target.registry.getManifest(ref)) ??
        (await this.sourceManifest(source.endpoint, source.repository, digest))
      if (!manifest)
        throw new CopyError(
          `copy to ${target.name}: tag ${tag} of ${targetRepository}: ${digest} is in neither ${target.name}/${targetRepository} nor ${source.endpoint.name}/${source.repository}`,
          'copy the image first; a moving tag only moves onto a digest the target holds',
        )
      const put = await target.registry.putManifest(
        targetRepository,
        tag,
        manifest.body,
        manifest.mediaType,
      )
      if (put !== digest) throw new Error(`the target stored it as ${put}, not ${digest}`)
      this.log(`${target.name}/${targetRepository}: ${tag} → ${digest}`)
    } catch (err) {
      throw copyFailure(target.name, `tag ${tag}`, targetRepository, err)
    }
  }

  /** A source manifest, read once per digest (see sourceManifests). */
  private sourceManifest(
    source: ReplicaEndpoint,
    repository: string,
    reference: string,
  ): Promise<Manifest | undefined> {
    const key = placeKey(source, repository, reference)
    const known = this.sourceManifests.get(key)
    if (known) return known
    const read = source.registry.getManifest({repository, reference})
    this.sourceManifests.set(key, read)
    const keep = isSha256Digest(reference)
    read.then(
      (found) => {
        if (!keep || !found) this.sourceManifests.delete(key)
      },
      () => this.sourceManifests.delete(key),
    )
    return read
  }

  /** A manifest and everything under it; children and blobs first, the manifest last. */
  private async copyTree(run: CopyRun, digest: string, inTree: boolean): Promise<Manifest> {
    const {source, sourceRepository, target, targetRepository} = run.request
    if (inTree && !run.treeDigests.includes(digest)) run.treeDigests.push(digest)
    const manifest = await this.step(run, `manifest ${digest}`, async () => {
      const found = await this.sourceManifest(source, sourceRepository, digest)
      if (!found)
        throw new CopyError(
          `copy to ${target.name}: manifest ${digest} of ${targetRepository}: not found in ${source.name}/${sourceRepository}`,
        )
      return found
    })
    const complete = placeKey(target, targetRepository, digest)
    if (this.completeTrees.has(complete)) return manifest
    const {children, blobs, foreign} = this.step(run, `manifest ${digest}`, () =>
      manifestContents(manifest.body),
    )
    for (const layer of foreign)
      this.log(
        `${target.name}/${targetRepository}: foreign layer ${layer.digest} of ${digest} not copied (its registry serves it from ${layer.urls?.join(', ') || 'elsewhere'})`,
      )
    await Promise.all([
      ...children.map((child) => this.copyTree(run, child.digest, inTree)),
      ...blobs.map(async ({blob, kind}) => {
        const done = await this.blobs.transfer({
          source,
          sourceRepository,
          target,
          targetRepository,
          blob,
          kind,
        })
        if (done.how === 'uploaded') {
          run.stats.uploaded++
          run.stats.bytes += done.bytes
        } else run.stats[done.how]++
      }),
    ])
    await this.step(run, `manifest ${digest}`, async () => {
      const ref = {repository: targetRepository, reference: digest}
      if ((await target.registry.manifestDigest(ref)) !== digest) {
        await this.putChecked(run, digest, manifest)
        this.putHere.add(complete)
      }
      this.completeTrees.add(complete)
    })
    return manifest
  }

  /** The `.sig`/`.att`/`.sbom` tags of every digest of the tree that has them in the source. */
  private async copyAttached(run: CopyRun): Promise<void> {
    const {source, sourceRepository} = run.request
    const tags = run.treeDigests.flatMap((digest) =>
      ATTACHED_SUFFIXES.map((suffix) => `${digest.replace(':', '-')}.${suffix}`),
    )
    await Promise.all(
      tags.map(async (tag) => {
        const attached = await this.step(run, `tag ${tag}`, () =>
          this.sourceManifest(source, sourceRepository, tag),
        )
        if (!attached) return
        await this.copyTree(run, attached.digest, false)
        await this.putUnderTag(run, tag, attached)
      }),
    )
  }

  private async putUnderTag(run: CopyRun, tag: string, manifest: Manifest): Promise<void> {
    const {target, targetRepository} = run.request
    await this.step(run, `tag ${tag}`, async () => {
      const ref = {repository: targetRepository, reference: tag}
      const key = placeKey(target, targetRepository, tag)
      if (this.tagged.get(key) === manifest.digest) return
      const fresh = this.putHere.has(placeKey(target, targetRepository, manifest.digest))
      if (fresh || (await target.registry.manifestDigest(ref)) !== manifest.digest)
        await this.putChecked(run, tag, manifest)
      this.tagged.set(key, manifest.digest)
    })
  }

  /** PUT of the exact source bytes and media type; the target must store them under their digest. */
  private async putChecked(run: CopyRun, reference: string, manifest: Manifest): Promise<void> {
    const {target, targetRepository} = run.request
    const stored = await target.registry.putManifest(
      targetRepository,
      reference,
      manifest.body,
      manifest.mediaType,
    )
    if (stored !== manifest.digest)
      throw new Error(`${target.name} stored it as ${stored}, not ${manifest.digest}`)
    run.stats.manifests++
  }

  /** Runs one part of a copy; its failure names the target, the part and the repository. */
  private step<T>(run: CopyRun, what: string, work: () => T): T {
    const fail = (err: unknown): never => {
      throw copyFailure(run.request.target.name, what, run.request.targetRepository, err)
    }
    try {
      const result = work()
      return (result instanceof Promise ? result.catch(fail) : result) as T
    } catch (err) {
      return fail(err)
    }
  }
}

/**
 * A manifest's or a tag's place in a registry: the key of sourceManifests, completeTrees, putHere
 * and tagged.
 */
function placeKey(target: ReplicaEndpoint, repository: string, reference: string): string {
  return `${target.name}\n${repository}\n${reference}`
}

interface Descriptor extends BlobDescriptor {
  urls?: string[]
}

/**
 * What a manifest names: child manifests (an index), blobs (config and layers) and foreign
 * layers (served from elsewhere: not ours to copy). Every descriptor must carry a sha256 digest
 * and a size.
 */
export function manifestContents(body: Buffer): {
  children: Descriptor[]
  blobs: {blob: Descriptor; kind: string}[]
  foreign: Descriptor[]
} {
  const json = JSON.parse(body.toString('utf8')) as {
    manifests?: unknown
    config?: unknown
    layers?: unknown
  }
  if (Array.isArray(json.manifests))
    return {children: json.manifests.map(descriptor), blobs: [], foreign: []}
  const layers = Array.isArray(json.layers) ? json.layers.map(descriptor) : []
  const isForeign = (layer: Descriptor): boolean =>
    /foreign|nondistributable/.test(layer.mediaType ?? '') || (layer.urls?.length ?? 0) > 0
  return {
    children: [],
    blobs: [
      ...(json.config ? [{blob: descriptor(json.config), kind: 'config'}] : []),
      ...layers.filter((layer) => !isForeign(layer)).map((blob) => ({blob, kind: 'layer'})),
    ],
    foreign: layers.filter(isForeign),
  }
}

function descriptor(value: unknown): Descriptor {
  const {digest, size, mediaType, urls} = (value ?? {}) as Record<string, unknown>
  if (typeof digest !== 'string' || !isSha256Digest(digest))
    throw new CopyError(`a descriptor names '${String(digest).slice(0, 80)}', not a sha256 digest`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new CopyError(`the descriptor of ${digest} has no usable size (${String(size)})`)
  return {
    digest,
    size,
    ...(typeof mediaType === 'string' ? {mediaType} : {}),
    ...(Array.isArray(urls) ? {urls: urls.filter((url) => typeof url === 'string')} : {}),
  }
}
