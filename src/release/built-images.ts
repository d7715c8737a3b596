import type {ContainerEngine} from '../adapters/ports.js'
import type {RetrySession} from '../adapters/retry.js'
import {imageBuildStep, type BuildOptions} from '../plan/build-step.js'
import {buildAndPush} from './build-and-push.js'
import type {ImageSource} from './release-order.js'

/** `stage: all`: each image is built here and pushed under its immutable tags. */
export function builtImages(
  engine: ContainerEngine,
  retry: RetrySession,
  labels: Record<string, string>,
  options: BuildOptions,
): ImageSource {
  return {
    async publish(plan, outcome, log) {
      const step = imageBuildStep(plan, labels, options)
      const {digest} = await buildAndPush(engine, step, retry, log)
      if (!options.push) {
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
