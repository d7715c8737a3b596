import * as core from '@actions/core'
import type {Adapters, RepositoryEnsurer, RepositoryOutcome} from './adapters/ports.js'
import type {ActionConfig} from './config/action-config.js'
import {runCleanup} from './cleanup/run-cleanup.js'
import {ActionError, describeFailure} from './errors.js'
import {dryRunCommands, type PlannedBuilder} from './plan/dry-run.js'
import {pushRefusalHint} from './plan/login-hint.js'
import type {ImagePlan} from './plan/push-plan.js'
import type {RunPlan} from './plan/run-plan.js'
import type {RunIdentity} from './resolve-identity.js'
import {builtImages} from './release/built-images.js'
import {newOutcome, type ImageOutcome} from './release/image-outcome.js'
import type {ReuseSettings} from './release/image-reuse.js'
import {mergedImages} from './release/merged-images.js'
import {buildPlatforms} from './release/platform-builds.js'
import {signingStep} from './signing/sign-outcome.js'
import {releaseImages, type ImageSource} from './release/release-order.js'

/** Everything the report needs: what was planned and what each image came to. */
export interface PipelineResult {
  registry: string
  namespace: string
  username: string
  version: string
  tagNames: string[]
  labels: Record<string, string>
  images: ImageOutcome[]
  /** `nextStep`: what to do, when it is not the release's (a cleanup's re-run). */
  failures: {image: string; message: string; nextStep?: string}[]
  notices: string[]
  /** What ensuring the repositories came to, when the run ensures them. */
  repositories: RepositoryOutcome[]
  dryRun: boolean
  /** The commands the run would make, for a dry run's report. */
  commands: string[]
  /** Stage cleanup: image name → references deleted (or, in a dry run, to be deleted). */
  deleted?: Record<string, string[]>
}

/**
 * Runs the plan: a dry run describes it; `stage: all` and `stage: merge` release every image in
 * the release order (built here, or merged from per-platform legs); `stage: platform` pushes
 * per-platform tags only. Never throws for one image's failure: the result says.
 */
