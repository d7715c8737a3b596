import type {TagContext, TagPlan} from './tag-types.js'

/**
 * Placeholder until the full metadata-action rule engine lands: `sha-<7>` always, the branch name
 * on a branch push, and `latest` on the default branch.
 */
export function computeTags(rules: string[], flavor: string[], context: TagContext): TagPlan {
  void rules
  void flavor
  const tags: TagPlan['tags'] = []
  const branch = context.ref.startsWith('refs/heads/') ? context.ref.slice('refs/heads/'.length) : ''
  if (branch) tags.push({name: branch.replace(/[^A-Za-z0-9_.-]/g, '-'), moving: true, isLatest: false})
  if (context.sha) tags.push({name: `sha-${context.sha.slice(0, 7)}`, moving: false, isLatest: false})
  if (branch && branch === context.defaultBranch) tags.push({name: 'latest', moving: true, isLatest: true})
  return {tags, version: tags[0]?.name ?? '', warnings: []}
}
