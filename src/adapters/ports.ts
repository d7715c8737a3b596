/** The outside world as the pipeline sees it: only the calls it makes. */

export interface BuildStep {
  /** Image name (for logs). */
  image: string
  context: string
  file: string
  target?: string
  buildArgs: Record<string, string>
  labels: Record<string, string>
  platforms: string[]
  /** Full references to tag the built image with, e.g. `iad.ocir.io/ns/app:sha-1234567`. */
  refs: string[]
}

/** Writes lines of one image's log; kept together so parallel builds never interleave. */
export type LogSink = (line: string) => void

export interface ContainerEngine {
  readonly name: string
  /** Log in with the password on stdin; throws a CommandError when refused. */
  login(host: string, username: string, password: string): Promise<void>
  /** Build and tag locally with every ref of the step. */
  build(step: BuildStep, log: LogSink): Promise<void>
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
  /** Copy a manifest to another tag inside the registry (one GET, one PUT, no blob traffic). */
  copyManifest(from: ManifestRef, toTag: string): Promise<string>
  /** Every tag of a repository, following pagination; [] when the repository does not exist. */
  listTags(repository: string): Promise<string[]>
}
