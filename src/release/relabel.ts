/**
 * Reuse without a rebuild: a new image config with this run's labels and the very same layers.
 * Only the config blob and the manifest are written; no layer is uploaded or downloaded.
 */
import type {RegistryClient} from '../ports.js'
import type {AnnotationLevel} from '../model/action-config.js'
import {contentDigest} from '../model/digest.js'
import {ActionError} from '../errors.js'
import {writtenAnnotations, type WrittenAnnotations} from '../plan/tags/annotations.js'

/** The label that holds an image's build key (see build-key.ts). */
export const BUILD_KEY_LABEL = 'dev.ocir-push.build-key'

const INDEX_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]

/** The manifests with a place for annotations (Docker schema 2 manifests and lists have none). */
const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json'
export const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json'

/** The registry calls reuse makes. */
export type ReuseRegistry = Pick<RegistryClient, 'getManifest' | 'putManifest'> & {
  getBlob(repository: string, digest: string): Promise<Buffer | undefined>
  putBlob(repository: string, body: Buffer): Promise<string>
}

/** A candidate that exists: its manifest as stored, and the build key its config carries. */
export interface PreviousImage {
  tag: string
  digest: string
  mediaType: string
  body: Buffer
  /** The build key label of its config (of its first platform, for an index). */
  key?: string
}

interface Descriptor {
  mediaType?: string
  digest: string
  size: number
  platform?: {os?: string; architecture?: string}
  annotations?: Record<string, string>
}

interface Manifest {
  mediaType?: string
  config?: Descriptor
  manifests?: Descriptor[]
  annotations?: Record<string, string>
  [field: string]: unknown
}

interface ImageConfig {
  config?: {Labels?: Record<string, string> | null; [field: string]: unknown}
  [field: string]: unknown
}

/** Reads a candidate tag: undefined when the repository has no such tag. */
export async function readCandidate(
  registry: ReuseRegistry,
  repository: string,
  tag: string,
): Promise<PreviousImage | undefined> {
  const found = await registry.getManifest({repository, reference: tag})
  if (!found) return undefined
  const manifest = parse<Manifest>(found.body, `${repository}:${tag}`)
  let config = manifest.config
  if (isIndex(found.mediaType, manifest)) {
    const first = imageEntries(manifest)[0]
    const child = first && (await registry.getManifest({repository, reference: first.digest}))
    config = child ? parse<Manifest>(child.body, `${repository}@${first.digest}`).config : undefined
  }
  const labels = config ? await readLabels(registry, repository, config.digest) : {}
  // The digest of the bytes read, whatever the registry named them.
  return {tag, ...found, digest: contentDigest(found.body), key: labels[BUILD_KEY_LABEL]}
}

/**
 * Stores `previous` again with `labels` merged into its config's labels (each platform's, for an
 * index), under `tags`, or by digest when there are none. Returns the new digest. The OCI labels
 * go on as annotations at the levels of DOCKER_METADATA_ANNOTATIONS_LEVELS (`annotationLevels`;
 * unset: on the index only): `index` on an index, `manifest-descriptor` on its entries, `manifest`
 * on OCI manifests. An annotation the previous release carries under one of those keys is brought
 * up to date at every level, so none describes the previous release.
 */
