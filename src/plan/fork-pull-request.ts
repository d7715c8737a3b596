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
