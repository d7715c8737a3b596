/**
 * Retention for `stage: cleanup`: which versions of one repository stay and which go. Pure: the
 * versions, the clock and the rules come in as arguments. A version is the set of tags on one
 * digest; an index and its per-platform legs are decided together. cosign's signatures,
 * attestations and SBOMs (`sha256-<hex>.sig`, `.att`, `.sbom`) are no versions: each follows the
 * digest it names, kept with it and deleted after it.
 */
import {InputError} from '../errors.js'
import type {TagPattern} from '../model/action-config.js'
import {parsePep440, parseSemver} from './tags/versions.js'

/** One digest of a repository, as the catalog lists it. */
export interface StoredVersion {
  digest: string
  /** Every tag naming this digest (none for an untagged leg). */
  tags: string[]
  /** When it was created (push time or the image's `created`); undefined when unknown. */
  created?: Date
  mediaType: string
  /** The digests an index references; [] for an image manifest. */
  children: string[]
  /** The `org.opencontainers.image.version` label or annotation, when known (e.g. `pr-12`). */
  imageVersion?: string
}

/** What the cleanup keeps and which pull request it is closing, if any. */
export interface RetentionRules {
  keepLast: number
  keepDays?: number
  keepTags: TagPattern[]
  defaultBranch?: string
  now: Date
  /** Set on a `pull_request` event with action `closed`: only this pull request's images go. */
  pullRequest?: {number: number; shaTags: string[]}
}

/** What the registry can do (see ImageCatalog). */
export interface DeleteSupport {
  /** Removing one tag while its digest stays (OCIR RemoveContainerVersion, distribution 3). */
  canDeleteTag: boolean
}

export type Deletion =
  /** The digest goes, and every tag on it with it. */
  | {kind: 'digest'; digest: string; tags: string[]; reason: string}
  /** Only this tag goes; its digest stays for the other tags. */
  | {kind: 'tag'; digest: string; tag: string; reason: string}

export interface RetentionDecision {
  /** In the order to delete them: an index before its legs, oldest first. */
  deletions: Deletion[]
  kept: {digest: string; tags: string[]; reason: string}[]
  /** Things the user should know (a tag that could not be removed on its own). */
  notes: string[]
}

const MS_PER_DAY = 86_400_000

/** cosign's tags for what it attaches to a digest: `sha256-<hex>.sig`, `.att`, `.sbom`. */
const ATTACHMENT_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/
const ATTACHMENT_KINDS: Record<string, string> = {
  sig: 'the signature',
  att: 'the attestation',
  sbom: 'the SBOM',
}

/**
 * The digests a version is attached to (its signature, attestation or SBOM), from its tags; []
 * for an image: a version with no tag, or with any tag that is not an attachment's.
 */
export function attachedTo(version: Pick<StoredVersion, 'tags'>): string[] {
  const subjects = version.tags.map((tag) => ATTACHMENT_TAG.exec(tag)?.[1])
  if (subjects.length === 0 || subjects.some((subject) => !subject)) return []
  return [...new Set(subjects.map((subject) => `sha256:${subject as string}`))]
}

/** What an attachment is (`the signature`), from its first tag. */
function attachmentKind(version: StoredVersion): string {
  return ATTACHMENT_KINDS[ATTACHMENT_TAG.exec(version.tags[0] ?? '')?.[2] ?? ''] ?? 'an attachment'
}

/**
 * What must be gone before a digest is deleted: the indexes that reference it, and the digests
 * it is attached to (an image is never left without its signature).
 */
export function deletedBefore(versions: readonly StoredVersion[]): Map<string, string[]> {
  return predecessors(indexGraph(versions))
}

function predecessors(graph: IndexGraph): Map<string, string[]> {
  const before = new Map(graph.parentsOf)
  for (const [digest, subjects] of graph.subjectsOf)
    before.set(digest, [...(before.get(digest) ?? []), ...subjects])
  return before
}