export async function relabelImage(
  registry: ReuseRegistry,
  repository: string,
  previous: Pick<PreviousImage, 'body' | 'mediaType' | 'tag'>,
  labels: Record<string, string>,
  tags: readonly string[],
  annotationLevels?: readonly AnnotationLevel[],
): Promise<string> {
  const manifest = parse<Manifest>(previous.body, `${repository}:${previous.tag}`)
  const annotations = writtenAnnotations(labels, annotationLevels)
  let body: Buffer
  if (isIndex(previous.mediaType, manifest)) {
    const manifests: Descriptor[] = []
    const oci = (manifest.mediaType ?? previous.mediaType) === OCI_INDEX_MEDIA_TYPE
    for (const entry of imageEntries(manifest)) {
      const child = await registry.getManifest({repository, reference: entry.digest})
      if (!child) {
        throw new ActionError(
          `${repository}:${previous.tag} names ${entry.digest}, which the registry does not have`,
          'build instead: set reuse: false for this run',
        )
      }
      const relabelled = await relabelManifest(registry, repository, child, labels, annotations)
      const digest = relabelled.digest
      stored(
        await registry.putManifest(repository, digest, relabelled.body, child.mediaType),
        digest,
        `a manifest of ${repository}`,
      )
      manifests.push(
        annotated(
          {...entry, digest, size: relabelled.body.length},
          oci ? annotations.manifestDescriptor : {},
          annotations.all,
        ),
      )
    }
    // Attestations (unknown/unknown) describe the old images: they are not carried over.
    body = Buffer.from(
      JSON.stringify(
        annotated({...manifest, manifests}, oci ? annotations.index : {}, annotations.all),
      ),
      'utf8',
    )
  } else {
    body = (await relabelManifest(registry, repository, previous, labels, annotations)).body
  }
  const digest = contentDigest(body)
  const where = tags.length > 0 ? tags : [digest]
  for (const reference of where)
    stored(
      await registry.putManifest(repository, reference, body, previous.mediaType),
      digest,
      `${repository}:${reference}`,
    )
  return digest
}

/** The digest we computed is the one used: a registry that names another fails the reuse. */
function stored(named: string, digest: string, what: string): void {
  if (named !== digest)
    throw new ActionError(
      `the registry stored ${what} under ${named}, but the bytes sent hash to ${digest}`,
      'build instead: set reuse: false for this run',
    )
}

/**
 * `annotations` set on `target`, and every key of `all` it already has brought up to date; the
 * other annotations it has are kept. No annotations field where there is none to write.
 */
function annotated<T extends {annotations?: Record<string, string>}>(
  target: T,
  annotations: Record<string, string>,
  all: Record<string, string>,
): T {
  const result: Record<string, string> = {...target.annotations}
  for (const [key, value] of Object.entries(all)) if (key in result) result[key] = value
  Object.assign(result, annotations)
  return Object.keys(result).length > 0 ? {...target, annotations: result} : target
}

async function relabelManifest(
  registry: ReuseRegistry,
  repository: string,
  found: {body: Buffer; mediaType: string},
  labels: Record<string, string>,
  annotations: WrittenAnnotations,
): Promise<{body: Buffer; digest: string}> {
  const manifest = parse<Manifest>(found.body, repository)
  if (!manifest.config) throw new ActionError(`a manifest in ${repository} has no config`)
  const configBody = await registry.getBlob(repository, manifest.config.digest)
  if (!configBody) {
    throw new ActionError(
      `the config ${manifest.config.digest} of a manifest in ${repository} is missing`,
      'build instead: set reuse: false for this run',
    )
  }
  const config = parse<ImageConfig>(configBody, manifest.config.digest)
  config.config = {...config.config, Labels: {...config.config?.Labels, ...labels}}
  const newConfig = Buffer.from(JSON.stringify(config), 'utf8')
  const configDigest = contentDigest(newConfig)
  stored(await registry.putBlob(repository, newConfig), configDigest, `a config of ${repository}`)
  const oci = (manifest.mediaType ?? found.mediaType) === OCI_MANIFEST_MEDIA_TYPE
  const body = Buffer.from(
    JSON.stringify(
      annotated(
        {...manifest, config: {...manifest.config, digest: configDigest, size: newConfig.length}},
        oci ? annotations.manifest : {},
        annotations.all,
      ),
    ),
    'utf8',
  )
  return {body, digest: contentDigest(body)}
}

async function readLabels(
  registry: ReuseRegistry,
  repository: string,
  digest: string,
): Promise<Record<string, string>> {
  const body = await registry.getBlob(repository, digest)
  if (!body) return {}
  return parse<ImageConfig>(body, digest).config?.Labels ?? {}
}

function isIndex(mediaType: string, manifest: Manifest): boolean {
  return INDEX_MEDIA_TYPES.includes(mediaType) || Array.isArray(manifest.manifests)
}

function imageEntries(manifest: Manifest): Descriptor[] {
  return (manifest.manifests ?? []).filter(
    (entry) => entry.platform?.os !== 'unknown' && entry.platform?.architecture !== 'unknown',
  )
}

function parse<T>(body: Buffer, what: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T
  } catch {
    throw new ActionError(`${what} is not JSON`, 'build instead: set reuse: false for this run')
  }
}
