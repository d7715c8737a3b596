/**
 * The outside world as the pipeline sees it: only the calls it makes. The adapters in adapters/
 * implement these; the pipeline, the release order and the steps call only these.
 */
import type {Readable} from 'node:stream'
import type {BuildStep} from './plan/build-step.js'
import type {ImagePlan} from './plan/push-plan.js'
import type {StoredVersion} from './plan/retention.js'

/** Writes lines of one image's log; kept together so parallel builds never interleave. */
export type LogSink = (line: string) => void

export interface ContainerEngine {
  readonly name: string
  /**
   * True when `build` itself pushes `pushRefs` (buildx `--push`, or by digest when there are none);
   * the pipeline then never calls `push`.
   */
  readonly pushesWhileBuilding: boolean
  /** Builds of stage all write a layer cache to the image's `-buildcache` repository. */
  readonly exportsRegistryCache: boolean
  /** Log in with the password on stdin; throws a CommandError when refused. */
  login(host: string, username: string, password: string): Promise<void>
  /** Build (and tag locally, or push when pushing while building); the digest when it pushed. */
  build(step: BuildStep, log: LogSink): Promise<{digest?: string}>
  /** Push one ref; returns the manifest digest the registry reported. */
  push(ref: string, log: LogSink): Promise<{digest: string}>
}

export interface ManifestRef {
  /** Repository path on the registry, e.g. `ns/app`. */
  repository: string
  /** Tag or digest. */
  reference: string
}

export interface RegistryClient {
  /** Digest of a manifest by tag or digest (HEAD); undefined when it does not exist. */
  manifestDigest(ref: ManifestRef): Promise<string | undefined>
  /**
   * Copy a manifest to other tags inside the registry: one GET, then one PUT per tag, no blob
   * traffic. Returns the digest every tag now names.
   */
  copyManifest(from: ManifestRef, toTags: readonly string[]): Promise<string>
  /** A manifest's exact bytes, media type and digest; undefined when it does not exist. */
  getManifest(
    ref: ManifestRef,
  ): Promise<{body: Buffer; mediaType: string; digest: string} | undefined>
  /** Stores a manifest under a tag or digest; returns its digest. */
  putManifest(
    repository: string,
    reference: string,
    body: Buffer,
    mediaType: string,
  ): Promise<string>
  /** Every tag of a repository, following pagination; [] when the repository does not exist. */
  listTags(repository: string): Promise<string[]>
  /** A blob's bytes (e.g. an image config); undefined when it does not exist. */
  getBlob(repository: string, digest: string): Promise<Buffer | undefined>
  /**
   * A blob as a stream (an image layer), never whole in memory; undefined when it does not exist.
   * The stream errors, instead of ending, when the bytes do not hash to `digest`.
   */
  openBlob(repository: string, digest: string): Promise<Readable | undefined>
  /** Uploads a blob unless the repository has it (HEAD first): POST, then one monolithic PUT ?digest=. Returns its digest. */
  putBlob(repository: string, body: Buffer): Promise<string>
}

/** Stores OCI 1.1 referrers (a manifest with a `subject`), where the registry has the API. */
export interface ReferrerStore {
  /**
   * Stores the manifest by its digest; `subject` is what the registry's `OCI-Subject` header
   * said (undefined: the registry has no referrers API, and keeps it as a plain manifest).
   */
  putReferrer(
    repository: string,
    body: Buffer,
    mediaType: string,
  ): Promise<{digest: string; subject?: string}>
  /** Deletes a manifest by digest; false when it was not there. */
  deleteManifest(repository: string, reference: string): Promise<boolean>
}

/**
 * Bytes an upload can send again from their start (each read is a fresh pass), streamed as they
 * come: a blob arriving from another registry goes out while it is still being read.
 */
export interface ReplayableBytes {
  readonly size: number
  read(): AsyncIterable<Buffer>
}

/**
 * Streaming blob calls for copying images between registries (replication). Kept apart from
 * RegistryClient so the pipeline's fakes need not stream; RegistryHttpClient implements both.
 */
