/**
 * Retention for `stage: cleanup`: which versions of one repository stay and which go. Pure: the
 * versions, the clock and the rules come in as arguments. A version is the set of tags on one
 * digest; an index and its per-platform legs are decided together.
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
 * index goes with its legs. On a closed pull request only that pull request's versions go.
 */
export function decideRetention(
  versions: readonly StoredVersion[],
  rules: RetentionRules,
  support: DeleteSupport,
): RetentionDecision {
  const graph = indexGraph(versions)
  const topLevel = versions.filter((version) => !graph.parentsOf.has(version.digest))
  const fates: Fates = {keep: new Map(), remove: new Map(), notes: [], tagDeletions: []}
  if (rules.pullRequest) decideClosedPullRequest(topLevel, rules.pullRequest, rules, support, fates)
  else decideByAge(topLevel, rules, fates)
  decideLegs(versions, graph, rules, fates)
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

/** Which indexes reference each digest; a digest without parents is a top-level version. */
interface IndexGraph {
  byDigest: Map<string, StoredVersion>
  parentsOf: Map<string, string[]>
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
  for (const version of versions)
    for (const child of version.children)
      parentsOf.set(child, [...(parentsOf.get(child) ?? []), version.digest])
  return {byDigest, parentsOf}
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

/** Legs follow their indexes: kept when any parent is kept or a kept tag names them. */
function decideLegs(
  versions: readonly StoredVersion[],
  graph: IndexGraph,
  rules: RetentionRules,
  fates: Fates,
): void {
  const {keep, remove} = fates
  const legFate = (digest: string, seen = new Set<string>()): string | undefined => {
    if (keep.has(digest)) return keep.get(digest)
    if (seen.has(digest)) return undefined
    seen.add(digest)
    const own = graph.byDigest.get(digest)
    const guarded = own ? tagProtection(own, rules) : undefined
    if (guarded) return guarded
    for (const parent of graph.parentsOf.get(digest) ?? []) {
      if (keep.has(parent) || (!remove.has(parent) && legFate(parent, seen)))
        return `a leg of kept index ${parent}`
    }
    return undefined
  }
  for (const version of versions) {
    if (!graph.parentsOf.has(version.digest)) continue
    const kept = legFate(version.digest)
    if (kept) keep.set(version.digest, kept)
    else remove.set(version.digest, 'a leg of a deleted index')
  }
}

/** The digests that go, in the order to delete them: an index before its legs, oldest first. */
function digestDeletions(
  versions: readonly StoredVersion[],
  graph: IndexGraph,
  fates: Fates,
): Deletion[] {
  const depth = (digest: string, seen = new Set<string>()): number => {
    if (seen.has(digest)) return 0
    seen.add(digest)
    return Math.max(
      0,
      ...(graph.parentsOf.get(digest) ?? []).map((parent) => depth(parent, seen) + 1),
    )
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
