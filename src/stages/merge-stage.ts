import * as core from '@actions/core'
import {createHash} from 'node:crypto'
import type {LogSink, RegistryClient} from '../adapters/ports.js'
import {describeFailure} from '../errors.js'
import {
  imageIndex,
  legProblem,
  OCI_INDEX_MEDIA_TYPE,
  type LegManifest,
  type PlatformStagePlan,
} from '../plan/platform-stage.js'
import {mayMoveLatest} from '../plan/tags/latest-guard.js'
import type {TagPlan} from '../plan/tags/tag-types.js'
import {mapWithLimit} from './map-with-limit.js'
import {stageOutcome, type StageImageOutcome} from './platform-stage.js'

/** The registry calls a merge makes. */
export type ManifestStore = Pick<RegistryClient, 'getManifest' | 'putManifest' | 'listTags'>

export interface MergeStageInput {
  images: readonly PlatformStagePlan[]
  registry: ManifestStore
  /** The run's labels; with an image's own labels, their `org.opencontainers.image.*` part
   *  becomes the index's annotations. */
  labels: Record<string, string>
  /** Images merged at once. */
  maxParallel: number
  /** The run's tags, for the latest guard (latest never moves backwards on a release). */
  tagPlan: Pick<TagPlan, 'tags' | 'latestVersion'>
}

export interface MergeStageResult {
  images: StageImageOutcome[]
  /** Things the report should tell (latest held back). */
  notices: string[]
}

/** An image whose legs were all found, ready to be pushed as one index. */
interface Merge {
  image: PlatformStagePlan
  outcome: StageImageOutcome
  body: Buffer
  lines: string[]
}

/**
 * `stage: merge`: builds nothing. For every image it reads the manifest under each per-platform
 * tag, assembles one OCI image index, and tags it in the release order of the CONTRACT:
 *
 * 1. every leg of every image is read first; if any is missing (or is not a single-platform
 *    image), nothing at all is pushed, for any image: the merge can simply be re-run once the
 *    missing platform run has pushed, and no tag moved in between;
 * 2. the index goes under the immutable tags (sha-…, versions, pr-…) of every image;
 * 3. only when every image got there, the moving tags (latest, branch, major/minor…) are PUT
 *    with the same bytes, after the latest guard, so `latest` names one release's images.
 *
 * Never throws for one image's failure: the outcomes say.
 */
