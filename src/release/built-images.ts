import type {ContainerEngine, LogSink} from '../ports.js'
import type {RetrySession} from '../adapters/retry.js'
import type {AnnotationLevel, CacheMode} from '../model/action-config.js'
import {imageBuildCache, imageBuildStep, type BuildOptions} from '../plan/build-step.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {buildAndPush} from './build-and-push.js'
import type {ImageOutcome} from './image-outcome.js'
import {decideReuse, type ReuseDecision, type ReuseSettings} from './image-reuse.js'
import {BUILD_KEY_LABEL, DOCKER_MANIFEST_MEDIA_TYPE, relabelImage} from './relabel.js'
import type {ImageSource} from './release-order.js'

export interface BuiltImagesInput extends BuildOptions {
  engine: ContainerEngine
  retry: RetrySession
  /** The run's labels; an image's own labels go on top. */
  labels: Record<string, string>
  /** How to find previous releases; undefined when nothing is pushed (no registry to ask). */
  reuse?: ReuseSettings
  cache: CacheMode
  /** One reference of every image of this run, for the classic builder's `--cache-from`. */
  localImages: string[]
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS; undefined when unset. */
  annotationLevels?: readonly AnnotationLevel[]
}

/**
 * `stage: all`: each image is built here and pushed under its immutable tags, unless a previous
 * release has the same build inputs: then it is relabelled in the registry instead.
 */
export function builtImages(input: BuiltImagesInput): ImageSource {
  const {engine, retry} = input
  return {
    async publish(plan, outcome, log) {
      const decision = annotatable(
        input,
        input.reuse ? await decideReuse(input.reuse, plan, log) : undefined,
      )
      if (decision?.kind === 'reuse' && input.reuse) {
        await reuse(input.reuse, plan, outcome, decision, input, log)
        return
      }
      if (decision?.kind === 'build') log(`building: ${decision.reason}`)
      // The key label is always the action's: the key (with reuse off too, so a later run may
      // reuse this image), or empty when in doubt, so that a Dockerfile's own
      // `LABEL dev.ocir-push.build-key=…` can never make a later run reuse this image.
      const labels = {...input.labels, [BUILD_KEY_LABEL]: decision?.key ?? ''}
      const step = imageBuildStep(plan, labels, input)
      if (decision?.kind === 'build') {
        step.cache = imageBuildCache(plan, {
          cache: input.cache,
          previousTag: decision.previous?.tag,
          localImages: input.localImages,
        })
      }
      const {digest} = await buildAndPush(engine, step, retry, log)
      outcome.built = true
      if (!input.push) {
        outcome.refs = [...plan.refs]
        return
      }
      outcome.digest = digest
      outcome.refs.push(...step.pushRefs)
      // buildx pushes by digest when there is no immutable tag: the image is in the registry.
      outcome.pushed = step.pushRefs.length > 0 || engine.pushesWhileBuilding
    },
    // No immutable tag was pushed: the builder pushes the moving tags itself, now.
    async pushMovingTags(plan, tags, outcome, log) {
      for (const tag of tags) {
        const ref = `${plan.imageName}:${tag}`
        const {digest} = await retry.run(`push ${ref}`, () => engine.push(ref, log), log)
        outcome.digest ||= digest
      }
    },
  }
}

/**
 * A previous release that is one Docker manifest cannot stand in when the manifest annotations
 * DOCKER_METADATA_ANNOTATIONS_LEVELS asks for would go on a rebuild (buildah and podman built
 * Docker format before they were asked for): that manifest has no place for them. The image is
 * built instead, with the release as its layer cache. The classic builder sets none either way.
 */
export function annotatable(
  input: Pick<BuiltImagesInput, 'annotationLevels' | 'engine'>,
  decision: ReuseDecision | undefined,
): ReuseDecision | undefined {
  if (decision?.kind !== 'reuse' || input.engine.name === 'docker') return decision
  if (!input.annotationLevels?.includes('manifest')) return decision
  if (decision.previous.mediaType !== DOCKER_MANIFEST_MEDIA_TYPE) return decision
  return {
    kind: 'build',
    key: decision.key,
    reason: `${decision.previous.tag} not reused: it is a Docker image manifest, which has no place for the manifest annotations DOCKER_METADATA_ANNOTATIONS_LEVELS asks for`,
    previous: decision.previous,
  }
}

/** The previous release under this run's labels and immutable tags: no build, no layer moved. */
async function reuse(
  settings: ReuseSettings,
  plan: ImagePlan,
  outcome: ImageOutcome,
  decision: Extract<ReuseDecision, {kind: 'reuse'}>,
  {labels, annotationLevels}: Pick<BuiltImagesInput, 'labels' | 'annotationLevels'>,
  log: LogSink,
): Promise<void> {
  const {previous, key} = decision
  outcome.digest = await relabelImage(
    settings.registry,
    plan.repository,
    previous,
    {...labels, ...plan.image.labels, [BUILD_KEY_LABEL]: key},
    plan.immutableTags,
    annotationLevels,
  )
  outcome.refs.push(...plan.immutableTags.map((tag) => `${plan.imageName}:${tag}`))
  outcome.pushed = true
  outcome.built = false
  outcome.reusedFrom = `${plan.imageName}:${previous.tag}`
  outcome.reusedFromDigest = previous.digest
  log(
    `reused ${outcome.reusedFrom} (${previous.digest}): inputs unchanged, so it was relabelled with this run's labels as ${outcome.digest}; no layer was built or uploaded`,
  )
}
