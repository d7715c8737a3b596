import type {BuildStep, ContainerEngine, LogSink} from '../adapters/ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {RetrySession, type RetryPolicy} from '../adapters/retry.js'

/**
 * Builds one step and, when pushing, pushes its `pushRefs` with retries. With an engine that
 * pushes while building (buildx), a transient push failure re-runs the build, from cache.
 * Returns the digest the registry reported ('' when nothing was pushed).
 */
export async function buildAndPush(
  engine: ContainerEngine,
  step: BuildStep,
  retry: RetrySession | RetryPolicy,
  log: LogSink,
): Promise<{digest: string}> {
  // The platform stage still hands over a bare policy (its session then is its own).
  const session = retry instanceof RetrySession ? retry : new RetrySession(retry)
  if (engine.pushesWhileBuilding && step.push) {
    const {digest} = await session.run(
      `${engine.name} build and push`,
      () => engine.build(step, log),
      log,
    )
    return {digest: digest ?? ''}
  }
  await engine.build(step, log)
  let pushed = ''
  for (const ref of step.push ? step.pushRefs : []) {
    const {digest} = await session.run(`push ${ref}`, () => engine.push(ref, log), log)
    if (pushed && digest && digest !== pushed)
      log(`warning: ${ref} was pushed as ${digest}, not ${pushed}`)
    pushed ||= digest
  }
  return {digest: pushed}
}

/** The build step of one planned image: what differs per run is where it goes and for which platforms. */
export function buildStepOf(
  plan: ImagePlan,
  labels: Record<string, string>,
  target: Pick<BuildStep, 'platforms' | 'refs' | 'pushRefs' | 'push' | 'sourceDateEpoch'>,
): BuildStep {
  return {
    image: plan.image.name,
    imageName: plan.imageName,
    context: plan.image.context,
    file: plan.image.file,
    target: plan.image.target,
    buildArgs: plan.image.buildArgs,
    labels: {...labels, ...plan.image.labels},
    ...target,
  }
}
