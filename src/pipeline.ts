import * as core from '@actions/core'
import type {ActionConfig} from './config/action-config.js'
import {describeFailure, InputError} from './errors.js'
import type {
  ContainerEngine,
  LogSink,
  RegistryClient,
  RepositoryEnsurer,
  RepositoryOutcome,
} from './adapters/ports.js'
import type {RetrySession} from './adapters/retry.js'
import {pushRefusalHint} from './plan/login-hint.js'
import {planPushes, type ImagePlan} from './plan/push-plan.js'
import {
  planPlatformStage,
  plannedStageCommands,
  platformTagBase,
  type PlatformStagePlan,
} from './plan/platform-stage.js'
import {buildAndPush, buildStepOf} from './stages/build-and-push.js'
import {mapWithLimit} from './stages/map-with-limit.js'
import {runMergeStage} from './stages/merge-stage.js'
import {platformImageOutcomes, runPlatformStage} from './stages/platform-stage.js'

export {mapWithLimit}
import {computeTags} from './plan/tags/compute-tags.js'
import {mayMoveLatest} from './plan/tags/latest-guard.js'
import type {TagContext, TagPlan} from './plan/tags/tag-types.js'
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
  /** What ensuring the repositories came to, when the run ensures them. */
  repositories: RepositoryOutcome[]
  dryRun: boolean
  /** The commands the run would make, for a dry run's report. */
  commands: string[]
}

export interface Adapters {
  engine: ContainerEngine
  registry: RegistryClient
  /** Creates missing repositories before anything is built (OCIR with ensure-repositories). */
  repositories?: RepositoryEnsurer
  /** Renews a short-lived login before it expires; called before each image's pushes. */
  refreshLogin?: () => Promise<void>
  /** The run's retries, shared by every push (tests give it a tiny policy). */
  retry: RetrySession
}

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

/** What the run will do, worked out before any login: tags, labels and the pushes per image. */
export interface RunPlan {
  tagPlan: TagPlan
  plans: ImagePlan[]
  labels: Record<string, string>
  /** For `stage: platform|merge`: the per-platform legs of every image. */
  stageImages?: PlatformStagePlan[]
}

/**
 * Computes tags and labels and plans every push. Throws before anything happens when a run that
 * would push has no tag at all: a release step that silently pushes nothing is a trap.
 */
export function planRun(
  config: ActionConfig,
  tagContext: TagContext,
  repository?: RepositoryData,
): RunPlan {
  const tagPlan = computeTags(config.tagRules, config.flavor, tagContext)
  for (const warning of tagPlan.warnings) core.warning(warning)
  if (tagPlan.tags.length === 0) {
    const rules = config.tagRules.length > 0 ? config.tagRules.join('; ') : 'the default rules'
    const what = `no tag rule yields a tag for this ${tagContext.eventName || 'run'} (ref '${tagContext.ref || 'none'}', rules: ${rules})`
    if (config.dryRun) core.warning(`${what}; a real run would fail`)
    else if (config.push) {
      throw new InputError(
        'tags',
        rules,
        `${what}. Add a rule that applies to this event, e.g. type=sha`,
        what,
      )
    }
  }
  const plans = planPushes(config.images, config.registry.host, config.namespace, tagPlan.tags)
  const revision = tagPlan.revision ?? tagContext.sha
  // `created` is the commit's time unless SOURCE_DATE_EPOCH says otherwise: re-running a release
  // then gives the very same images (and the classic builder reuses its LABEL step).
  const created =
    config.sourceDateEpoch === undefined
      ? (tagContext.commitDate ?? tagContext.now)
      : tagContext.now
  const labels = {
    ...computeLabels({
      now: created,
      revision,
      version: tagPlan.version,
      repository,
    }),
    ...config.labels,
  }
  const stageImages =
    config.stage === 'all'
      ? undefined
      : planPlatformStage(
          config.stage,
          plans,
          platformTagBase(tagPlan.tags, revision),
          config.platforms,
        )
  return {tagPlan, plans, labels, stageImages}
}

/**
 * Builds every image, pushes its immutable tags, then, only when every image made it, applies the
 * moving tags inside the registry. Never throws for one image's failure: the result says.
 */