export async function runMergeStage(input: MergeStageInput): Promise<MergeStageResult> {
  const {registry, maxParallel} = input
  const started = Date.now()
  const notices: string[] = []

  // 1. Read every leg of every image before anything changes.
  const merges = await mapWithLimit(input.images, maxParallel, (image) => readLegs(input, image))
  const failed = merges.filter((merge) => merge.outcome.status === 'failed')
  if (failed.length > 0) {
    const reason = failed
      .map((merge) => `'${merge.outcome.name}' (${merge.outcome.message ?? 'failed'})`)
      .join(', ')
    for (const merge of merges) {
      if (merge.outcome.status === 'failed') continue
      merge.outcome.status = 'skipped'
      merge.outcome.message = `not merged, and no tag pushed, because a platform of another image is missing: ${reason}`
    }
    return finish(merges, notices, started)
  }

  // 2. The index under the immutable tags of every image.
  await mapWithLimit(merges, maxParallel, async (merge) => {
    const {image, outcome, body} = merge
    const immutable = image.plan.immutableTags
    try {
      if (immutable.length === 0) {
        // No immutable tag to push first: store the index by digest, the moving tags follow.
        const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`
        outcome.digest = await registry.putManifest(
          image.plan.repository,
          digest,
          body,
          OCI_INDEX_MEDIA_TYPE,
        )
      }
      for (const tag of immutable) {
        const digest = await registry.putManifest(
          image.plan.repository,
          tag,
          body,
          OCI_INDEX_MEDIA_TYPE,
        )
        outcome.digest ||= digest
        outcome.refs.push(`${image.plan.imageName}:${tag}`)
        outcome.pushed = true
        merge.lines.push(`pushed ${image.plan.imageName}:${tag} (${digest})`)
      }
      outcome.status = 'pushed'
    } catch (err) {
      outcome.status = 'failed'
      outcome.message = `pushing the index: ${describeFailure(err)}`
    }
  })
  if (merges.some((merge) => merge.outcome.status === 'failed')) {
    const names = merges
      .filter((merge) => merge.outcome.status === 'failed')
      .map((merge) => `'${merge.outcome.name}'`)
      .join(', ')
    for (const merge of merges) {
      if (merge.outcome.status !== 'failed' && merge.image.plan.movingTags.length > 0)
        merge.outcome.message = `moving tags not applied because ${names} failed`
    }
    return finish(merges, notices, started)
  }

  // 3. Moving tags, only now that every image has its index.
  const skipTags = await checkLatest(input, merges, notices)
  if (merges.every((merge) => merge.outcome.status !== 'failed')) {
    await mapWithLimit(merges, maxParallel, async (merge) => {
      const {image, outcome, body} = merge
      try {
        for (const tag of image.plan.movingTags.filter((name) => !skipTags.has(name))) {
          // The same bytes as the immutable tags: the same digest, with no GET in between.
          const digest = await registry.putManifest(
            image.plan.repository,
            tag,
            body,
            OCI_INDEX_MEDIA_TYPE,
          )
          outcome.refs.push(`${image.plan.imageName}:${tag}`)
          outcome.pushed = true
          merge.lines.push(`tagged ${image.plan.imageName}:${tag} (${digest})`)
        }
      } catch (err) {
        outcome.status = 'failed'
        outcome.message = `moving tags: ${describeFailure(err)}`
      }
    })
  }
  return finish(merges, notices, started)
}

/** Reads one image's legs; a failed outcome names every platform that is missing or unusable. */
async function readLegs(input: MergeStageInput, image: PlatformStagePlan): Promise<Merge> {
  const {plan, legs} = image
  const lines: string[] = []
  const log: LogSink = (line) => lines.push(line)
  const outcome = stageOutcome(plan, 'built')
  const problems: string[] = []
  const entries: {platform: string; manifest: LegManifest}[] = []
  for (const leg of legs) {
    try {
      const found = await input.registry.getManifest({
        repository: plan.repository,
        reference: leg.tag,
      })
      if (!found) {
        problems.push(
          `platform ${leg.platform} is missing: ${leg.ref} does not exist; run stage: platform for ${leg.platform} at this commit first (did that job fail or get skipped?)`,
        )
        continue
      }
      const manifest = {mediaType: found.mediaType, digest: found.digest, size: found.body.length}
      const problem = legProblem(manifest)
      if (problem) {
        problems.push(`platform ${leg.platform} cannot be merged: ${leg.ref}: ${problem}`)
        continue
      }
      entries.push({platform: leg.platform, manifest})
      outcome.platforms.push({platform: leg.platform, ref: leg.ref, digest: found.digest})
      log(`${leg.platform}: ${leg.ref} is ${found.digest} (${found.mediaType})`)
    } catch (err) {
      problems.push(`platform ${leg.platform}: reading ${leg.ref} failed: ${describeFailure(err)}`)
    }
  }
  if (problems.length > 0) {
    outcome.status = 'failed'
    outcome.message = problems.join('; ')
    return {image, outcome, body: Buffer.alloc(0), lines}
  }
  const body = Buffer.from(imageIndex(entries, {...input.labels, ...plan.image.labels}), 'utf8')
  return {image, outcome, body, lines}
}

/**
 * On a release, `latest` never moves backwards (CONTRACT "Release order"). Decided once for the
 * run: if any repository already has a higher version, no image's latest moves. A failed tag
 * listing fails that image, so no moving tag changes.
 */
async function checkLatest(
  input: MergeStageInput,
  merges: Merge[],
  notices: string[],
): Promise<Set<string>> {
  const latestTags = new Set(
    input.tagPlan.tags.filter((tag) => tag.isLatest && tag.moving).map((tag) => tag.name),
  )
  const version = input.tagPlan.latestVersion
  if (!version || latestTags.size === 0) return new Set()
  for (const merge of merges) {
    try {
      const verdict = mayMoveLatest(
        version,
        await input.registry.listTags(merge.image.plan.repository),
      )
      if (!verdict.move) {
        notices.push(
          `${[...latestTags].join(', ')} not moved for any image of this run: ${merge.outcome.name}: ${verdict.reason ?? 'the latest guard said no'}`,
        )
        return latestTags
      }
    } catch (err) {
      merge.outcome.status = 'failed'
      merge.outcome.message = `could not list tags to check whether latest may move: ${describeFailure(err)}`
    }
  }
  return new Set()
}

function finish(merges: Merge[], notices: string[], started: number): MergeStageResult {
  for (const {image, outcome, lines} of merges) {
    outcome.durationMs = Date.now() - started
    const verdict = outcome.status === 'pushed' ? `merged ${outcome.digest}` : outcome.status
    core.startGroup(`${image.plan.image.name}: ${verdict}`)
    for (const line of lines) core.info(line)
    if (outcome.message) core.info(outcome.message)
    core.endGroup()
  }
  return {images: merges.map((merge) => merge.outcome), notices}
}
