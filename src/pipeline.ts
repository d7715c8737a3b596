import * as core from '@actions/core'
import type {ActionConfig} from './config/action-config.js'
import {describeFailure} from './errors.js'
import type {ContainerEngine, LogSink, RegistryClient} from './adapters/ports.js'
import {planPushes, type ImagePlan} from './plan/push-plan.js'
import {computeTags} from './plan/tags/compute-tags.js'
import type {TagContext} from './plan/tags/tag-types.js'
import {computeLabels, type RepositoryData} from './plan/tags/labels.js'

export type ImageStatus = 'planned' | 'built' | 'pushed' | 'failed' | 'skipped'

export interface ImageOutcome {
  name: string
  repository: string
  imageName: string
  /** Every reference of the image (pushed, or planned in a dry run). */
  refs: string[]
  digest: string
  pushed: boolean
  status: ImageStatus
  durationMs: number
  message?: string
}

export interface PipelineResult {
  registry: string
  namespace: string
  username: string
  version: string
  tagNames: string[]
  labels: Record<string, string>
  images: ImageOutcome[]
  failures: {image: string; message: string}[]
  notices: string[]
  dryRun: boolean
  /** The commands the run would make, for a dry run's report. */
  commands: string[]
}

export interface Adapters {
  engine: ContainerEngine
  registry: RegistryClient
}

/** Facts gathered before the pipeline runs (GitHub look-ups, the clock). */
export interface RunFacts {
  now: Date
  defaultBranch?: string
  commitDate?: Date
  /** GitHub repository data for the OCI labels. */
  repository?: RepositoryData
}

export function tagContextOf(
  config: ActionConfig,
  facts: RunFacts,
  env: {prHeadSha: boolean},
): TagContext {
  return {
    eventName: config.github.eventName,
    ref: config.github.ref,
    sha: config.github.sha,
    payload: config.github.payload,
    defaultBranch: facts.defaultBranch,
    commitDate: facts.commitDate,
    now: facts.now,
    prHeadSha: env.prHeadSha,
  }
}

/**
 * Builds every image, pushes its immutable tags, then, only when every image made it, applies the
 * moving tags inside the registry. Never throws for one image's failure: the result says.
 */
export async function runPipeline(
  config: ActionConfig,
  adapters: Adapters | undefined,
  tagContext: TagContext,
  repository?: RepositoryData,
): Promise<PipelineResult> {
  const tagPlan = computeTags(config.tagRules, config.flavor, tagContext)
  for (const warning of tagPlan.warnings) core.warning(warning)
  const plans = planPushes(config.images, config.registry.host, config.namespace, tagPlan.tags)
  const labels = {
    ...computeLabels({
      now: tagContext.now,
      revision: tagPlan.revision ?? tagContext.sha,
      version: tagPlan.version,
      repository,
    }),
    ...config.labels,
  }
  const result: PipelineResult = {
    registry: config.registry.host,
    namespace: config.namespace,
    username: config.username,
    version: tagPlan.version,
    tagNames: tagPlan.tags.map((tag) => tag.name),
    labels,
    images: [],
    failures: [],
    notices: [],
    dryRun: config.dryRun,
    commands: [],
  }

  logPlan(plans, labels)
  if (config.dryRun || !adapters) {
    result.commands = plannedCommands(config, plans, labels)
    result.images = plans.map((plan) => outcome(plan, 'planned', 0))
    return result
  }

  const outcomes = new Map<string, ImageOutcome>()
  for (const plan of plans) {
    outcomes.set(
      plan.image.name,
      await buildAndPushImmutable(config, adapters.engine, plan, labels),
    )
  }
  const failed = [...outcomes.values()].filter((o) => o.status === 'failed')
  if (failed.length === 0 && config.push) {
    for (const plan of plans)
      await applyMovingTags(adapters, plan, outcomes.get(plan.image.name) as ImageOutcome)
  }
  result.images = plans.map((plan) => outcomes.get(plan.image.name) as ImageOutcome)
  result.failures = result.images
    .filter((o) => o.status === 'failed')
    .map((o) => ({image: o.name, message: o.message ?? 'failed'}))
  return result
}

function outcome(plan: ImagePlan, status: ImageStatus, durationMs: number): ImageOutcome {
  return {
    name: plan.image.name,
    repository: plan.repository,
    imageName: plan.imageName,
    refs: plan.refs,
    digest: '',
    pushed: false,
    status,
    durationMs,
  }
}