export async function runPipeline(
  config: ActionConfig,
  adapters: Adapters | undefined,
  {tagPlan, plans, labels, stageImages}: RunPlan,
): Promise<PipelineResult> {
  const result: PipelineResult = {
    registry: config.registry.host,
    namespace: config.namespace,
    username: config.username,
    version: tagPlan.version,
    tagNames: tagPlan.tags.map((tag) => tag.name),
    labels,
    images: [],
    failures: [],
    notices: config.pushWithheld ? [config.pushWithheld] : [],
    repositories: [],
    dryRun: config.dryRun,
    commands: [],
  }

  if (stageImages) return runStage(config, adapters, stageImages, tagPlan, labels, result)
  logPlan(plans, labels)
  if (config.dryRun || !adapters) {
    if (tagPlan.latestVersion && plans.some((plan) => plan.movingTags.includes('latest'))) {
      result.notices.push(
        'not checked in a dry run: whether the registry already has a higher version than this release (latest would then stay)',
      )
    }
    result.commands = plannedCommands(config, plans, labels)
    result.images = plans.map((plan) => outcome(plan, 'planned', 0))
    return result
  }

  const retry = adapters.retry
  const run: Run = {config, adapters, labels, retry}

  if (adapters.repositories && !(await ensureRepositories(adapters.repositories, plans, result))) {
    result.images = plans.map((plan) => ({
      ...outcome(plan, 'skipped', 0),
      message: 'not built: the repositories could not be ensured',
    }))
    return result
  }

  // Phase 1: build every image and push its immutable tags, up to max-parallel images at once.
  result.images = await mapWithLimit(plans, config.maxParallel, (plan) =>
    buildAndPushImmutable(run, plan),
  )
  const failed = result.images.filter((image) => image.status === 'failed')

  // Phase 2, only when every image made it: move latest, branch, major/minor… in the registry.
  if (config.push && failed.length === 0) {
    const skipTags = await checkLatest(run, plans, tagPlan, result)
    if (result.images.every((image) => image.status !== 'failed')) {
      await applyMovingTags(run, plans, result.images, skipTags)
    }
  } else if (config.push) {
    const names = failed.map((image) => `'${image.name}'`).join(', ')
    for (const image of result.images) {
      if (image.status !== 'failed' && movingTagsOf(plans, image).length > 0)
        image.message = `moving tags not applied because ${names} failed`
    }
  }
  result.failures = result.images
    .filter((o) => o.status === 'failed')
    .map((o) => ({image: o.name, message: o.message ?? 'failed'}))
  return result
}

