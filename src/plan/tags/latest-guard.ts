import {compareSemver, parseSemver, type Semver} from './versions.js'

/**
 * Whether `latest` may move to `version`, given the tags the repository already has. `latest`
 * never moves backwards: a backport release v1.1.9 after v1.2.3 keeps latest on 1.2.3. Only
 * stable semver tags (`1.2.3`, `v1.2.3`) count; prereleases and other tags are ignored.
 */
export function mayMoveLatest(
  version: string,
  existingTags: string[],
): {move: boolean; reason?: string} {
  const candidate = parseSemver(version)
  if (!candidate) return {move: true}
  if (candidate.prerelease.length > 0) {
    return {
      move: false,
      reason: `${candidate.version} is a prerelease; latest only names stable releases`,
    }
  }
  let highest: Semver | undefined
  for (const tag of existingTags) {
    const existing = parseSemver(tag)
    if (!existing || existing.prerelease.length > 0 || existing.build.length > 0) continue
    if (!highest || compareSemver(existing, highest) > 0) highest = existing
  }
  if (highest && compareSemver(highest, candidate) > 0) {
    return {
      move: false,
      reason: `the repository already has ${highest.raw}, which is higher than ${candidate.version}; latest stays where it is`,
    }
  }
  return {move: true}
}
