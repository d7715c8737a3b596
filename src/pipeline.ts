import * as core from '@actions/core'
import type {RetrySession} from './adapters/retry.js'
import type {BaseImageDigest, ContainerEngine, RegistryClient} from './ports.js'
import {dryRunCommands, type PlannedBuilder} from './plan/dry-run.js'
import {pushRefusalHint} from './plan/login-hint.js'
import type {ImagePlan} from './plan/push-plan.js'
import type {RunFacts, RunPlan} from './plan/run-plan.js'
import type {RunIdentity} from './resolve-identity.js'
import {builtImages} from './release/built-images.js'
import {newOutcome, type ImageOutcome} from './release/image-outcome.js'
import type {ReuseSettings} from './release/image-reuse.js'
import {mergedImages} from './release/merged-images.js'
import {buildPlatforms} from './release/platform-builds.js'
import {
  afterPublishOf,
  onPublishedOf,
  planLinesOf,
  vouchForReuseOf,
  type ConnectedStep,
  type RunConfig,
  type StepReport,
} from './steps/release-step.js'
import {releaseImages, type ImageSource} from './release/release-order.js'

/**
 * Every port a real run uses, connected and logged in (connect.ts). Here rather than in ports.ts:
 * it holds the connected release steps, whose interface (steps/release-step.ts) names the ports.
 */
export interface Adapters {
  engine: ContainerEngine
  registry: RegistryClient
  /** Renews a short-lived login before it expires; called before each image's pushes. */
  refreshLogin?: () => Promise<void>
  /** The run's retries: one policy for builder pushes, registry requests and the login. */
  retry: RetrySession
  /** Base image digests through their registries (this run's login for its own registry). */
  resolveBaseImages?: (refs: readonly string[]) => Promise<BaseImageDigest[]>
  /** The run's release steps, connected (steps/index.ts). */
  steps: ConnectedStep[]
}

/** Everything the report needs: what was planned and what each image came to. */
export interface PipelineResult {
  registry: string
  namespace: string
  username: string
  version: string
  tagNames: string[]
  labels: Record<string, string>
  /** The `annotations` output (`level:key=value` lines). */
  annotations: string[]
  images: ImageOutcome[]
  /** `nextStep`: what to do, when it is not the release's (a cleanup's re-run). */
  failures: {image: string; message: string; nextStep?: string}[]
  notices: string[]
  dryRun: boolean
  /** The commands the run would make, for a dry run's report. */
  commands: string[]
  /** What each release step reports (outputs, summary column and sections), in the list's order. */
  steps: StepReport[]
}

/**
 * Runs the plan: a step that is a stage of its own (cleanup) runs instead of the release; a dry
 * run describes the plan; `stage: all` and `stage: merge` release every image in the release
 * order (built here, or merged from per-platform legs); `stage: platform` pushes per-platform
 * tags only. The steps' hooks run at their phases. Never throws for one image's failure: the
 * result says.
 */
export async function runPipeline(
  config: RunConfig,
  identity: RunIdentity,
  plan: RunPlan,
  adapters?: Adapters,
  /** A dry run's builder: what a real run would pick here. */
  plannedBuilder?: PlannedBuilder,
  facts: Pick<RunFacts, 'defaultBranch' | 'now'> = {defaultBranch: '', now: new Date()},
): Promise<PipelineResult> {
  const result = emptyResult(config, identity, plan)
  const stage = adapters?.steps.find((step) => step.insteadOfRelease)
  if (stage?.insteadOfRelease) {
    await stage.insteadOfRelease({plan, facts})
    return finish({...result, tagNames: []}, adapters?.steps)
  }
  logPlan(config, plan)
  if (config.dryRun || !adapters) return dryRun(config, plan, result, plannedBuilder)
  if (config.stage === 'merge' && !config.push) {
    result.notices.push('stage merge with pushing off: nothing to merge, no tag changed')
    return finish({...result, images: skipped(plan.plans, 'push is off')}, adapters.steps)
  }
  for (const step of adapters.steps) {
    const stop = await step.beforePush?.({plans: plan.plans, engine: adapters.engine})
    if (stop) return finish({...result, images: skipped(plan.plans, stop)}, adapters.steps)
  }
  const released = await release(config, identity, plan, adapters)
  result.images = released.images
  result.notices.push(...released.notices)
  for (const step of adapters.steps) await step.afterRelease?.(result.images)
  return finish(result, adapters.steps)
}

function emptyResult(config: RunConfig, identity: RunIdentity, plan: RunPlan): PipelineResult {
  const {tagPlan, legs} = plan
  return {
    registry: config.registry.host,
    namespace: identity.namespace,
    username: identity.username,
    version: tagPlan.version,
    tagNames:
      config.stage === 'platform'
        ? [...new Set((legs ?? []).flatMap((image) => image.legs.map((leg) => leg.tag)))]
        : tagPlan.tags.map((tag) => tag.name),
    labels: plan.labels,
    annotations: plan.annotations,
    images: [],
    failures: [],
    notices: config.pushWithheld ? [config.pushWithheld] : [],
    dryRun: config.dryRun,
    commands: [],
    steps: config.steps.map((step) => step.idleReport()),
  }
}

