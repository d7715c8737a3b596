import {fetchCommitDate, fetchRepository} from './adapters/github-repository.js'
import type {ActionConfig} from './model/action-config.js'
import {commitDateFromPayload} from './plan/tags/commit-date.js'
import type {RepositoryData} from './plan/tags/labels.js'
import type {RunFacts} from './plan/run-plan.js'

/**
 * The facts tags and labels need beyond the inputs: the clock (SOURCE_DATE_EPOCH wins), the
 * default branch and repository data (the event payload first; the GitHub API only when the
 * payload lacks them, so GitHub Enterprise Server works through GITHUB_API_URL), and the commit
 * date when a rule asks for it.
 */
export async function gatherRunFacts(config: ActionConfig): Promise<RunFacts> {
  const {github} = config
  const now =
    config.sourceDateEpoch !== undefined ? new Date(config.sourceDateEpoch * 1000) : new Date()
  const fromPayload = github.payload.repository as
    (RepositoryData & {default_branch?: string}) | undefined
  let repository: (RepositoryData & {default_branch?: string}) | undefined = fromPayload
  if (!fromPayload?.default_branch && github.repository) {
    repository =
      (await fetchRepository(github.apiUrl, github.repository, config.githubToken)) ?? fromPayload
  }
  const needsCommitDate = config.tagRules.some((rule) => rule.includes('commit_date'))
  let commitDate = commitDateFromPayload(github.payload, github.sha)
  if (!commitDate && needsCommitDate && github.repository) {
    commitDate = await fetchCommitDate(
      github.apiUrl,
      github.repository,
      github.sha,
      config.githubToken,
    )
  }
  // Without payload or API data, the runner still says where the repository lives.
  if (github.repository && !repository?.html_url) {
    repository = {
      ...repository,
      html_url: `${github.serverUrl.replace(/\/+$/, '')}/${github.repository}`,
      name: repository?.name ?? github.repository.split('/').pop(),
    }
  }
  return {now, defaultBranch: repository?.default_branch, commitDate, repository}
}
