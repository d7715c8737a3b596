/**
 * The two GitHub REST look-ups tags and labels need: repository data (default branch, labels)
 * and a commit's date. Both are best effort: any failure (network, status, timeout, odd body)
 * gives undefined and the caller carries on with what it has. They never throw.
 */

/** The fields of `GET /repos/{owner}/{repo}` we use. */
export interface GitHubRepository {
  default_branch: string
  html_url: string
  name: string
  description: string | null
  license: {spdx_id: string | null} | null
}

const DEFAULT_TIMEOUT_MS = 5_000

async function getJson(url: string, token: string, timeoutMs: number): Promise<unknown> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'ocir-push',
  }
  if (token) headers.authorization = `Bearer ${token}`
  try {
    const response = await fetch(url, {headers, signal: AbortSignal.timeout(timeoutMs)})
    if (!response.ok) {
      await response.body?.cancel()
      return undefined
    }
    return (await response.json()) as unknown
  } catch {
    return undefined
  }
}

function apiBase(apiUrl: string): string {
  // GITHUB_API_URL: https://api.github.com, or https://ghe.example.com/api/v3 on Enterprise Server.
  return (apiUrl || 'https://api.github.com').replace(/\/+$/, '')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** `GET {apiUrl}/repos/{owner/name}`; undefined on any failure. */
export async function fetchRepository(
  apiUrl: string,
  repository: string,
  token: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<GitHubRepository | undefined> {
  const body = await getJson(`${apiBase(apiUrl)}/repos/${repository}`, token, timeoutMs)
  if (!isObject(body) || typeof body.default_branch !== 'string') return undefined
  const text = (value: unknown): string => (typeof value === 'string' ? value : '')
  const license = isObject(body.license) ? body.license : undefined
  return {
    default_branch: body.default_branch,
    html_url: text(body.html_url),
    name: text(body.name),
    description: typeof body.description === 'string' ? body.description : null,
    license: license
      ? {spdx_id: typeof license.spdx_id === 'string' ? license.spdx_id : null}
      : null,
  }
}

/** The committer date of a commit (`GET {apiUrl}/repos/{owner/name}/commits/{sha}`), as metadata-action uses it. */
export async function fetchCommitDate(
  apiUrl: string,
  repository: string,
  sha: string,
  token: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Date | undefined> {
  if (!sha) return undefined
  const body = await getJson(
    `${apiBase(apiUrl)}/repos/${repository}/commits/${sha}`,
    token,
    timeoutMs,
  )
  const commit = isObject(body) && isObject(body.commit) ? body.commit : undefined
  const committer = commit && isObject(commit.committer) ? commit.committer : undefined
  if (typeof committer?.date !== 'string') return undefined
  const date = new Date(committer.date)
  return Number.isNaN(date.getTime()) ? undefined : date
}
