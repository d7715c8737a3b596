/** The OCI image index a merge pushes: its exact bytes, and which manifests may be its entries. */
import type {AnnotationLevel} from '../model/action-config.js'
import {parsePlatform} from './platform-legs.js'
import {writtenAnnotations} from './tags/annotations.js'

export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json'

/** What a per-platform tag may hold: one image for one platform (Docker schema 2 or OCI). */
export const SINGLE_PLATFORM_MEDIA_TYPES: readonly string[] = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]

/** The manifest found under a per-platform tag, as the registry returned it. */
export interface LegManifest {
  mediaType: string
  digest: string
  size: number
}

/**
 * Why a manifest cannot be one entry of an index, or undefined when it can. An index under a
 * per-platform tag (buildx with provenance or SBOM attestations) would nest indexes, which
 * `docker pull` does not resolve.
 */
export function legProblem(manifest: LegManifest): string | undefined {
  if (SINGLE_PLATFORM_MEDIA_TYPES.includes(manifest.mediaType)) return undefined
  return manifest.mediaType === OCI_INDEX_MEDIA_TYPE ||
    manifest.mediaType === 'application/vnd.docker.distribution.manifest.list.v2+json'
    ? `it is a multi-platform index (${manifest.mediaType}), not one image; push one image per platform (for buildx: provenance: false)`
    : `its media type ${manifest.mediaType || '(none)'} is not an image manifest`
}

/**
 * The OCI image index of one image, as the exact bytes to push: entries in `platforms` order and
 * a fixed key order, so the same legs and labels always give the same digest. The OCI labels of
 * the image (the spec's pre-defined keys) are its annotations, at the levels of
 * DOCKER_METADATA_ANNOTATIONS_LEVELS (`levels`): `index` on the index, `manifest-descriptor` on
 * each entry; unset, on the index only.
 */
export function imageIndex(
  entries: readonly {platform: string; manifest: LegManifest}[],
  labels: Record<string, string>,
  levels?: readonly AnnotationLevel[],
): string {
  const annotations = writtenAnnotations(labels, levels)
  const descriptor = Object.keys(annotations.manifestDescriptor).length > 0
  const index: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_INDEX_MEDIA_TYPE,
    manifests: entries.map(({platform, manifest}) => ({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.size,
      ...(descriptor ? {annotations: annotations.manifestDescriptor} : {}),
      platform: parsePlatform(platform),
    })),
  }
  if (Object.keys(annotations.index).length > 0) index.annotations = annotations.index
  return JSON.stringify(index)
}