/** The steps' reports, their notices and failures, and every failed image. */
function finish(result: PipelineResult, steps?: readonly ConnectedStep[]): PipelineResult {
  if (steps) result.steps = steps.map((step) => step.report())
  for (const report of result.steps) {
    result.notices.push(...(report.notices ?? []))
    result.failures.push(...(report.failures ?? []))
  }
  result.failures.push(
    ...result.images
      .filter((image) => image.status === 'failed')
      .map((image) => ({image: image.name, message: image.message ?? 'failed'})),
  )
  return result
}

function skipped(plans: readonly ImagePlan[], message: string): ImageOutcome[] {
  return plans.map((image) => ({...newOutcome(image, 'skipped'), message}))
}

function dryRun(
  config: RunConfig,
  plan: RunPlan,
  result: PipelineResult,
  plannedBuilder?: PlannedBuilder,
): PipelineResult {
  const {tagPlan, plans, legs} = plan
  if (tagPlan.latestVersion && plans.some((image) => image.movingTags.includes('latest'))) {
    result.notices.push(
      'not checked in a dry run: whether the registry already has a higher version than this release (latest would then stay)',
    )
  }
  result.commands = dryRunCommands(
    config,
    plan,
    plannedBuilder,
    planLinesOf(config.steps, {config, plan}),
  )
  result.images = plans.map((image, index) =>
    newOutcome(
      image,
      'planned',
      config.stage === 'platform' ? (legs?.[index].legs ?? []).map((leg) => leg.ref) : image.refs,
    ),
  )
  return finish(result)
}

/** The images of `stage: platform` (per-platform legs), or the release order of `all` and `merge`. */
async function release(
  config: RunConfig,
  identity: RunIdentity,
  {tagPlan, plans, labels, legs}: RunPlan,
  adapters: Adapters,
): Promise<{images: ImageOutcome[]; notices: string[]}> {
  const options = {push: config.push, sourceDateEpoch: config.sourceDateEpoch}
  if (config.stage === 'platform') {
    const images = await buildPlatforms({
      images: legs ?? [],
      engine: adapters.engine,
      labels,
      maxParallel: config.maxParallel,
      retry: adapters.retry,
      ...options,
    })
    return {images, notices: []}
  }
  const source: ImageSource =
    config.stage === 'merge'
      ? mergedImages(legs ?? [], adapters.registry, labels, config.metadata.annotationLevels)
      : builtImages({
          engine: adapters.engine,
          retry: adapters.retry,
          labels,
          ...options,
          cache: config.cache,
          localImages: plans.flatMap((image) => image.refs.slice(0, 1)),
          reuse: reuseSettings(config, tagPlan.revision, adapters),
          annotationLevels: config.metadata.annotationLevels,
        })
  return releaseImages({
    plans,
    source,
    registry: adapters.registry,
    retry: adapters.retry,
    maxParallel: config.maxParallel,
    push: config.push,
    tagPlan,
    refreshLogin: adapters.refreshLogin,
    hintFor: (message) => pushRefusalHint(message, config.registry, identity.username),
    afterPublish: afterPublishOf(adapters.steps),
    onPublished: onPublishedOf(adapters.steps),
  })
}

/**
 * How builds find previous releases (for reuse, and for the layer cache) and compute the build
 * key every pushed image stores, with reuse off too. Nothing is looked up when nothing is pushed;
 * with reuse and the cache both off, only the base images are (for the key).
 */
function reuseSettings(
  config: RunConfig,
  revision: string | undefined,
  adapters: Adapters,
): ReuseSettings | undefined {
  if (!config.push || !adapters.resolveBaseImages) return undefined
  return {
    reuse: config.reuse,
    layerCache: config.cache !== 'none',
    workspace: config.github.workspace,
    facts: {
      eventName: config.github.eventName,
      payload: config.github.payload,
      revision: revision ?? config.github.sha,
      shortShaLength: config.metadata.shortShaLength,
    },
    registry: adapters.registry,
    resolveBaseImages: adapters.resolveBaseImages,
    vouch: vouchForReuseOf(adapters.steps),
    secretIds: config.secrets.map((secret) => secret.id),
  }
}

/** The plan goes to the log before anything happens, so the log shows intent before outcome. */
function logPlan(config: RunConfig, {plans, labels, annotations, legs}: RunPlan): void {
  core.startGroup(config.stage === 'all' ? 'Plan' : `Plan (stage ${config.stage})`)
  if (legs) {
    for (const image of legs)
      for (const leg of image.legs)
        core.info(`${image.plan.image.name}: ${leg.platform} ${leg.ref}`)
  } else {
    for (const image of plans) {
      core.info(`${image.image.name} (context ${image.image.context}, file ${image.image.file})`)
      for (const tag of image.immutableTags) core.info(`  ${image.imageName}:${tag}`)
      for (const tag of image.movingTags)
        core.info(`  ${image.imageName}:${tag} (moving: applied after every image is pushed)`)
    }
  }
  for (const [key, value] of Object.entries(labels)) core.info(`label ${key}=${value}`)
  // Only when asked for: unset, they are an output only (and the labels of any index written).
  if (config.metadata.annotationLevels)
    for (const annotation of annotations) core.info(`annotation ${annotation}`)
  core.endGroup()
}
