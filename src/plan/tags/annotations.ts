/**
 * metadata-action's annotations: the OCI keys of the labels, each at the levels of
 * DOCKER_METADATA_ANNOTATIONS_LEVELS (`manifest` unless set), written `level:key=value`.
 */
import type {AnnotationLevel} from '../../model/action-config.js'

/** metadata-action's level when DOCKER_METADATA_ANNOTATIONS_LEVELS is unset (for the output). */
export const DEFAULT_ANNOTATION_LEVELS: readonly AnnotationLevel[] = ['manifest']

/** A pre-defined OCI annotation key (and what buildx reads as one: no `:` or `=` in it). */
const OCI_KEY = /^org\.opencontainers\.image\.[A-Za-z0-9._-]+$/

/**
 * The annotations of an image: its `org.opencontainers.image.*` labels (the computed ones and any
 * the `labels` input or the image sets), sorted by key. Other labels are not annotations.
 */
export function ociAnnotations(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels)
      .filter(([key]) => OCI_KEY.test(key))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  )
}

/**
 * The `annotations` output, as metadata-action writes it: for each level in the order given, every
 * annotation as `level:key=value`.
 */
export function annotationLines(
  labels: Record<string, string>,
  levels: readonly AnnotationLevel[] = DEFAULT_ANNOTATION_LEVELS,
): string[] {
  const annotations = Object.entries(ociAnnotations(labels))
  return levels.flatMap((level) => annotations.map(([key, value]) => `${level}:${key}=${value}`))
}

/** The annotations of what this action writes in the registry itself, by level. */
export interface WrittenAnnotations {
  /** On an index it writes (a merge's, a relabelled multi-platform image's). */
  index: Record<string, string>
  /** On each manifest's descriptor in such an index. */
  manifestDescriptor: Record<string, string>
  /** On a manifest it writes (a relabelled image's). */
  manifest: Record<string, string>
  /** Every annotation of this run: a key an earlier release already carries is brought up to date. */
  all: Record<string, string>
}

/**
 * The annotations of the indexes and manifests this action writes (not the builders'): with
 * DOCKER_METADATA_ANNOTATIONS_LEVELS set, at the levels it names; unset, on the index only, as the
 * action always did. `index-descriptor` goes nowhere in a registry (nothing there describes the
 * index it names), so it is in the output only.
 */
export function writtenAnnotations(
  labels: Record<string, string>,
  levels?: readonly AnnotationLevel[],
): WrittenAnnotations {
  const all = ociAnnotations(labels)
  const applied = levels ?? ['index']
  const at = (level: AnnotationLevel): Record<string, string> =>
    applied.includes(level) ? all : {}
  return {
    index: at('index'),
    manifestDescriptor: at('manifest-descriptor'),
    manifest: at('manifest'),
    all,
  }
}
