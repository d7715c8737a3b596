import type {ContainerEngine, LogSink} from '../ports.js'
import type {RetrySession} from '../adapters/retry.js'
import type {BuildStep} from '../plan/build-step.js'

/**
 * Builds one step and, when pushing, pushes its `pushRefs` with retries. With an engine that
 * pushes while building (buildx), a transient push failure re-runs the build, from cache.
 * Returns the digest the registry reported ('' when nothing was pushed).
 */
export async function buildAndPush(
  engine: ContainerEngine,
  step: BuildStep,
  retry: RetrySession,
  log: LogSink,
): Promise<{digest: string}> {
  if (engine.pushesWhileBuilding && step.push) {
    const {digest} = await retry.run(
      `${engine.name} build and push`,
      () => engine.build(step, log),
      log,
    )
    return {digest: digest ?? ''}
  }
  await engine.build(step, log)
  let pushed = ''
  for (const ref of step.push ? step.pushRefs : []) {
    const {digest} = await retry.run(`push ${ref}`, () => engine.push(ref, log), log)
    if (pushed && digest && digest !== pushed)
      log(`warning: ${ref} was pushed as ${digest}, not ${pushed}`)
    pushed ||= digest
  }
  return {digest: pushed}
}
