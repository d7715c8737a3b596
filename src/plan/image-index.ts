/** The OCI image index a merge pushes: its exact bytes, and which manifests may be its entries. */
import {parsePlatform} from './platform-legs.js'

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

/** The index carries the OCI labels of the image as annotations (the spec's pre-defined keys). */
export function indexAnnotations(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels)
      .filter(([key]) => key.startsWith('org.opencontainers.image.'))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  )
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
 * a fixed key order, so the same legs and labels always give the same digest.
 */
export function imageIndex(
  entries: readonly {platform: string; manifest: LegManifest}[],
  labels: Record<string, string>,
): string {
  const annotations = indexAnnotations(labels)
  const index: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_INDEX_MEDIA_TYPE,
    manifests: entries.map(({platform, manifest}) => ({
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.size,
      platform: parsePlatform(platform),
    })),
  }
  if (Object.keys(annotations).length > 0) index.annotations = annotations
  return JSON.stringify(index)
}