/**
 * The digests attachments name that the listing does not hold: the catalog is asked whether they
 * still exist (a signature left behind by a digest deleted earlier goes, see decideRetention).
 */
export function unlistedSubjects(versions: readonly StoredVersion[]): string[] {
  const listed = new Set(versions.map((version) => version.digest))
  return [...new Set(versions.flatMap((version) => attachedTo(version))).values()].filter(
    (subject) => !listed.has(subject),
  )
}

/** Parses the `keep-tags` lines; throws an InputError for a bad regular expression or glob. */
export function parseTagPatterns(lines: readonly string[]): TagPattern[] {
  return lines.map((line) => {
    const regex = /^\/(.*)\/$/.exec(line)
    if (regex) {
      let compiled: RegExp
      try {
        compiled = new RegExp(regex[1])
      } catch (err) {
        throw new InputError(
          'keep-tags',
          line,
          `the regular expression does not compile (${err instanceof Error ? err.message : String(err)})`,
        )
      }
      return {source: line, test: (tag: string) => compiled.test(tag)}
    }
    if (!/^[A-Za-z0-9_.*?-]+$/.test(line)) {
      throw new InputError(
        'keep-tags',
        line,
        'use a tag glob (letters, digits, . _ - with * and ?) or a regular expression in slashes, e.g. /^v?\\d+$/',
      )
    }
    const glob = new RegExp(
      `^${line
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    )
    return {source: line, test: (tag: string) => glob.test(tag)}
  })
}

/** Why a tag is always kept, or undefined when only the retention rules decide. */
export function protectedBecause(tag: string, rules: RetentionRules): string | undefined {
  if (tag === 'latest') return 'latest'
  if (rules.defaultBranch && tag === rules.defaultBranch) return 'the default branch'
  // A full version, or one of its major/minor aliases (`1`, `1.2`, which PEP 440 reads as versions).
  if (parseSemver(tag) || parsePep440(tag)) return 'a release version'
  const pattern = rules.keepTags.find((candidate) => candidate.test(tag))
  return pattern ? `keep-tags ${pattern.source}` : undefined
}

/**
 * Decides one repository. Never deletes a digest a kept tag names, nor a leg of a kept index; an
 * index goes with its legs. On a closed pull request only that pull request's versions go. An
 * attachment (signature, attestation, SBOM) stays while the digest it names stays, and goes after
 * it; one whose digest is not listed stays unless `gone` says that digest no longer exists.
 */
export function decideRetention(
  versions: readonly StoredVersion[],
  rules: RetentionRules,
  support: DeleteSupport,
  gone: ReadonlySet<string> = new Set(),
): RetentionDecision {
  const graph = indexGraph(versions)
  const topLevel = versions.filter(
    (version) => !graph.parentsOf.has(version.digest) && !graph.subjectsOf.has(version.digest),
  )
  const fates: Fates = {keep: new Map(), remove: new Map(), notes: [], tagDeletions: []}
  if (rules.pullRequest) decideClosedPullRequest(topLevel, rules.pullRequest, rules, support, fates)
  else decideByAge(topLevel, rules, fates)
  decideDependents(versions, graph, rules, gone, fates)
  return {
    deletions: [...fates.tagDeletions, ...digestDeletions(versions, graph, fates)],
    kept: versions
      .filter((version) => fates.keep.has(version.digest))
      .map((version) => ({
        digest: version.digest,
        tags: version.tags,
        reason: fates.keep.get(version.digest) ?? '',
      })),
    notes: fates.notes,
  }
}

/**
 * Which indexes reference each digest, and which digests each attachment names; a digest with
 * neither is a top-level version.
 */
interface IndexGraph {
  byDigest: Map<string, StoredVersion>
  parentsOf: Map<string, string[]>
  subjectsOf: Map<string, string[]>
}

/** The decision so far: digests kept and removed with their reasons, tags removed on their own. */
interface Fates {
  keep: Map<string, string>
  remove: Map<string, string>
  notes: string[]
  tagDeletions: Deletion[]
}

function indexGraph(versions: readonly StoredVersion[]): IndexGraph {
  const byDigest = new Map(versions.map((version) => [version.digest, version]))
  const parentsOf = new Map<string, string[]>()
  const subjectsOf = new Map<string, string[]>()
  for (const version of versions) {
    for (const child of version.children)
      parentsOf.set(child, [...(parentsOf.get(child) ?? []), version.digest])
    const subjects = attachedTo(version)
    if (subjects.length > 0) subjectsOf.set(version.digest, subjects)
  }
  return {byDigest, parentsOf, subjectsOf}
}

/** `tag: why` for the first of the version's tags that is always kept, else undefined. */
function tagProtection(version: StoredVersion, rules: RetentionRules): string | undefined {
  for (const tag of version.tags) {
    const why = protectedBecause(tag, rules)
    if (why) return `${tag}: ${why}`
  }
  return undefined
}

/**
 * A closed pull request: its versions (its `pr-N` or head `sha-…` tag, or the `pr-N` image
 * version) go unless a tag protects them; then only its own tags go, where the registry can
 * delete a tag on its own. Every other version stays.
 */
function decideClosedPullRequest(
  topLevel: readonly StoredVersion[],
  pr: NonNullable<RetentionRules['pullRequest']>,
  rules: RetentionRules,
  support: DeleteSupport,
  fates: Fates,
): void {
  const prTag = `pr-${pr.number}`
  const ownTags = new Set([prTag, ...pr.shaTags])
  for (const version of topLevel) {
    const belongs = version.tags.some((tag) => ownTags.has(tag)) || version.imageVersion === prTag
    if (!belongs) {
      fates.keep.set(version.digest, `not pull request ${pr.number}'s`)
      continue
    }
    const guarded = tagProtection(version, rules)
    if (!guarded) {
      fates.remove.set(version.digest, `pull request ${pr.number} is closed`)
      continue
    }
    fates.keep.set(version.digest, guarded)
    for (const tag of version.tags.filter((candidate) => ownTags.has(candidate))) {
      if (support.canDeleteTag)
        fates.tagDeletions.push({
          kind: 'tag',
          digest: version.digest,
          tag,
          reason: `pull request ${pr.number} is closed; the digest stays for ${guarded}`,
        })
      else
        fates.notes.push(
          `${tag} stays: its digest is kept (${guarded}) and this registry cannot delete a tag on its own`,
        )
    }
  }
}

/** Any other event: protected tags, the newest `keepLast` and those younger than `keepDays` stay. */
function decideByAge(
  topLevel: readonly StoredVersion[],
  rules: RetentionRules,
  fates: Fates,
): void {
  // Newest first; an unknown creation time counts as newest, so it is never the one to go.
  const ordered = [...topLevel].sort(
    (left, right) =>
      (right.created?.getTime() ?? Infinity) - (left.created?.getTime() ?? Infinity) ||
      left.digest.localeCompare(right.digest),
  )
  ordered.forEach((version, rank) => {
    const guarded = tagProtection(version, rules)
    if (guarded) return fates.keep.set(version.digest, guarded)
    if (!version.created) return fates.keep.set(version.digest, 'creation time unknown')
    if (rank < rules.keepLast)
      return fates.keep.set(version.digest, `one of the last ${rules.keepLast}`)
    const ageDays = (rules.now.getTime() - version.created.getTime()) / MS_PER_DAY
    if (rules.keepDays !== undefined && ageDays < rules.keepDays)
      return fates.keep.set(version.digest, `younger than ${rules.keepDays} days`)
    fates.remove.set(version.digest, `older than the last ${rules.keepLast}`)
  })
}

/**
 * Legs and attachments follow what they belong to: a leg is kept when any of its indexes is kept,
 * an attachment when any digest it names is kept (or is not listed and not known to be gone); a
 * kept tag of their own keeps them too. Everything else of theirs goes.
 */
function decideDependents(
  versions: readonly StoredVersion[],
  graph: IndexGraph,
  rules: RetentionRules,
  gone: ReadonlySet<string>,
  fates: Fates,
): void {
  const {keep, remove} = fates
  const deciding = new Set<string>()
  const decide = (version: StoredVersion): void => {
    const {digest} = version
    // A cycle (no registry makes one) decides nothing on the way: its members go, unless kept.
    if (keep.has(digest) || remove.has(digest) || deciding.has(digest)) return
    deciding.add(digest)
    const kept = tagProtection(version, rules) ?? keptFor(version)
    deciding.delete(digest)
    if (kept) keep.set(digest, kept)
    else remove.set(digest, removedFor(version))
  }
  const keptFor = (version: StoredVersion): string | undefined => {
    for (const parent of graph.parentsOf.get(version.digest) ?? []) {
      decide(graph.byDigest.get(parent) as StoredVersion)
      if (keep.has(parent)) return `a leg of kept index ${parent}`
    }
    for (const subject of graph.subjectsOf.get(version.digest) ?? []) {
      const named = graph.byDigest.get(subject)
      if (!named) {
        if (!gone.has(subject))
          return `${attachmentKind(version)} of ${subject}, which this listing does not hold`
        continue
      }
      decide(named)
      if (keep.has(subject)) return `${attachmentKind(version)} of kept ${subject}`
    }
    return undefined
  }
  const removedFor = (version: StoredVersion): string => {
    const subjects = graph.subjectsOf.get(version.digest)
    if (!subjects) return 'a leg of a deleted index'
    const deleted = subjects.filter((subject) => graph.byDigest.has(subject))
    return deleted.length > 0
      ? `${attachmentKind(version)} of deleted ${deleted.join(', ')}`
      : `${attachmentKind(version)} of ${subjects.join(', ')}, which is gone`
  }
  for (const version of versions)
    if (graph.parentsOf.has(version.digest) || graph.subjectsOf.has(version.digest)) decide(version)
}

/**
 * The digests that go, in the order to delete them: an index before its legs, an image before its
 * attachments, oldest first.
 */
function digestDeletions(
  versions: readonly StoredVersion[],
  graph: IndexGraph,
  fates: Fates,
): Deletion[] {
  const before = predecessors(graph)
  const depths = new Map<string, number>()
  const depth = (digest: string, path = new Set<string>()): number => {
    const known = depths.get(digest)
    if (known !== undefined) return known
    if (path.has(digest)) return 0
    path.add(digest)
    const found = Math.max(0, ...(before.get(digest) ?? []).map((first) => depth(first, path) + 1))
    path.delete(digest)
    depths.set(digest, found)
    return found
  }
  return versions
    .filter((version) => fates.remove.has(version.digest) && !fates.keep.has(version.digest))
    .sort(
      (left, right) =>
        depth(left.digest) - depth(right.digest) ||
        (left.created?.getTime() ?? 0) - (right.created?.getTime() ?? 0) ||
        left.digest.localeCompare(right.digest),
    )
    .map((version) => ({
      kind: 'digest',
      digest: version.digest,
      tags: [...version.tags].sort(),
      reason: fates.remove.get(version.digest) ?? '',
    }))
}

/** The closed pull request a `pull_request` event describes, or undefined for any other event. */
export function closedPullRequest(
  eventName: string,
  payload: Record<string, unknown>,
  shortShaLength = 7,
): RetentionRules['pullRequest'] {
  if (!['pull_request', 'pull_request_target'].includes(eventName)) return undefined
  if (payload.action !== 'closed') return undefined
  const pullRequest = payload.pull_request as {number?: number; head?: {sha?: string}} | undefined
  const number = pullRequest?.number ?? (payload.number as number | undefined)
  if (typeof number !== 'number') return undefined
  const head = pullRequest?.head?.sha
  return {number, shaTags: head ? [`sha-${head.slice(0, shortShaLength)}`] : []}
}
