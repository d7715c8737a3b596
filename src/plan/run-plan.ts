import type {ActionConfig} from '../model/action-config.js'
import {InputError} from '../errors.js'
import {planLegs, platformTagBase, type ImageLegs} from './platform-legs.js'
import {planPushes, type ImagePlan} from './push-plan.js'
import {computeTags} from './tags/compute-tags.js'
import {computeLabels, type RepositoryData} from './tags/labels.js'
import {annotationLines} from './tags/annotations.js'
import type {TagContext, TagPlan} from './tags/tag-types.js'

/**
 * What tags and labels need to know beyond the inputs; run-facts.ts gathers them (the clock, the
 * event payload, the GitHub API).
 */
export interface RunFacts {
  /** The clock, already fixed by SOURCE_DATE_EPOCH when set. */
  now: Date
  defaultBranch?: string
  commitDate?: Date
  /** GitHub repository data for the OCI labels. */
  repository?: RepositoryData
}

/** What the run will do, worked out before any login: tags, labels and the pushes per image. */
export interface RunPlan {
  tagPlan: TagPlan
  plans: ImagePlan[]
  labels: Record<string, string>
  /**
   * The `annotations` output: the OCI labels as `level:key=value`, at the levels of
   * DOCKER_METADATA_ANNOTATIONS_LEVELS (`manifest` when unset), as metadata-action writes them.
   */
  annotations: string[]
  /** For `stage: platform|merge`: the per-platform legs of every image. */
  legs?: ImageLegs[]
  /** What the user should see as warnings (the tag engine's, a dry run without tags). */
  warnings: string[]
}

export function tagContextOf(config: ActionConfig, facts: RunFacts): TagContext {
  return {
    eventName: config.github.eventName,
    ref: config.github.ref,
    sha: config.github.sha,
    payload: config.github.payload,
    defaultBranch: facts.defaultBranch,
    commitDate: facts.commitDate,
    now: facts.now,
    prHeadSha: config.metadata.prHeadSha,
    shortShaLength: config.metadata.shortShaLength,
  }
}

/**
 * Computes tags and labels and plans every push. Throws before anything happens when a run that
 * would push has no tag at all: a release step that silently pushes nothing is a trap.
 */
export function planRun(
  config: ActionConfig,
  facts: RunFacts,
  /** The tenancy namespace as resolved (looked up when the input is empty). */
  namespace = config.namespace,
): RunPlan {
  const tagContext = tagContextOf(config, facts)
  const tagPlan = computeTags(config.tagRules, config.flavor, tagContext)
  const warnings = [...tagPlan.warnings]
  if (tagPlan.tags.length === 0) {
    const rules = config.tagRules.length > 0 ? config.tagRules.join('; ') : 'the default rules'
    const what = `no tag rule yields a tag for this ${tagContext.eventName || 'run'} (ref '${tagContext.ref || 'none'}', rules: ${rules})`
    if (config.dryRun) warnings.push(`${what}; a real run would fail`)
    else if (config.push && config.stage !== 'cleanup') {
      throw new InputError(
        'tags',
        rules,
        `${what}. Add a rule that applies to this event, e.g. type=sha`,
        what,
      )
    }
  }
  const plans = planPushes(config.images, config.registry.host, namespace, tagPlan.tags)
  const revision = tagPlan.revision ?? tagContext.sha
  // `created` is the commit's time unless SOURCE_DATE_EPOCH says otherwise: re-running a release
  // then gives the very same images (and the classic builder reuses its LABEL step).
  const created =
    config.sourceDateEpoch === undefined
      ? (tagContext.commitDate ?? tagContext.now)
      : tagContext.now
  const labels = {
    ...computeLabels({
      now: created,
      revision,
      version: tagPlan.version,
      repository: facts.repository,
    }),
    ...config.labels,
  }
  const legs =
    config.stage === 'all' || config.stage === 'cleanup'
      ? undefined
      : planLegs(
          config.stage,
          plans,
          platformTagBase(tagPlan.tags, revision, config.metadata.shortShaLength),
          config.platforms,
        )
  const annotations = annotationLines(labels, config.metadata.annotationLevels)
  return {tagPlan, plans, labels, annotations, legs, warnings}
}
