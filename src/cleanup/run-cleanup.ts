/**
 * `stage: cleanup`: for every image, list its versions, decide what the retention rules keep
 * (plan/retention.ts), check that no kept tag has moved onto a digest about to go, and delete,
 * index before legs. A dry run lists the same deletions and deletes nothing. One failed delete
 * does not stop the others; the result lists every failure.
 */
import * as core from '@actions/core'
import type {CatalogImage, ImageCatalog} from '../ports.js'
import {DeleteRefusedError, describeFailure} from '../errors.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {
  decideRetention,
  protectedBecause,
  type Deletion,
  type RetentionRules,
} from '../plan/retention.js'

export interface CleanupRequest {
  plans: readonly ImagePlan[]
  rules: RetentionRules
  catalog: ImageCatalog
  dryRun: boolean
}

export interface CleanupResult {
  /** Image name → every reference deleted (or, in a dry run, to be deleted), in order. */
  deleted: Record<string, string[]>
  failures: {image: string; message: string; nextStep: string}[]
  notices: string[]
}

const RERUN =
  'The other deletions went ahead. Fix the cause and re-run the cleanup: what is already gone counts as deleted'

export async function runCleanup(request: CleanupRequest): Promise<CleanupResult> {
  const {rules, dryRun} = request
  const result: CleanupResult = {deleted: {}, failures: [], notices: []}
  if (rules.pullRequest)
    core.info(`Pull request ${rules.pullRequest.number} is closed: only its images are deleted`)
  // Images one after another: the log of each stays together, and deletes are few.
  for (const plan of request.plans) {
    const image: CatalogImage = {name: plan.image.name, repository: plan.repository}
    const refused = await cleanImage(plan, image, request, result)
    if (refused) {
      result.failures.push({
        image: plan.image.name,
        message: describeFailure(refused),
        nextStep: 'Nothing was deleted',
      })
      break
    }
  }
  if (dryRun) result.notices.push('dry run: nothing was deleted')
  return result
}

/** One image; returns the refusal when the registry refuses deletes altogether. */
async function cleanImage(
  plan: ImagePlan,
  image: CatalogImage,
  {catalog, rules, dryRun}: CleanupRequest,
  result: CleanupResult,
): Promise<DeleteRefusedError | undefined> {
  const deleted: string[] = []
  result.deleted[plan.image.name] = deleted
  core.startGroup(`Cleanup of ${plan.imageName} (${catalog.name})`)
  try {
    let versions
    try {
      versions = await catalog.listVersions(image)
    } catch (err) {
      result.failures.push({
        image: plan.image.name,
        message: `listing its versions failed: ${describeFailure(err)}`,
        nextStep: RERUN,
      })
      return undefined
    }
    const decision = decideRetention(versions, rules, catalog)
    for (const kept of decision.kept)
      core.info(`keep ${short(kept.digest)} [${kept.tags.join(', ')}]: ${kept.reason}`)
    for (const note of decision.notes) result.notices.push(`${plan.image.name}: ${note}`)
    if (decision.deletions.length === 0) {
      core.info('nothing to delete')
      return undefined
    }
    for (const deletion of decision.deletions)
      core.info(
        `${dryRun ? 'would delete' : 'delete'} ${describe(plan, deletion)}: ${deletion.reason}`,
      )
    if (dryRun) {
      deleted.push(...decision.deletions.flatMap((deletion) => references(plan, deletion)))
      return undefined
    }

    // A kept tag may have moved onto a digest since the listing (a release running right now):
    // that digest stays. Deleting a digest deletes every tag on it.
    const keptTags = decision.kept.flatMap((kept) =>
      kept.tags.filter((tag) => protectedBecause(tag, rules)),
    )
    const namedNow = new Set<string>()
    for (const tag of keptTags) {
      const digest = await catalog.resolveTag(image, tag).catch(() => undefined)
      if (digest) namedNow.add(digest)
    }
    // A leg goes only once its index is gone: an index must never point at a deleted manifest.
    const parentsOf = new Map<string, string[]>()
    for (const version of versions)
      for (const child of version.children)
        parentsOf.set(child, [...(parentsOf.get(child) ?? []), version.digest])
    const failed = new Set<string>()
    for (const deletion of decision.deletions) {
      const failedParent = (parentsOf.get(deletion.digest) ?? []).find((parent) =>
        failed.has(parent),
      )
      if (deletion.kind === 'digest' && failedParent) {
        failed.add(deletion.digest)
        result.failures.push({
          image: plan.image.name,
          message: `${describe(plan, deletion)} not deleted: its index ${short(failedParent)} could not be`,
          nextStep: RERUN,
        })
        continue
      }
      if (deletion.kind === 'digest' && namedNow.has(deletion.digest)) {
        result.notices.push(
          `${plan.image.name}: ${short(deletion.digest)} stays: a kept tag names it now`,
        )
        continue
      }
      try {
        if (deletion.kind === 'digest') await catalog.deleteDigest(image, deletion.digest)
        else await catalog.deleteTag(image, deletion.tag, deletion.digest)
        deleted.push(...references(plan, deletion))
        core.info(`deleted ${describe(plan, deletion)}`)
      } catch (err) {
        if (err instanceof DeleteRefusedError) return err
        failed.add(deletion.digest)
        const message = `deleting ${describe(plan, deletion)} failed: ${describeFailure(err)}`
        core.info(message)
        result.failures.push({image: plan.image.name, message, nextStep: RERUN})
      }
    }
    return undefined
  } finally {
    core.endGroup()
  }
}

/** The references a deletion removes: each tag, then the digest itself. */
function references(plan: ImagePlan, deletion: Deletion): string[] {
  if (deletion.kind === 'tag') return [`${plan.imageName}:${deletion.tag}`]
  return [
    ...deletion.tags.map((tag) => `${plan.imageName}:${tag}`),
    `${plan.imageName}@${deletion.digest}`,
  ]
}

function describe(plan: ImagePlan, deletion: Deletion): string {
  if (deletion.kind === 'tag') return `${plan.imageName}:${deletion.tag} (tag only)`
  const tags = deletion.tags.length > 0 ? ` [${deletion.tags.join(', ')}]` : ' (untagged)'
  return `${plan.imageName}@${short(deletion.digest)}${tags}`
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12)
}
