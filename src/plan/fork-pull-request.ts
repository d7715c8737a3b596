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
    {head?: {repo?: {full_name?: string} | null}; base?: {repo?: {full_name?: string}}} | undefined
  const head = pullRequest?.head?.repo?.full_name
  const base = pullRequest?.base?.repo?.full_name
  // A deleted fork has no head repository: still a fork.
  return pullRequest?.head !== undefined && (head === undefined || head !== base)
}