export async function runPipeline(
  config: ActionConfig,
  identity: RunIdentity,
  plan: RunPlan,
  adapters?: Adapters,
  /** A dry run's builder: what a real run would pick here. */
  plannedBuilder?: PlannedBuilder,
): Promise<PipelineResult> {
  const {tagPlan, plans, labels, legs} = plan
  const result: PipelineResult = {
    registry: config.registry.host,
    namespace: identity.namespace,
    username: identity.username,
    version: tagPlan.version,
    tagNames:
      config.stage === 'platform'
        ? [...new Set((legs ?? []).flatMap((image) => image.legs.map((leg) => leg.tag)))]
        : tagPlan.tags.map((tag) => tag.name),
    labels,
    images: [],
    failures: [],
    notices: config.pushWithheld ? [config.pushWithheld] : [],
    repositories: [],
    dryRun: config.dryRun,
    commands: [],
  }
  if (config.stage === 'cleanup') {
    if (!adapters?.catalog || !plan.retention)
      throw new ActionError('stage cleanup needs the registry: it was not connected')
    const cleanup = await runCleanup({
      plans,
      rules: plan.retention,
      catalog: adapters.catalog,
      dryRun: config.dryRun,
    })
    return {...result, tagNames: [], ...cleanup}
  }
  logPlan(config, plan)

  if (config.dryRun || !adapters) {
    if (tagPlan.latestVersion && plans.some((image) => image.movingTags.includes('latest'))) {
      result.notices.push(
        'not checked in a dry run: whether the registry already has a higher version than this release (latest would then stay)',
      )
    }
    result.commands = dryRunCommands(config, plan, plannedBuilder)
    result.images = plans.map((image, index) =>
      newOutcome(
        image,
        'planned',
        config.stage === 'platform' ? (legs?.[index].legs ?? []).map((leg) => leg.ref) : image.refs,
      ),
    )
    return result
  }
  if (config.stage === 'merge' && !config.push) {
    result.notices.push('stage merge with pushing off: nothing to merge, no tag changed')
    result.images = plans.map((image) => ({
      ...newOutcome(image, 'skipped'),
      message: 'push is off',
    }))
    return result
  }
  if (adapters.repositories && config.push) {
    const repositories = [...plans, ...buildCacheRepositories(config, adapters, plans)]
    if (!(await ensureRepositories(adapters.repositories, repositories, result))) {
      result.images = plans.map((image) => ({
        ...newOutcome(image, 'skipped'),
        message: 'not built: the repositories could not be ensured',
      }))
      return result
    }
  }

  const options = {push: config.push, sourceDateEpoch: config.sourceDateEpoch}
  if (config.stage === 'platform') {
    result.images = await buildPlatforms({
      images: legs ?? [],
      engine: adapters.engine,
      labels,
      maxParallel: config.maxParallel,
      retry: adapters.retry,
      ...options,
    })
  } else {
    const source: ImageSource =
      config.stage === 'merge'
        ? mergedImages(legs ?? [], adapters.registry, labels)
        : builtImages({
            engine: adapters.engine,
            retry: adapters.retry,
            labels,
            ...options,
            cache: config.cache,
            localImages: plans.flatMap((image) => image.refs.slice(0, 1)),
            reuse: reuseSettings(config, tagPlan.revision, adapters),
          })
    const released = await releaseImages({
      plans,
      source,
      registry: adapters.registry,
      retry: adapters.retry,
      maxParallel: config.maxParallel,
      push: config.push,
      tagPlan,
      refreshLogin: adapters.refreshLogin,
      hintFor: (message) => pushRefusalHint(message, config.registry, identity.username),
      afterPublish: adapters.signers?.length
        ? signingStep(adapters.signers, adapters.registry)
        : undefined,
    })
    result.images = released.images
    result.notices.push(...released.notices)
  }
  result.failures.push(
    ...result.images
      .filter((image) => image.status === 'failed')
      .map((image) => ({image: image.name, message: image.message ?? 'failed'})),
  )
  return result
}

/**
 * How builds find previous releases: for reuse, and for the layer cache. Nothing is looked up
 * when nothing is pushed, or when both are off.
 */
function reuseSettings(
  config: ActionConfig,
  revision: string | undefined,
  adapters: Adapters,
): ReuseSettings | undefined {
  if (!config.push || !adapters.resolveBaseImages) return undefined
  if (!config.reuse && config.cache === 'none') return undefined
  return {
    reuse: config.reuse,
    workspace: config.github.workspace,
    facts: {
      eventName: config.github.eventName,
      payload: config.github.payload,
      revision: revision ?? config.github.sha,
      shortShaLength: config.metadata.shortShaLength,
    },
    registry: adapters.registry,
    resolveBaseImages: adapters.resolveBaseImages,
  }
}

/**
 * The `-buildcache` repositories the builds will push their layer cache to (buildah, podman, and
 * buildx without the GitHub cache): on OCIR they are created with the release repositories, in
 * the same compartment, rather than by the push (private, in the root compartment).
 */
function buildCacheRepositories(
  config: ActionConfig,
  adapters: Adapters,
  plans: ImagePlan[],
): ImagePlan[] {
  if (config.stage !== 'all' || config.cache === 'none' || !adapters.engine.exportsRegistryCache)
    return []
  return plans.map((plan) => ({
    ...plan,
    image: {...plan.image, name: `${plan.image.name}-buildcache`},
    movingTags: [],
  }))
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
    result.repositories = plans.map((image) => ({
      name: image.image.name,
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

/** The plan goes to the log before anything happens, so the log shows intent before outcome. */
function logPlan(config: ActionConfig, {plans, labels, legs}: RunPlan): void {
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
  core.endGroup()
}
