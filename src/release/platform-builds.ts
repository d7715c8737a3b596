import * as core from '@actions/core'
import type {ContainerEngine, LogSink} from '../ports.js'
import type {RetrySession} from '../adapters/retry.js'
import {describeFailure} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import {legBuildStep, type BuildOptions} from '../plan/build-step.js'
import type {ImageLegs, PlatformLeg} from '../plan/platform-legs.js'
import {buildAndPush} from './build-and-push.js'
import {newOutcome, type ImageOutcome} from './image-outcome.js'
import {printToolLines} from './tool-lines.js'

export interface PlatformBuildsInput extends BuildOptions {
  images: readonly ImageLegs[]
  engine: ContainerEngine
  /** The run's labels (OCI labels and the `labels` input); an image's own labels go on top. */
  labels: Record<string, string>
  /** Legs (image × platform) built and pushed at once. */
  maxParallel: number
  retry: RetrySession
}

/** What one platform of one image came to. */
export interface LegOutcome {
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

/**
 * `stage: platform`: builds every image for each of this runner's platforms, one build per
 * platform, and pushes it under its per-platform tag only. No other tag: the merge run makes the
 * tags users pull, once every platform is there. Never throws for one leg's failure.
 */
export async function buildPlatforms(input: PlatformBuildsInput): Promise<ImageOutcome[]> {
  return imageOutcomesOfLegs(input.images, await buildLegs(input))
}

/** Every leg (image × platform), at most `maxParallel` at once. */
export function buildLegs(input: PlatformBuildsInput): Promise<LegOutcome[]> {
  const legs = input.images.flatMap((image) => image.legs.map((leg) => ({image, leg})))
  return mapWithLimit(legs, input.maxParallel, ({image, leg}) => buildLeg(input, image, leg))
}

async function buildLeg(
  input: PlatformBuildsInput,
  {plan}: ImageLegs,
  leg: PlatformLeg,
): Promise<LegOutcome> {
  const started = Date.now()
  const result: LegOutcome = {
    name: plan.image.name,
    platform: leg.platform,
    ref: leg.ref,
    digest: '',
    status: 'built',
    durationMs: 0,
  }
  const lines: string[] = []
  const log: LogSink = (line) => lines.push(line)
  const step = legBuildStep(plan, leg, input.labels, input)
  try {
    const {digest} = await buildAndPush(input.engine, step, input.retry, log)
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
    printToolLines(lines)
    if (result.message) core.info(result.message)
    core.endGroup()
  }
  return result
}

/** The legs of a platform run summed up per image, for the report and the outputs. */
export function imageOutcomesOfLegs(
  images: readonly ImageLegs[],
  outcomes: readonly LegOutcome[],
): ImageOutcome[] {
  return images.map(({plan}) => {
    const legs = outcomes.filter((outcome) => outcome.name === plan.image.name)
    if (legs.length === 0) {
      return {
        ...newOutcome(plan, 'skipped'),
        message: `not built on this runner: none of its platforms (${plan.image.platforms.join(', ')}) is this runner's`,
        platforms: [],
      }
    }
    const failed = legs.filter((leg) => leg.status === 'failed')
    const pushed = legs.filter((leg) => leg.status === 'pushed')
    return {
      ...newOutcome(plan, failed.length > 0 ? 'failed' : pushed.length > 0 ? 'pushed' : 'built'),
      refs: legs.filter((leg) => leg.status !== 'failed').map((leg) => leg.ref),
      digest: legs.length === 1 ? legs[0].digest : '',
      pushed: pushed.length > 0,
      built: legs.some((leg) => leg.status !== 'failed'),
      durationMs: legs.reduce((total, leg) => total + leg.durationMs, 0),
      message:
        failed.length > 0 ? failed.map((leg) => leg.message ?? leg.platform).join('; ') : undefined,
      platforms: legs.map(({platform, ref, digest}) => ({platform, ref, digest})),
    }
  })
}