async function buildAndPushImmutable(
  config: ActionConfig,
  engine: ContainerEngine,
  plan: ImagePlan,
  labels: Record<string, string>,
): Promise<ImageOutcome> {
  const started = Date.now()
  const result = outcome(plan, 'built', 0)
  const lines: string[] = []
  const log: LogSink = (line) => lines.push(line)
  try {
    await engine.build(
      {
        image: plan.image.name,
        context: plan.image.context,
        file: plan.image.file,
        target: plan.image.target,
        buildArgs: plan.image.buildArgs,
        labels: {...labels, ...plan.image.labels},
        platforms: plan.image.platforms,
        refs: plan.refs,
      },
      log,
    )
    if (config.push) {
      for (const tag of plan.immutableTags) {
        const {digest} = await engine.push(`${plan.imageName}:${tag}`, log)
        result.digest ||= digest
      }
      result.status = 'pushed'
      result.pushed = plan.immutableTags.length > 0
    }
  } catch (err) {
    result.status = 'failed'
    result.message = describeFailure(err)
  } finally {
    result.durationMs = Date.now() - started
    core.startGroup(`${plan.image.name}: ${result.status}`)
    for (const line of lines) core.info(line)
    core.endGroup()
  }
  return result
}

/** Moving tags are copies of the pushed manifest inside the registry: one GET and one PUT each. */
async function applyMovingTags(
  adapters: Adapters,
  plan: ImagePlan,
  result: ImageOutcome,
): Promise<void> {
  const started = Date.now()
  const log: LogSink = (line) => core.info(`${plan.image.name}: ${line}`)
  try {
    const [source] = plan.immutableTags
    for (const tag of plan.movingTags) {
      if (source) {
        const digest = await adapters.registry.copyManifest(
          {repository: plan.repository, reference: source},
          tag,
        )
        result.digest ||= digest
        log(`tagged ${plan.imageName}:${tag} (${digest})`)
      } else {
        // No immutable tag to copy from: the builder pushes the moving tags itself.
        const {digest} = await adapters.engine.push(`${plan.imageName}:${tag}`, log)
        result.digest ||= digest
      }
    }
    result.pushed = true
    if (!result.digest && source) {
      result.digest =
        (await adapters.registry.manifestDigest({
          repository: plan.repository,
          reference: source,
        })) ?? ''
    }
  } catch (err) {
    result.status = 'failed'
    result.message = `moving tags: ${describeFailure(err)}`
  } finally {
    result.durationMs += Date.now() - started
  }
}

function logPlan(plans: ImagePlan[], labels: Record<string, string>): void {
  core.startGroup('Plan')
  for (const plan of plans) {
    core.info(`${plan.image.name} (context ${plan.image.context}, file ${plan.image.file})`)
    for (const tag of plan.immutableTags) core.info(`  ${plan.imageName}:${tag}`)
    for (const tag of plan.movingTags)
      core.info(`  ${plan.imageName}:${tag} (moving: applied after every image is pushed)`)
  }
  for (const [key, value] of Object.entries(labels)) core.info(`label ${key}=${value}`)
  core.endGroup()
}

function plannedCommands(
  config: ActionConfig,
  plans: ImagePlan[],
  labels: Record<string, string>,
): string[] {
  const commands: string[] = []
  if (config.username)
    commands.push(
      `docker login ${config.registry.host} --username ${config.username} --password-stdin`,
    )
  for (const plan of plans) {
    const labelArgs = Object.entries({...labels, ...plan.image.labels})
      .map(([k, v]) => ` --label ${k}=${v}`)
      .join('')
    commands.push(
      `docker build --file ${plan.image.file}${labelArgs}${plan.refs.map((ref) => ` --tag ${ref}`).join('')} ${plan.image.context}`,
    )
    if (!config.push) continue
    for (const tag of plan.immutableTags) commands.push(`docker push ${plan.imageName}:${tag}`)
  }
  if (config.push) {
    for (const plan of plans) {
      for (const tag of plan.movingTags)
        commands.push(
          `copy manifest ${plan.imageName}:${plan.immutableTags[0] ?? '(pushed)'} -> ${tag}`,
        )
    }
  }
  return commands
}
