import * as core from '@actions/core'
import type {ContainerEngine, LogSink} from '../adapters/ports.js'
import type {RetryPolicy} from '../adapters/retry.js'
import {describeFailure} from '../errors.js'
import type {PlatformLeg, PlatformStagePlan} from '../plan/platform-stage.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {buildAndPush, buildStepOf} from './build-and-push.js'
import {mapWithLimit} from './map-with-limit.js'

export interface PlatformStageInput {
  images: readonly PlatformStagePlan[]
  engine: ContainerEngine
  /** The run's labels (OCI labels and the `labels` input); an image's own labels go on top. */
  labels: Record<string, string>
  /** False: build only (e.g. a fork's pull request, whose secrets GitHub withholds). */
  push: boolean
  /** Legs (image × platform) built and pushed at once. */
  maxParallel: number
  retry: RetryPolicy
  sourceDateEpoch?: number
}

/** What one platform of one image came to. */
export interface PlatformOutcome {
  /** Image name, as in the `images` input. */
  name: string
  platform: string
  /** The per-platform reference, e.g. `host/ns/app:sha-0123456-linux-arm64`. */
  ref: string
  /** Manifest digest under `ref`; '' when nothing was pushed. */
  digest: string
  status: 'pushed' | 'built' | 'failed'
  message?: string
  durationMs: number
}

/** One image of a platform or merge run, in the shape of the pipeline's image outcomes. */
export interface StageImageOutcome {
  name: string
  repository: string
  imageName: string
  /** Every reference this run pushed (or would have, when not pushing). */
  refs: string[]
  /** The image's digest: the index of a merge, the only leg of a one-platform run; else ''. */
  digest: string
  pushed: boolean
  status: 'pushed' | 'built' | 'failed' | 'skipped'
  durationMs: number
  message?: string
  /** Each platform's manifest digest. */
  platforms: {platform: string; ref: string; digest: string}[]
}

/**
 * `stage: platform`: builds every image for each of this runner's platforms, one build per
 * platform, and pushes it under its per-platform tag only. No other tag: the merge run makes the
 * tags users pull, once every platform is there. Never throws for one leg's failure.
 */
export async function runPlatformStage(input: PlatformStageInput): Promise<PlatformOutcome[]> {
  const legs = input.images.flatMap((image) => image.legs.map((leg) => ({image, leg})))
  return mapWithLimit(legs, input.maxParallel, ({image, leg}) => buildLeg(input, image, leg))
}

async function buildLeg(
  input: PlatformStageInput,
  {plan}: PlatformStagePlan,
  leg: PlatformLeg,
): Promise<PlatformOutcome> {
  const {engine, retry} = input
  const started = Date.now()
  const result: PlatformOutcome = {
    name: plan.image.name,
    platform: leg.platform,
    ref: leg.ref,
    digest: '',
    status: 'built',
    durationMs: 0,
  }
  const lines: string[] = []
  const log: LogSink = (line) => lines.push(line)
  const step = buildStepOf(plan, input.labels, {
    platforms: [leg.platform],
    refs: [leg.ref],
    pushRefs: [leg.ref],
    push: input.push,
    sourceDateEpoch: input.sourceDateEpoch,
  })
  try {
    const {digest} = await buildAndPush(engine, step, retry, log)
    if (input.push) {
      result.digest = digest
      result.status = 'pushed'
    }
  } catch (err) {
    result.status = 'failed'
    result.message = `${leg.platform}: ${describeFailure(err)}`
  } finally {
    result.durationMs = Date.now() - started
    core.startGroup(
      `${plan.image.name} ${leg.platform}: ${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`,
    )
    for (const line of lines) core.info(line)
    if (result.message) core.info(result.message)
    core.endGroup()
  }
  return result
}

/** An image's outcome before anything happened to it. */
export function stageOutcome(
  plan: ImagePlan,
  status: StageImageOutcome['status'],
): StageImageOutcome {
  return {
    name: plan.image.name,
    repository: plan.repository,
    imageName: plan.imageName,
    refs: [],
    digest: '',
    pushed: false,
    status,
    durationMs: 0,
    platforms: [],
  }
}

/** The legs of a platform run summed up per image, for the report and the outputs. */
export function platformImageOutcomes(
  images: readonly PlatformStagePlan[],
  outcomes: readonly PlatformOutcome[],
): StageImageOutcome[] {
  return images.map(({plan}) => {
    const legs = outcomes.filter((outcome) => outcome.name === plan.image.name)
    if (legs.length === 0) {
      return {
        ...stageOutcome(plan, 'skipped'),
        message: `not built on this runner: none of its platforms (${plan.image.platforms.join(', ')}) is this runner's`,
      }
    }
    const failed = legs.filter((leg) => leg.status === 'failed')
    const pushed = legs.filter((leg) => leg.status === 'pushed')
    return {
      name: plan.image.name,
      repository: plan.repository,
      imageName: plan.imageName,
      refs: legs.filter((leg) => leg.status !== 'failed').map((leg) => leg.ref),
      digest: legs.length === 1 ? legs[0].digest : '',
      pushed: pushed.length > 0,
      status: failed.length > 0 ? 'failed' : pushed.length > 0 ? 'pushed' : 'built',
      durationMs: legs.reduce((total, leg) => total + leg.durationMs, 0),
      message:
        failed.length > 0 ? failed.map((leg) => leg.message ?? leg.platform).join('; ') : undefined,
      platforms: legs.map(({platform, ref, digest}) => ({platform, ref, digest})),
    }
  })
}
