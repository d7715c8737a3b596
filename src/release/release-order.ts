/**
 * The release order, written once for every stage that releases (`all` and `merge`):
 *
 * 1. (optional) every image is prepared first; if any cannot be, nothing is pushed for any image;
 * 2. each image's manifest comes to exist under its immutable references (sha-…, full versions,
 *    pr-…), by whatever its stage does: built and pushed, or merged from per-platform legs;
 * 3. what must hold before a moving tag may name an image (`afterPublish`: signing);
 * 4. only when every image got there: the latest guard, decided once for all images;
 * 5. the moving tags (latest, branch, major/minor…), as copies of the pushed manifest inside the
 *    registry. Nothing moves if any image failed, so `latest` always names one release's images.
 *
 * Never throws for one image's failure: the outcomes say.
 */
import * as core from '@actions/core'
import type {LogSink, RegistryClient} from '../ports.js'
import type {RetrySession} from '../adapters/retry.js'
import {describeFailure} from '../errors.js'
import {mapWithLimit} from '../map-with-limit.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {mayMoveLatest} from '../plan/tags/latest-guard.js'
import type {TagPlan} from '../plan/tags/tag-types.js'
import {newOutcome, type ImageOutcome} from './image-outcome.js'
import {printToolLines} from './tool-lines.js'

/** How an image's manifest comes to exist: the one thing the releasing stages do differently. */
export interface ImageSource {
  /** Checks made for every image before anything is pushed (a merge reads every leg). */
  prepare?(plan: ImagePlan, outcome: ImageOutcome, log: LogSink): Promise<void>
  /**
   * Puts the image under its immutable references (by digest when it has none), recording its
   * digest, `refs` and `pushed` on the outcome. When not pushing, builds only.
   */
  publish(plan: ImagePlan, outcome: ImageOutcome, log: LogSink): Promise<void>
  /** For an image published without a digest (no immutable tag, a builder that pushes by tag). */
  pushMovingTags?(
    plan: ImagePlan,
    tags: string[],
    outcome: ImageOutcome,
    log: LogSink,
  ): Promise<void>
}

export interface ReleaseInput {
  plans: readonly ImagePlan[]
  source: ImageSource
  registry: Pick<RegistryClient, 'copyManifest' | 'listTags'>
  retry: RetrySession
  /** Images handled at once. */
  maxParallel: number
  /** False: build only; nothing is pushed, no tag moves. */
  push: boolean
  /** The run's tags, for the latest guard (latest never moves backwards on a release). */
  tagPlan: Pick<TagPlan, 'tags' | 'latestVersion'>
  /** Renews a short-lived login; called before each image's pushes. */
  refreshLogin?: () => Promise<void>
  /** The next step for a failure the registry refused, if any. */
  hintFor?: (message: string) => string | undefined
  /**
   * What happens to every image once it exists under its immutable references and before any
   * moving tag moves (signing its digests, say). A failure fails the image, so no tag moves.
   */
  afterPublish?: (plan: ImagePlan, outcome: ImageOutcome, log: LogSink) => Promise<void>
  /**
   * Told the moment one image exists under its immutable references, while the others may still
   * be building: work that may start early (it cannot fail the image; afterPublish still runs).
   */
  onPublished?: (plan: ImagePlan, outcome: ImageOutcome) => void
}

export interface ReleaseResult {
  images: ImageOutcome[]
  /** What the report should tell (latest held back). */
  notices: string[]
}

/** One image's log, printed as one group per phase so parallel images never interleave. */
interface Entry {
  plan: ImagePlan
  outcome: ImageOutcome
  lines: string[]
  log: LogSink
}

