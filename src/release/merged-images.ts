import type {RegistryClient} from '../ports.js'
import type {AnnotationLevel} from '../model/action-config.js'
import {contentDigest} from '../model/digest.js'
import {ActionError} from '../errors.js'
import {
  imageIndex,
  legProblem,
  OCI_INDEX_MEDIA_TYPE,
  type LegManifest,
} from '../plan/image-index.js'
import type {ImageLegs} from '../plan/platform-legs.js'
import {describeFailure} from '../errors.js'
import type {ImageSource} from './release-order.js'

/** The registry calls a merge makes. */
export type ManifestStore = Pick<RegistryClient, 'getManifest' | 'putManifest'>

/**
 * `stage: merge`: builds nothing. Every leg of every image is read first (prepare): if any is
 * missing, or is not a single-platform image, nothing is pushed for any image, so the merge can
 * simply be re-run once the missing platform run has pushed. Then each image's OCI index goes
 * under its immutable tags; the release order does the rest.
 */
export function mergedImages(
  images: readonly ImageLegs[],
  registry: ManifestStore,
  labels: Record<string, string>,
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS; undefined: the index annotations only. */
  annotationLevels?: readonly AnnotationLevel[],
): ImageSource {
  const indexes = new Map<string, Buffer>()
  const legsOf = (name: string): ImageLegs =>
    images.find((image) => image.plan.image.name === name) as ImageLegs
  return {
    async prepare(plan, outcome, log) {
      const problems: string[] = []
      const entries: {platform: string; manifest: LegManifest}[] = []
      outcome.platforms = []
      for (const leg of legsOf(plan.image.name).legs) {
        try {
          const found = await registry.getManifest({
            repository: plan.repository,
            reference: leg.tag,
          })
          if (!found) {
            problems.push(
              `platform ${leg.platform} is missing: ${leg.ref} does not exist; run stage: platform for ${leg.platform} at this commit first (did that job fail or get skipped?)`,
            )
            continue
          }
          // The index names the hash of the bytes read, never a digest the registry claims.
          const digest = contentDigest(found.body)
          const manifest = {mediaType: found.mediaType, digest, size: found.body.length}
          const problem = legProblem(manifest)
          if (problem) {
            problems.push(`platform ${leg.platform} cannot be merged: ${leg.ref}: ${problem}`)
            continue
          }
          entries.push({platform: leg.platform, manifest})
          outcome.platforms.push({platform: leg.platform, ref: leg.ref, digest})
          log(`${leg.platform}: ${leg.ref} is ${digest} (${found.mediaType})`)
        } catch (err) {
          problems.push(
            `platform ${leg.platform}: reading ${leg.ref} failed: ${describeFailure(err)}`,
          )
        }
      }
      if (problems.length > 0) throw new ActionError(problems.join('; '))
      const body = imageIndex(entries, {...labels, ...plan.image.labels}, annotationLevels)
      indexes.set(plan.image.name, Buffer.from(body, 'utf8'))
    },

    async publish(plan, outcome, log) {
      const body = indexes.get(plan.image.name) as Buffer
      // The digest of the bytes we send is the one signed and tagged; a registry naming another fails.
      const digest = contentDigest(body)
      const put = async (reference: string): Promise<void> => {
        const named = await registry.putManifest(
          plan.repository,
          reference,
          body,
          OCI_INDEX_MEDIA_TYPE,
        )
        if (named !== digest)
          throw new ActionError(
            `the registry stored the index of ${plan.imageName} under ${named}, but its bytes hash to ${digest}`,
          )
      }
      if (plan.immutableTags.length === 0) {
        // No immutable tag to push first: store the index by digest, the moving tags follow.
        await put(digest)
        outcome.digest = digest
        outcome.pushed = true
        log(`pushed the index of ${plan.imageName} by digest (${outcome.digest})`)
      }
      for (const tag of plan.immutableTags) {
        await put(tag)
        outcome.digest ||= digest
        outcome.refs.push(`${plan.imageName}:${tag}`)
        outcome.pushed = true
        log(`pushed ${plan.imageName}:${tag} (${digest})`)
      }
    },
  }
}
