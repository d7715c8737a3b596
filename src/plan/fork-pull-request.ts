/**
 * Whether GitHub withholds secrets from this run: a pull request from a fork, or one opened by
 * Dependabot. Such a run cannot push, and failing it red helps nobody; it builds instead.
 */
export function secretsWithheld(
  eventName: string,
  payload: Record<string, unknown>,
  actor: string,
): boolean {
  if (
    eventName !== 'pull_request' &&
    eventName !== 'pull_request_review' &&
    eventName !== 'pull_request_review_comment'
  ) {
    return false
  }
  if (actor === 'dependabot[bot]') return true
  const pullRequest = payload.pull_request as
    | {head?: {repo?: {full_name?: string} | null}; base?: {repo?: {full_name?: string} | null}}
    | undefined
  const headRepo = pullRequest?.head?.repo
  // A deleted fork leaves head.repo null: still a fork. An absent field says nothing.
  if (headRepo === null) return true
  const head = headRepo?.full_name
  const base = pullRequest?.base?.repo?.full_name
  return head !== undefined && base !== undefined && head !== base
}

/**
 * Events that run with the repository's secrets while the code may come from anyone:
 * `pull_request_target` (a workflow that checks out the pull request's head builds a stranger's
 * code with secrets present) and `workflow_run` triggered by a fork's pull request. Undefined
 * for every other event.
 */
export function untrustedEvent(
  eventName: string,
  payload: Record<string, unknown>,
  repository: string,
): string | undefined {
  if (eventName === 'pull_request_target') return 'pull_request_target'
  if (eventName !== 'workflow_run') return undefined
  const run = payload.workflow_run as
    {head_repository?: {full_name?: string} | null; event?: string} | undefined
  const head = run?.head_repository?.full_name
  const own = (payload.repository as {full_name?: string} | undefined)?.full_name ?? repository
  return head !== undefined && head !== own ? 'workflow_run from a fork' : undefined
}
