/**
 * Where a previous release of an image may be found, so that an image whose inputs did not
 * change can be reused instead of rebuilt: tags of the same repository, most likely first.
 */
import type {ImagePlan} from './push-plan.js'
import {sanitizeTag} from './tags/sanitize-tag.js'

export interface ReuseFacts {
  eventName: string
  payload: Record<string, unknown>
  /** The commit this run's tags describe (TagPlan.revision). */
  revision: string
  /** DOCKER_METADATA_SHORT_SHA_LENGTH, default 7. */
  shortShaLength?: number
}

/**
 * The candidate tags, in order, without repeats:
 * 1. this run's moving tags (the branch tag, `latest`, `pr-N`…): whatever they name now is the
 *    newest image of that line;
 * 2. the push event's `before` commit, under the same immutable tags as this run's (the `sha-…`
 *    tag with the earlier commit in it);
 * 3. on pull requests, the base branch's tag.
 */
export function reuseCandidates(plan: ImagePlan, facts: ReuseFacts): string[] {
  const candidates = [...plan.movingTags]
  const before = stringField(facts.payload, 'before')
  if (before && /^[0-9a-f]{40}$/i.test(before) && !/^0+$/.test(before) && facts.revision) {
    const length = facts.shortShaLength ?? 7
    for (const tag of plan.immutableTags) {
      const earlier = tag.includes(facts.revision)
        ? tag.split(facts.revision).join(before)
        : tag.includes(facts.revision.slice(0, length))
          ? tag.split(facts.revision.slice(0, length)).join(before.slice(0, length))
          : undefined
      if (earlier && earlier !== tag) candidates.push(earlier)
    }
  }
  const pullRequest = facts.payload.pull_request as {base?: {ref?: unknown}} | undefined
  if (/^pull_request/.test(facts.eventName) && typeof pullRequest?.base?.ref === 'string') {
    const base = sanitizeTag(pullRequest.base.ref)
    if (base) candidates.push(base)
  }
  return [...new Set(candidates)].filter((tag) => !plan.immutableTags.includes(tag))
}

function stringField(payload: Record<string, unknown>, key: string): string | undefined {
  const value = payload[key]
  return typeof value === 'string' ? value : undefined
}
