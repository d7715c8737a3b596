/** Facts about the run that tags and labels are computed from. Pure data: no I/O behind it. */
export interface TagContext {
  /** GITHUB_EVENT_NAME, e.g. `push`, `pull_request`, `release`, `schedule`. */
  eventName: string
  /** GITHUB_REF, e.g. `refs/heads/main`, `refs/tags/v1.2.3`, `refs/pull/42/merge`; may be empty. */
  ref: string
  /** GITHUB_SHA (on a PR this is the temporary merge commit; the engine uses the head SHA). */
  sha: string
  /** The parsed event payload. */
  payload: Record<string, unknown>
  /** Repository default branch; undefined when it could not be found. */
  defaultBranch?: string
  /** Commit time (from the payload or the GitHub API); undefined when unknown. */
  commitDate?: Date
  /** "Now", already fixed by SOURCE_DATE_EPOCH when set. */
  now: Date
  /** DOCKER_METADATA_PR_HEAD_SHA: false restores metadata-action's old merge-commit behaviour. */
  prHeadSha: boolean
  /** DOCKER_METADATA_SHORT_SHA_LENGTH: length of `{{sha}}` and `type=sha` (default 7). */
  shortShaLength?: number
}

/** One computed tag name (without the image part). */
export interface ComputedTag {
  name: string
  /**
   * Moving tags (latest, edge, branch names, major/minor versions) are applied only after every
   * image of the run was pushed; immutable ones (sha-…, full versions, pr-…) are pushed first.
   */
  moving: boolean
  /** True for the `latest` tag added by the flavor or a raw rule named latest. */
  isLatest: boolean
  /** The rule that produced the tag, e.g. `type=semver,pattern={{version}}` (for logs). */
  rule?: string
}

export interface TagPlan {
  /** Tags in output order (priority, then rule order), deduplicated. */
  tags: ComputedTag[]
  /** The main version (metadata-action semantics). */
  version: string
  /** Things the user should know (e.g. default branch unknown). */
  warnings: string[]
  /**
   * The commit the tags describe: the PR head on pull requests (unless prHeadSha is false),
   * GITHUB_SHA otherwise. Use it for the `revision` label.
   */
  revision?: string
  /**
   * Set when `latest` is in `tags` because of a version rule (semver, pep440, match, tag ref):
   * the version `latest` would stand for. Pass it to `mayMoveLatest` with the registry's tags.
   * Undefined when latest comes from a branch, a raw rule or `latest=true`.
   */
  latestVersion?: string
}