export interface BlobTransferClient {
  /**
   * A blob as a stream from `offset` on (never whole in memory); from 0 its digest is checked as
   * it streams and the stream fails at its end on a mismatch. Undefined when it does not exist.
   */
  openBlob(repository: string, digest: string, offset?: number): Promise<Readable | undefined>
  /** Whether the repository holds the blob (HEAD). */
  hasBlob(repository: string, digest: string): Promise<boolean>
  /** Cross-repository mount from `from` of the same registry; false when the registry did not mount. */
  mountBlob(repository: string, digest: string, from: string): Promise<boolean>
  /**
   * Uploads `size` bytes read from `open(offset)`, or the bytes given when the caller holds the
   * whole blob, or bytes sent as they arrive (ReplayableBytes, one streamed PUT): one PUT below
   * `chunkBytes`, else PATCH chunks of at most `chunkBytes` (held in
   * memory one at a time), resumed at the registry's offset after a failed chunk. Returns the
   * digest.
   */
  uploadBlob(
    repository: string,
    digest: string,
    size: number,
    source: ((offset: number) => Promise<Readable>) | Buffer | ReplayableBytes,
    chunkBytes?: number,
  ): Promise<string>
}

/** What ensuring one repository came to. */
export interface RepositoryOutcome {
  /** Image name, as in the `images` input. */
  name: string
  status: 'existed' | 'created' | 'failed'
  /** OCID, when it exists. */
  id?: string
  compartmentId?: string
  /** Why it failed (or a note about an existing repository). */
  message?: string
}

/** Creates missing repositories before anything is built (OCIR, through the OCI API). */
export interface RepositoryEnsurer {
  ensure(plans: ImagePlan[]): Promise<RepositoryOutcome[]>
}

/** One image of a cleanup: its name (the OCIR repository name) and its path on the registry. */
export interface CatalogImage {
  /** As in the `images` input, e.g. `todo-backend`. */
  name: string
  /** Repository path on the registry, e.g. `ns/todo-backend`. */
  repository: string
}

/** The stored versions of images, and deleting them (stage cleanup). */
export interface ImageCatalog {
  /** Where deletes go, for messages, e.g. `the registry 127.0.0.1:5000`. */
  readonly name: string
  /** Whether one tag can be removed while its digest stays. */
  readonly canDeleteTag: boolean
  /** Every version (digest, its tags, created time, media type, children) of one image. */
  listVersions(image: CatalogImage): Promise<StoredVersion[]>
  /** The digest a tag (or a digest) names right now; undefined when it does not exist. */
  resolveTag(image: CatalogImage, tag: string): Promise<string | undefined>
  /** Removes one tag; its digest stays. */
  deleteTag(image: CatalogImage, tag: string, digest: string): Promise<void>
  /** Deletes a manifest and every tag on it; one that is already gone counts as deleted. */
  deleteDigest(image: CatalogImage, digest: string): Promise<void>
}

/** One base image's digest, as its registry reported it; a reason instead when there is none. */
export interface BaseImageDigest {
  ref: string
  digest?: string
  /** Why there is none (unreachable, 401, not found, timeout …). */
  reason?: string
}

/** A manifest to sign: by digest, in a repository of this run's registry. */
export interface SignTarget {
  /** Repository path on the registry, e.g. `ns/todo-frontend`. */
  repository: string
  /** `host/ns/todo-frontend`: the identity a signature names. */
  imageName: string
  digest: string
}

/** Signs one digest and stores the signature; returns where it went (a reference or an OCID). */
export interface DigestSigner {
  /** `cosign` or `ocir`, for the log and the `signatures` output. */
  kind: string
  sign(target: SignTarget, log: LogSink): Promise<string>
  /** Whether the digest already carries a signature by this signer's key. */
  signed(target: SignTarget): Promise<boolean>
}

/** An image in OCIR, as LookupContainerImageByUri returns it. */
export interface OcirImage {
  id: string
  compartmentId: string
  digest: string
  /** Without the namespace. */
  repositoryName: string
}

/** OCIR's image signature API (Artifacts) and the Vault's crypto endpoint. */
export interface OcirSignatureApi {
  /** The image behind `namespace/repository@sha256:…`. */
  lookupImage(imageUri: string): Promise<OcirImage>
  /** The OCID of an image's signature by this key version, if there is one. */
  findSignature(image: OcirImage, kmsKeyVersionId: string): Promise<string | undefined>
  /** Registers a signature; returns its OCID. A 409 is thrown as is (the caller looks again). */
  createSignature(details: {
    compartmentId: string
    imageId: string
    kmsKeyId: string
    kmsKeyVersionId: string
    signingAlgorithm: string
    message: string
    signature: string
  }): Promise<string>
  /**
   * KMS Sign of a base64 message (RAW, the default: at most 4096 bytes), or of its base64 SHA
   * digest (DIGEST); returns the base64 signature.
   */
  signWithVault(details: {
    message: string
    keyId: string
    keyVersionId: string
    algorithm: string
    messageType?: 'RAW' | 'DIGEST'
  }): Promise<string>
}
