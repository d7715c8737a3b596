/** Repository data from `GET /repos/{owner}/{repo}`; every piece is optional. */
export interface RepositoryData {
  html_url?: string | null
  name?: string | null
  description?: string | null
  license?: {spdx_id?: string | null} | null
}

export interface LabelInput {
  /** Build time, already fixed by SOURCE_DATE_EPOCH when set. */
  now: Date
  /** The commit the image is built from (TagPlan.revision: the PR head on pull requests). */
  revision: string
  /** TagPlan.version. */
  version: string
  repository?: RepositoryData
}

/**
 * The `org.opencontainers.image.*` labels metadata-action sets, sorted by key. A piece that is
 * unknown is left out rather than set to '' (metadata-action writes empty labels), and GitHub's
 * `NOASSERTION` (a license it could not identify) is not a license.
 */
export function computeLabels(input: LabelInput): Record<string, string> {
  const repository = input.repository ?? {}
  const candidates: [string, string | null | undefined][] = [
    ['created', input.now.toISOString()],
    ['description', repository.description],
    [
      'licenses',
      repository.license?.spdx_id === 'NOASSERTION' ? undefined : repository.license?.spdx_id,
    ],
    ['revision', input.revision],
    ['source', repository.html_url],
    ['title', repository.name],
    ['url', repository.html_url],
    ['version', input.version],
  ]
  const labels: Record<string, string> = {}
  for (const [key, value] of candidates) {
    if (value) labels[`org.opencontainers.image.${key}`] = value
  }
  return labels
}
