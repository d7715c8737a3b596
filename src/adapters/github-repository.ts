/**
 * The two GitHub REST look-ups tags and labels need: repository data (default branch, labels)
 * and a commit's date, through @actions/github's Octokit (GitHub Enterprise Server through the
 * API URL, the token, the proxy settings) with Octokit's retry plugin. Both modules are loaded on
 * first use, so a run whose event payload says it all never loads them. Both look-ups are best
 * effort: any failure (network, status, timeout, odd body) gives undefined. They never throw.
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

interface RestClient {
  rest: {
    repos: {
      get(params: {owner: string; repo: string}): Promise<{data: unknown}>
      getCommit(params: {owner: string; repo: string; ref: string}): Promise<{data: unknown}>
    }
  }
}

/** An Octokit for `apiUrl` (e.g. https://ghe.example.com/api/v3), with the token when given. */
async function octokitFor(apiUrl: string, token: string, timeoutMs: number): Promise<RestClient> {
  const [github, {retry}] = await Promise.all([
    import('@actions/github'),
    import('@octokit/plugin-retry'),
  ])
  const options = {
    baseUrl: (apiUrl || 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'ocir-push',
    // A look-up that fails is only a missing label: one retry of a 5xx or 429 (Octokit's retry
    // plugin leaves 4xx alone), and no request hangs the run.
    retry: {retries: 1},
    request: {signal: AbortSignal.timeout(timeoutMs)},
  }
  if (token) return github.getOctokit(token, options, retry) as unknown as RestClient
  // Without a token (a public repository): the same client, unauthenticated.
  const {GitHub} = await import('@actions/github/lib/utils')
  return new (GitHub.plugin(retry))(options) as unknown as RestClient
}

function ownerAndName(repository: string): {owner: string; repo: string} | undefined {
  const [owner, repo, ...rest] = repository.split('/')
  return owner && repo && rest.length === 0 ? {owner, repo} : undefined
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
  const params = ownerAndName(repository)
  if (!params) return undefined
  let body: unknown
  try {
    body = (await (await octokitFor(apiUrl, token, timeoutMs)).rest.repos.get(params)).data
  } catch {
    return undefined
  }
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
  const params = ownerAndName(repository)
  if (!sha || !params) return undefined
  let body: unknown
  try {
    const octokit = await octokitFor(apiUrl, token, timeoutMs)
    body = (await octokit.rest.repos.getCommit({...params, ref: sha})).data
  } catch {
    return undefined
  }
  const commit = isObject(body) && isObject(body.commit) ? body.commit : undefined
  const committer = commit && isObject(commit.committer) ? commit.committer : undefined
  if (typeof committer?.date !== 'string') return undefined
  const date = new Date(committer.date)
  return Number.isNaN(date.getTime()) ? undefined : date
}
