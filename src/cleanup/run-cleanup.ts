/**
 * `stage: cleanup`: for every image, list its versions, decide what the retention rules keep
 * (plan/retention.ts), check that no kept tag has moved onto a digest about to go, and delete,
 * index before legs, an image before its signatures. A dry run lists the same deletions and
 * deletes nothing. One failed delete does not stop the others; the result lists every failure.
 */
import * as core from '@actions/core'
import type {CatalogImage, ImageCatalog} from '../ports.js'
import {DeleteRefusedError, describeFailure} from '../errors.js'
import type {ImagePlan} from '../plan/push-plan.js'
import {
  decideRetention,
  deletedBefore,
  protectedBecause,
  unlistedSubjects,
  type Deletion,
  type RetentionDecision,
  type RetentionRules,
  type StoredVersion,
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
    const gone = await goneSubjects(catalog, image, unlistedSubjects(versions))
    const decision = decideRetention(versions, rules, catalog, gone)
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
    return await deleteInOrder(plan, image, versions, decision, {catalog, rules}, result)
  } finally {
    core.endGroup()
  }
}

/**
 * The digests signatures name that the listing does not hold, and that the registry no longer
 * has either: a signature left behind by a digest deleted earlier. One that cannot be checked
 * counts as still there.
 */
async function goneSubjects(
  catalog: ImageCatalog,
  image: CatalogImage,
  subjects: readonly string[],
): Promise<Set<string>> {
  const gone = new Set<string>()
  for (const subject of subjects) {
    const found = await catalog.resolveTag(image, subject).then(
      (digest) => digest !== undefined,
      () => true,
    )
    if (!found) gone.add(subject)
  }
  return gone
}

/**
 * Deletes in the decision's order. A digest a kept tag names now stays; so does whatever belongs
 * to a digest that stays or failed (a leg of its index, a signature of its image). Returns the
 * refusal when the registry refuses deletes altogether.
 */
async function deleteInOrder(
  plan: ImagePlan,
  image: CatalogImage,
  versions: readonly StoredVersion[],
  decision: RetentionDecision,
  {catalog, rules}: Pick<CleanupRequest, 'catalog' | 'rules'>,
  result: CleanupResult,
): Promise<DeleteRefusedError | undefined> {
  const deleted = result.deleted[plan.image.name]
  const namedNow = await digestsKeptTagsName(catalog, image, decision, rules)
  // A leg goes only once its index is gone (an index must never point at a deleted manifest),
  // a signature only once its image is.
  const before = deletedBefore(versions)
  const children = new Map(versions.map((version) => [version.digest, version.children]))
  const owner = (digest: string, first: string): string =>
    children.get(first)?.includes(digest)
      ? `its index ${short(first)}`
      : `${short(first)}, which it is attached to,`
  const failed = new Set<string>()
  const stayed = new Set<string>()
  for (const deletion of decision.deletions) {
    const first = before.get(deletion.digest) ?? []
    const failedFirst = first.find((digest) => failed.has(digest))
    if (deletion.kind === 'digest' && failedFirst) {
      failed.add(deletion.digest)
      result.failures.push({
        image: plan.image.name,
        message: `${describe(plan, deletion)} not deleted: ${owner(deletion.digest, failedFirst)} could not be`,
        nextStep: RERUN,
      })
      continue
    }
    const stayedFirst = first.find((digest) => stayed.has(digest))
    if (deletion.kind === 'digest' && (namedNow.has(deletion.digest) || stayedFirst)) {
      stayed.add(deletion.digest)
      result.notices.push(
        `${plan.image.name}: ${short(deletion.digest)} stays: ${stayedFirst ? `${owner(deletion.digest, stayedFirst)} stays` : 'a kept tag names it now'}`,
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
}

/**
 * The digests the kept tags name now: a kept tag may have moved onto a digest since the listing
 * (a release running right now), and deleting a digest deletes every tag on it.
 */
async function digestsKeptTagsName(
  catalog: ImageCatalog,
  image: CatalogImage,
  decision: RetentionDecision,
  rules: RetentionRules,
): Promise<Set<string>> {
  const keptTags = decision.kept.flatMap((kept) =>
    kept.tags.filter((tag) => protectedBecause(tag, rules)),
  )
  const namedNow = new Set<string>()
  for (const tag of keptTags) {
    const digest = await catalog.resolveTag(image, tag).catch(() => undefined)
    if (digest) namedNow.add(digest)
  }
  return namedNow
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