export async function releaseImages(input: ReleaseInput): Promise<ReleaseResult> {
  const {plans, source, maxParallel} = input
  const entries: Entry[] = plans.map((plan) => {
    const lines: string[] = []
    return {plan, outcome: newOutcome(plan, 'built'), lines, log: (line) => lines.push(line)}
  })
  const notices: string[] = []

  // 1. Everything checked before anything is pushed.
  if (source.prepare) {
    await mapWithLimit(entries, maxParallel, (entry) =>
      timed(entry, async () => source.prepare?.(entry.plan, entry.outcome, entry.log)),
    )
    const failed = entries.filter((entry) => entry.outcome.status === 'failed')
    if (failed.length > 0) {
      for (const {outcome} of entries) {
        if (outcome.status === 'failed') continue
        outcome.status = 'skipped'
        outcome.message = `nothing pushed, and no tag moved, because another image of this run failed before any push: ${failedNames(failed, true)}`
      }
      for (const entry of entries) flush(entry, entry.outcome.status)
      return {images: entries.map((entry) => entry.outcome), notices}
    }
  }

  // 2. The immutable references of every image.
  await mapWithLimit(entries, maxParallel, async (entry) => {
    await timed(
      entry,
      async () => {
        if (input.push) await input.refreshLogin?.()
        await source.publish(entry.plan, entry.outcome, entry.log)
        entry.outcome.status = input.push ? 'pushed' : 'built'
        if (input.push) input.onPublished?.(entry.plan, entry.outcome)
      },
      (err) => {
        const message = describeFailure(err)
        const hint = input.hintFor?.(message)
        return hint ? `${message}. ${hint}` : message
      },
    )
    const {outcome} = entry
    const seconds = (outcome.durationMs / 1000).toFixed(1)
    flush(entry, `${outcome.status} in ${seconds} s`)
  })
  if (!input.push) return {images: entries.map((entry) => entry.outcome), notices}

  // 3. Whatever must hold for every pushed image before a moving tag may name it.
  const {afterPublish} = input
  if (afterPublish) {
    await mapWithLimit(entries, maxParallel, async (entry) => {
      if (isFailed(entry.outcome)) return
      await timed(entry, () => afterPublish(entry.plan, entry.outcome, entry.log))
      const failed = isFailed(entry.outcome)
      if (entry.lines.length > 0 || failed)
        flush(entry, failed ? 'failed after the push' : 'checked')
    })
  }

  const failed = entries.filter((entry) => entry.outcome.status === 'failed')
  if (failed.length > 0) {
    for (const {plan, outcome} of entries) {
      if (outcome.status !== 'failed' && plan.movingTags.length > 0)
        outcome.message = `moving tags not applied because ${failedNames(failed)} failed`
    }
    return {images: entries.map((entry) => entry.outcome), notices}
  }

  // 4. The latest guard, once for the run; a tag listing that fails fails its image.
  const held = await latestHeldBack(input, entries, notices)
  if (entries.some((entry) => entry.outcome.status === 'failed')) {
    return {images: entries.map((entry) => entry.outcome), notices}
  }

  // 5. The moving tags.
  await mapWithLimit(entries, maxParallel, async (entry) => {
    const tags = entry.plan.movingTags.filter((tag) => !held.has(tag))
    if (tags.length === 0) return
    await timed(
      entry,
      () => applyMovingTags(input, entry, tags),
      (err) => `moving tags: ${describeFailure(err)}`,
    )
    flush(entry, `moving tags ${entry.outcome.status === 'failed' ? 'failed' : 'applied'}`)
  })
  return {images: entries.map((entry) => entry.outcome), notices}
}

/** Moving tags are copies of the pushed manifest inside the registry: one GET, one PUT per tag. */
async function applyMovingTags(input: ReleaseInput, entry: Entry, tags: string[]): Promise<void> {
  const {plan, outcome, log} = entry
  await input.refreshLogin?.()
  if (outcome.digest) {
    // The digest names exactly what this run pushed, whatever happened to the tags since.
    const digest = await input.registry.copyManifest(
      {repository: plan.repository, reference: outcome.digest},
      tags,
    )
    for (const tag of tags) log(`tagged ${plan.imageName}:${tag} (${digest})`)
  } else if (input.source.pushMovingTags) {
    await input.source.pushMovingTags(plan, tags, outcome, log)
  } else {
    throw new Error(
      `no digest was recorded for ${plan.imageName}, so its moving tags cannot be copied`,
    )
  }
  outcome.refs.push(...tags.map((tag) => `${plan.imageName}:${tag}`))
  outcome.pushed = true
}

/**
 * On a release, `latest` never moves backwards. Checked for every image before any moving tag
 * changes, and decided once for the run: if one repository already has a higher version, no
 * image's latest moves, so `latest` keeps naming one release's set of images. Returns the tags
 * held back.
 */
async function latestHeldBack(
  input: ReleaseInput,
  entries: Entry[],
  notices: string[],
): Promise<Set<string>> {
  const latestTags = new Set(
    input.tagPlan.tags.filter((tag) => tag.isLatest && tag.moving).map((tag) => tag.name),
  )
  const version = input.tagPlan.latestVersion
  if (!version || latestTags.size === 0) return new Set()
  for (const {plan, outcome} of entries) {
    try {
      const verdict = mayMoveLatest(version, await input.registry.listTags(plan.repository))
      if (!verdict.move) {
        notices.push(
          `${[...latestTags].join(', ')} not moved for any image of this run: ${plan.image.name}: ${verdict.reason ?? 'the latest guard said no'}`,
        )
        return latestTags
      }
    } catch (err) {
      outcome.status = 'failed'
      outcome.message = `could not list tags to check whether latest may move: ${describeFailure(err)}`
    }
  }
  return new Set()
}

/** Runs one phase of one image: its time is added up, a throw fails the image. */
async function timed(
  entry: Entry,
  work: () => Promise<unknown>,
  describe: (err: unknown) => string = describeFailure,
): Promise<void> {
  const started = Date.now()
  try {
    await work()
  } catch (err) {
    entry.outcome.status = 'failed'
    entry.outcome.message = describe(err)
  } finally {
    entry.outcome.durationMs += Date.now() - started
  }
}

function isFailed(outcome: ImageOutcome): boolean {
  return outcome.status === 'failed'
}

function flush(entry: Entry, verdict: string): void {
  core.startGroup(`${entry.plan.image.name}: ${verdict}`)
  printToolLines(entry.lines.splice(0))
  if (entry.outcome.status === 'failed' && entry.outcome.message) core.info(entry.outcome.message)
  core.endGroup()
}

function failedNames(failed: Entry[], withReasons = false): string {
  return failed
    .map(({outcome}) =>
      withReasons ? `'${outcome.name}' (${outcome.message ?? 'failed'})` : `'${outcome.name}'`,
    )
    .join(', ')
}