interface Run {
  config: ActionConfig
  adapters: Adapters
  labels: Record<string, string>
  retry: RetrySession
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

function movingTagsOf(plans: ImagePlan[], image: ImageOutcome): string[] {
  return plans.find((plan) => plan.image.name === image.name)?.movingTags ?? []
}

/** Records every repository's outcome; false when any could not be ensured. */
async function ensureRepositories(
  ensurer: RepositoryEnsurer,
  plans: ImagePlan[],
  result: PipelineResult,
): Promise<boolean> {
  try {
    result.repositories = await ensurer.ensure(plans)
  } catch (err) {
    result.repositories = plans.map((plan) => ({
      name: plan.image.name,
      status: 'failed',
      message: describeFailure(err),
    }))
  }
  core.startGroup('Repositories')
  for (const repository of result.repositories) {
    core.info(
      `${repository.name}: ${repository.status}${repository.message ? ` (${repository.message})` : ''}`,
    )
    if (repository.status === 'created')
      result.notices.push(`created repository '${repository.name}'`)
  }
  core.endGroup()
  const failed = result.repositories.filter((repository) => repository.status === 'failed')
  for (const repository of failed) {
    result.failures.push({
      image: repository.name,
      message: `repository could not be ensured: ${repository.message ?? 'failed'}`,
    })
  }
  return failed.length === 0
}

/**
 * Builds one image and pushes its immutable tags. Its log is kept until it is done and then
 * printed as one group, so images built side by side never interleave their lines.
 */
async function buildAndPushImmutable(run: Run, plan: ImagePlan): Promise<ImageOutcome> {
  const {config, adapters, retry} = run
  const {engine} = adapters
  const started = Date.now()
  const result = outcome(plan, 'built', 0)
  const lines: string[] = []
  const log: LogSink = (line) => lines.push(line)
  const step = buildStepOf(plan, run.labels, {
    platforms: plan.image.platforms,
    refs: plan.refs,
    pushRefs: plan.immutableTags.map((tag) => `${plan.imageName}:${tag}`),
    push: config.push,
    sourceDateEpoch: config.sourceDateEpoch,
  })
  try {
    if (config.push) await adapters.refreshLogin?.()
    const {digest} = await buildAndPush(engine, step, retry, log)
    if (config.push) {
      result.digest = digest
      result.status = 'pushed'
      // buildx pushes by digest when there is no immutable tag: the image is in the registry.
      result.pushed = step.pushRefs.length > 0 || engine.pushesWhileBuilding
    }
  } catch (err) {
    result.status = 'failed'
    const message = describeFailure(err)
    const hint = pushRefusalHint(message, config.registry, config.username)
    result.message = hint ? `${message}. ${hint}` : message
  } finally {
    result.durationMs = Date.now() - started
    core.startGroup(
      `${plan.image.name}: ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`,
    )
    for (const line of lines) core.info(line)
    if (result.message) core.info(result.message)
    core.endGroup()
  }
  return result
}

/**
 * On a release, `latest` never moves backwards. Checked for every image before any moving tag
 * changes, and decided once for the run: if one repository already has a higher version, no
 * image's latest moves, so `latest` keeps naming one release's set of images.
 */
async function checkLatest(
  run: Run,
  plans: ImagePlan[],
  tagPlan: TagPlan,
  result: PipelineResult,
): Promise<Set<string>> {
  const latestTags = new Set(
    tagPlan.tags.filter((tag) => tag.isLatest && tag.moving).map((tag) => tag.name),
  )
  if (!tagPlan.latestVersion || latestTags.size === 0) return new Set()
  const version = tagPlan.latestVersion
  for (const [index, plan] of plans.entries()) {
    const image = result.images[index]
    try {
      const existing = await run.adapters.registry.listTags(plan.repository)
      const verdict = mayMoveLatest(version, existing)
      if (!verdict.move) {
        result.notices.push(
          `${[...latestTags].join(', ')} not moved for any image of this run: ${plan.image.name}: ${verdict.reason ?? 'the latest guard said no'}`,
        )
        // The outputs list only references that exist after the run.
        for (const other of result.images)
          other.refs = other.refs.filter(
            (ref) => !latestTags.has(ref.slice(other.imageName.length + 1)),
          )
        return latestTags
      }
    } catch (err) {
      image.status = 'failed'
      image.message = `could not list tags to check whether latest may move: ${describeFailure(err)}`
    }
  }
  return new Set()
}

/** Moving tags are copies of the pushed manifest inside the registry: one GET, one PUT per tag. */
async function applyMovingTags(
  run: Run,
  plans: ImagePlan[],
  images: ImageOutcome[],
  skipTags: Set<string>,
): Promise<void> {
  await mapWithLimit(plans, run.config.maxParallel, async (plan) => {
    const image = images.find((candidate) => candidate.name === plan.image.name) as ImageOutcome
    const tags = plan.movingTags.filter((tag) => !skipTags.has(tag))
    if (tags.length === 0) return
    const started = Date.now()
    const lines: string[] = []
    const log: LogSink = (line) => lines.push(line)
    try {
      // The digest names exactly what this run pushed, whatever happened to the tags since.
      const source = image.digest || plan.immutableTags[0]
      await run.adapters.refreshLogin?.()
      if (source) {
        const digest = await run.adapters.registry.copyManifest(
          {repository: plan.repository, reference: source},
          tags,
        )
        image.digest ||= digest
        for (const tag of tags) log(`tagged ${plan.imageName}:${tag} (${digest})`)
      }
      // No immutable tag was pushed: the builder pushes the moving tags itself, now.
      for (const tag of source ? [] : tags) {
        const ref = `${plan.imageName}:${tag}`
        const {digest} = await run.adapters.retry.run(
          `push ${ref}`,
          () => run.adapters.engine.push(ref, log),
          log,
        )
        image.digest ||= digest
      }
      image.pushed = true
      image.status = 'pushed'
    } catch (err) {
      image.status = 'failed'
      image.message = `moving tags: ${describeFailure(err)}`
    } finally {
      image.durationMs += Date.now() - started
      core.startGroup(
        `${plan.image.name}: moving tags ${image.status === 'failed' ? 'failed' : 'applied'}`,
      )
      for (const line of lines) core.info(line)
      if (image.status === 'failed' && image.message) core.info(image.message)
      core.endGroup()
    }
  })
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

/**
 * The commands a real run would make, in the configured builder's words. With `builder: auto`
 * the builder is only chosen at run time; the plan shows docker's commands and says so.
 */
function plannedCommands(
  config: ActionConfig,
  plans: ImagePlan[],
  labels: Record<string, string>,
): string[] {
  const tool =
    config.builder === 'buildah' || config.builder === 'podman' ? config.builder : 'docker'
  const buildx = config.builder === 'buildx'
  const commands: string[] = []
  if (config.builder === 'auto')
    commands.push('# builder auto: buildx, docker, buildah or podman, whichever is installed')
  if (config.username) {
    commands.push(
      `${tool} login ${config.registry.host} --username ${config.username} --password-stdin`,
    )
  }
  for (const plan of plans) {
    const build = buildx
      ? 'docker buildx build'
      : tool === 'docker'
        ? 'docker build'
        : `${tool} build`
    const labelArgs = Object.entries({...labels, ...plan.image.labels})
      .map(([key, value]) => ` --label ${key}=${value}`)
      .join('')
    const platforms =
      plan.image.platforms.length > 0 ? ` --platform ${plan.image.platforms.join(',')}` : ''
    const tags = (buildx ? plan.immutableTags.map((tag) => `${plan.imageName}:${tag}`) : plan.refs)
      .map((ref) => ` --tag ${ref}`)
      .join('')
    const push = buildx && config.push ? ' --push' : ''
    commands.push(
      `${build} --file ${plan.image.file}${platforms}${labelArgs}${tags}${push} ${plan.image.context}`,
    )
    if (!config.push || buildx) continue
    for (const tag of plan.immutableTags) commands.push(`${tool} push ${plan.imageName}:${tag}`)
  }
  if (config.push) {
    for (const plan of plans) {
      if (plan.movingTags.length === 0) continue
      commands.push(
        `copy manifest ${plan.imageName}:${plan.immutableTags[0] ?? '(pushed)'} -> ${plan.movingTags.join(', ')} (in the registry: one GET, one PUT per tag)`,
      )
    }
  }
  return commands
}

/**
 * `stage: platform` pushes this runner's platforms under their per-platform tags only;
 * `stage: merge` builds nothing and assembles one index per image, tagged in the release order.
 */
async function runStage(
  config: ActionConfig,
  adapters: Adapters | undefined,
  images: PlatformStagePlan[],
  tagPlan: TagPlan,
  labels: Record<string, string>,
  result: PipelineResult,
): Promise<PipelineResult> {
  const stage = config.stage as 'platform' | 'merge'
  core.startGroup(`Plan (stage ${stage})`)
  for (const image of images)
    for (const leg of image.legs) core.info(`${image.plan.image.name}: ${leg.platform} ${leg.ref}`)
  core.endGroup()
  if (stage === 'platform')
    result.tagNames = [...new Set(images.flatMap((image) => image.legs.map((leg) => leg.tag)))]
  if (config.dryRun || !adapters) {
    result.commands = plannedStageCommands(stage, images, config.push)
    result.images = images.map(({plan}) => ({
      ...outcome(plan, 'planned', 0),
      refs: stage === 'platform' ? [] : plan.refs,
    }))
    if (stage === 'platform')
      for (const [index, image] of images.entries())
        result.images[index].refs = image.legs.map((leg) => leg.ref)
    return result
  }
  if (stage === 'merge' && !config.push) {
    result.notices.push('stage merge with pushing off: nothing to merge, no tag changed')
    result.images = images.map(({plan}) => ({
      ...outcome(plan, 'skipped', 0),
      message: 'push is off',
    }))
    return result
  }
  const retry = adapters.retry
  if (stage === 'platform') {
    const legs = await runPlatformStage({
      images,
      engine: adapters.engine,
      labels,
      push: config.push,
      maxParallel: config.maxParallel,
      retry,
      sourceDateEpoch: config.sourceDateEpoch,
    })
    result.images = platformImageOutcomes(images, legs)
  } else {
    const merged = await runMergeStage({
      images,
      registry: adapters.registry,
      labels,
      maxParallel: config.maxParallel,
      tagPlan,
    })
    result.images = merged.images
    result.notices.push(...merged.notices)
  }
  result.failures = result.images
    .filter((image) => image.status === 'failed')
    .map((image) => ({image: image.name, message: image.message ?? 'failed'}))
  return result
}
