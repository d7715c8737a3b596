/**
 * Replication: the release copied to further registries (OCIR regions, other registries) with the
 * same digests, after it is signed, so the copies carry their signatures and attestations. Every
 * target's login is checked before anything is built; an image counts as published only once
 * every target holds it, so a target that fails moves no tag in any registry; the moving tags
 * move in every target right after the run's own registry moved them, and only those.
 */
import * as core from '@actions/core'
import {DEFAULT_RETRY_BASE_MS, RetrySession} from '../adapters/retry.js'
import {ActionError, describeFailure} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import type {LogSink} from '../ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {ImageOutcome} from '../release/image-outcome.js'
import {code, escapeHtml} from '../report/html.js'
import {defineStep, type CoreConfig, type StepReport} from '../steps/release-step.js'
import {ImageCopier, type ReplicaEndpoint} from './copy-image.js'
import {copyEarly, copyToTargets, movedTags, type Replicas} from './replicate-image.js'
import {ensureRegionRepositories} from './region-repositories.js'
import {readReplication, type ReplicationSettings} from './settings.js'
import {connectTargets, preflight} from './targets.js'

export const replicationStep = defineStep<ReplicationSettings>({
  name: 'replication',
  read(inputs, config) {
    const settings = readReplication(inputs, config)
    // A cleanup reads the targets itself; per-platform legs are replicated by the merge.
    if (!settings || config.stage === 'cleanup' || config.stage === 'platform') return undefined
    for (const warning of settings.warnings) core.warning(warning)
    return settings
  },
  planLines: (settings, {config, plan}) =>
    config.push ? replicationLines(settings, config, plan.plans) : {},
  async connect(settings, {config, namespace, registry, login}) {
    if (!config.push) return {}
    const targets = await connectTargets(settings, {config, login})
    // Every login checked now: after the run's own, before anything is built or pushed.
    await preflight(targets, config.maxParallel)
    const source: ReplicaEndpoint = {name: config.registry.host, registry}
    const copier = new ImageCopier({
      maxParallel: config.maxParallel,
      retry: new RetrySession({
        retries: config.retries,
        baseMs: config.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      }),
      log: core.info,
    })
    const replicas: Replicas = {}
    const failed: Record<string, string[]> = {}
    const plans = new Map<string, ImagePlan>()
    /** Copies started while the other images were still building (their failures come later). */
    const early = new Map<string, Promise<void>>()
    const moveFailures: {image: string; message: string; nextStep: string}[] = []
    return {
      async beforePush({plans: planned}) {
        core.info(
          `Replication targets (namespace ${namespace || '(none)'}): ${targets.map(({target}) => target.name).join(', ')}`,
        )
        return settings.ensureRepositories
          ? ensureRegionRepositories(settings, config, planned)
          : undefined
      },
      // The image's tree starts on its way to every target the moment it is pushed; the copy
      // after signing then finds it there and adds the signatures and the tags.
      onPublished(plan: ImagePlan, outcome: ImageOutcome) {
        early.set(plan.image.name, copyEarly({copier, source, targets, plan, outcome}))
      },
      async afterPublish(plan: ImagePlan, outcome: ImageOutcome, log: LogSink) {
        plans.set(plan.image.name, plan)
        await early.get(plan.image.name)
        const result = await copyToTargets({
          copier,
          source,
          targets,
          plan,
          outcome,
          log,
          parallel: config.maxParallel,
        })
        replicas[plan.image.name] = result.replicas
        if (result.failures.length === 0) return
        failed[plan.image.name] = result.failures.map((failure) => failure.target)
        throw new ActionError(
          `replication failed in ${result.failures.map((failure) => `${failure.target} (${failure.message})`).join('; ')}`,
          `no moving tag moved in any registry. Fix the target${result.failures.length > 1 ? 's' : ''} and re-run: a re-run copies only what is missing`,
        )
      },
      async afterRelease(images: readonly ImageOutcome[]) {
        // Every image's tags at once (each copy is already in every target); failures are told
        // in the images' order.
        const failures = await mapWithLimit([...images], config.maxParallel, async (outcome) => {
          const plan = plans.get(outcome.name)
          if (!plan || outcome.status === 'failed' || !outcome.digest) return []
          const tags = movedTags(plan, outcome)
          if (tags.length === 0) return []
          const digest = outcome.digest
          const failed = await Promise.all(
            targets.map(async (connected) => {
              const target: ReplicaEndpoint = {
                name: connected.target.name,
                registry: connected.registry,
              }
              try {
                await connected.refresh()
                for (const tag of tags)
                  await copier.moveTag(target, plan.repository, tag, digest, {
                    endpoint: source,
                    repository: plan.repository,
                  })
                core.info(`${plan.image.name}: moved ${tags.join(', ')} in ${target.name}`)
                return []
              } catch (err) {
                return [
                  {
                    image: plan.image.name,
                    message: `moving tags ${tags.join(', ')} in ${target.name} failed: ${describeFailure(err)}`,
                    nextStep: `the run's own registry moved them; re-run to move them in ${target.name} too (every copy is already there)`,
                  },
                ]
              }
            }),
          )
          return failed.flat()
        })
        moveFailures.push(...failures.flat())
      },
      report: () => replicationReport(replicas, failed, moveFailures),
    }
  },
  idleReport: () => ({outputs: {replicas: '{}'}}),
})

/** What a real run would copy and move, per target. */
function replicationLines(
  settings: ReplicationSettings,
  config: CoreConfig,
  plans: readonly ImagePlan[],
): {connect: string[]; beforePush: string[]; afterPublish: string[]; afterRelease: string[]} {
  const {targets} = settings
  const regions = targets.filter((target) => target.kind === 'region')
  return {
    connect: targets.map(
      (target) =>
        `# log in to ${target.name} (${target.kind === 'region' ? "OCIR region: the run's own credentials" : settings.credentials[target.name] ? `replicate-auth: ${settings.credentials[target.name].username}` : 'anonymously'}) and check the login before anything is built`,
    ),
    beforePush:
      settings.ensureRepositories && config.oci && regions.length > 0
        ? [
            `# ensure the repositories ${plans.map((plan) => plan.image.name).join(', ')} in ${regions.map((target) => target.name).join(', ')} through each region's Artifacts API (a dry run creates none)`,
          ]
        : [],
    afterPublish: plans.flatMap((plan) =>
      targets.map(
        (target) =>
          `# copy ${plan.imageName}@<pushed digest> to ${target.name}/${plan.repository} (its immutable tags, signatures and attestations; same digest)`,
      ),
    ),
    afterRelease: plans.flatMap((plan) =>
      plan.movingTags.flatMap((tag) =>
        targets.map((target) => `# move ${tag} in ${target.name}/${plan.repository}`),
      ),
    ),
  }
}

function replicationReport(
  replicas: Replicas,
  failed: Record<string, string[]>,
  moveFailures: {image: string; message: string; nextStep: string}[],
): StepReport {
  const images = [...new Set([...Object.keys(replicas), ...Object.keys(failed)])]
  return {
    outputs: {replicas: JSON.stringify(replicas)},
    column:
      images.length > 0
        ? {
            header: 'replicas',
            cells: Object.fromEntries(
              images.map((image) => [
                image,
                [
                  ...Object.entries(replicas[image] ?? {}).map(
                    ([target, digest]) =>
                      `${escapeHtml(target)}: ${code(`${digest.slice(0, 19)}…`)}`,
                  ),
                  ...(failed[image] ?? []).map((target) => `${escapeHtml(target)}: failed`),
                ].join('<br>'),
              ]),
            ),
          }
        : undefined,
    failures: moveFailures,
  }
}
