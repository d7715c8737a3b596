/**
 * The commit time from the event payload, as metadata-action finds it: the matching entry of a
 * push's `commits`, else `head_commit` when it is that commit. Undefined otherwise (then ask the
 * GitHub API: fetchCommitDate).
 */
export function commitDateFromPayload(
  payload: Record<string, unknown>,
  sha: string,
): Date | undefined {
  const parse = (value: unknown): Date | undefined => {
    if (typeof value !== 'string') return undefined
    const date = new Date(value)
    return Number.isNaN(date.getTime()) ? undefined : date
  }
  const commits = Array.isArray(payload.commits) ? (payload.commits as unknown[]) : []
  for (const commit of commits) {
    const entry = commit as {id?: unknown; timestamp?: unknown} | null
    if (entry?.id === sha) return parse(entry.timestamp)
  }
  const head = payload.head_commit as {id?: unknown; timestamp?: unknown} | null | undefined
  if (head?.id === sha) return parse(head.timestamp)
  return undefined
}
