/** The outside world as the pipeline sees it: only the calls it makes. */
import type {ImagePlan} from '../plan/push-plan.js'

export interface BuildStep {
  /** Image name (for logs). */
  image: string
  /** Repository without a tag, e.g. `iad.ocir.io/ns/app` (buildx pushes by digest to it). */
  imageName: string
  context: string
  file: string
  target?: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
  platforms: string[]
  /** Every reference of the image, for engines that keep a local image to tag. */
  refs: string[]
  /** The immutable references; an engine that pushes while building pushes exactly these. */
  pushRefs: string[]
  /** Push while building (only read by engines with `pushesWhileBuilding`). */
  push: boolean
  /** SOURCE_DATE_EPOCH: image timestamps for builders that can set them. */
  sourceDateEpoch?: number
}

/** Writes lines of one image's log; kept together so parallel builds never interleave. */
export type LogSink = (line: string) => void

export interface ContainerEngine {
  readonly name: string
  /**
   * True when `build` itself pushes `pushRefs` (buildx `--push`, or by digest when there are none);
   * the pipeline then never calls `push`.
   */
  readonly pushesWhileBuilding: boolean
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
}

/** What ensuring one repository came to. */
export interface RepositoryOutcome {
  /** Image name, as in the `images` input. */
  name: string
  status: 'existed' | 'created' | 'failed'
  message?: string
}

/** Creates missing repositories before anything is built (OCIR, through the OCI API). */
export interface RepositoryEnsurer {
  ensure(plans: ImagePlan[]): Promise<RepositoryOutcome[]>
}
