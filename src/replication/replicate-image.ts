/**
 * One image of the release, copied to every target at once (at most `parallel` targets at a
 * time): each target gets the whole tree under the same digest, its immutable tags, signatures
 * and attestations. One target failing does not stop the others (a re-run finds their copies);
 * the failures are returned, each naming its target.
 */
import {describeFailure} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import type {LogSink} from '../ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {ImageOutcome} from '../release/image-outcome.js'
import type {ImageCopier, ReplicaEndpoint} from './copy-image.js'
import type {ConnectedTarget} from './targets.js'

/** The `replicas` output: image name → target name → digest. */
export type Replicas = Record<string, Record<string, string>>

export interface CopyToTargets {
  copier: Pick<ImageCopier, 'copy'>
  source: ReplicaEndpoint
  targets: readonly Pick<ConnectedTarget, 'target' | 'registry' | 'refresh'>[]
  plan: ImagePlan
  outcome: Pick<ImageOutcome, 'digest'>
  log: LogSink
  parallel: number
}

export async function copyToTargets(
  input: CopyToTargets,
): Promise<{replicas: Record<string, string>; failures: {target: string; message: string}[]}> {
  const {plan, outcome, log} = input
  if (!outcome.digest)
    throw new Error(
      `no digest was recorded for ${plan.imageName}, so it cannot be replicated: give it an immutable tag (e.g. type=sha)`,
    )
  type Result = {name: string; digest: string} | {name: string; message: string}
  const results = await mapWithLimit(
    [...input.targets],
    input.parallel,
    async (connected): Promise<Result> => {
      const name = connected.target.name
      const started = Date.now()
      try {
        await connected.refresh()
        const {digest, stats} = await input.copier.copy({
          source: input.source,
          sourceRepository: plan.repository,
          target: {name, registry: connected.registry},
          targetRepository: plan.repository,
          digest: outcome.digest,
          tags: plan.immutableTags,
        })
        if (digest !== outcome.digest)
          throw new Error(`the copy has the digest ${digest}, not ${outcome.digest}`)
        const seconds = ((Date.now() - started) / 1000).toFixed(1)
        log(
          `replicated to ${name}/${plan.repository}@${digest} in ${seconds} s: ${stats.manifests} manifests, ${stats.uploaded} blobs uploaded (${mebibytes(stats.bytes)}), ${stats.mounted} mounted, ${stats.skipped} already there`,
        )
        return {name, digest}
      } catch (err) {
        const message = describeFailure(err)
        log(`replication to ${name} failed: ${message}`)
        return {name, message}
      }
    },
  )
  const replicas: Record<string, string> = {}
  const failures: {target: string; message: string}[] = []
  for (const result of results)
    if ('digest' in result) replicas[result.name] = result.digest
    else failures.push({target: result.name, message: result.message})
  return {replicas, failures}
}

/**
 * The image's tree copied to every target without its tags, while the other images of the run
 * are still building: never fails (the copy after signing does it again, skipping what is there,
 * and reports what failed).
 */
export async function copyEarly(
  input: Pick<CopyToTargets, 'copier' | 'source' | 'targets' | 'plan' | 'outcome'>,
): Promise<void> {
  const {plan, outcome} = input
  if (!outcome.digest) return
  await Promise.all(
    input.targets.map(async (connected) => {
      try {
        await connected.refresh()
        await input.copier.copy({
          source: input.source,
          sourceRepository: plan.repository,
          target: {name: connected.target.name, registry: connected.registry},
          targetRepository: plan.repository,
          digest: outcome.digest,
          attached: false,
        })
      } catch {
        // Left to the copy after signing, which names the target.
      }
    }),
  )
}

/** The moving tags the run's own registry moved for this image (a held-back latest is not). */
export function movedTags(
  plan: Pick<ImagePlan, 'movingTags' | 'imageName'>,
  outcome: Pick<ImageOutcome, 'refs'>,
): string[] {
  const refs = new Set(outcome.refs)
  return plan.movingTags.filter((tag) => refs.has(`${plan.imageName}:${tag}`))
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
