import {InputError} from '../../errors.js'
import {formatDate, isKnownTimeZone} from './date-format.js'
import {
  ExpressionError,
  expressionNames,
  isRawStatement,
  renderTemplate,
  type ExpressionScope,
} from './expressions.js'
import {sanitizeTag} from './sanitize-tag.js'
import {matchRegExp, parseFlavor, parseRules, type Flavor, type TagRule} from './tag-rules.js'
import type {ComputedTag, TagContext, TagPlan} from './tag-types.js'
import {isPrereleaseVersion, parsePep440, parseSemver} from './versions.js'

/**
 * The tag engine: docker/metadata-action's rule language (`tags`, `flavor`) evaluated against the
 * facts of one run. Decisions where we differ from metadata-action are marked "Differs:".
 */

const DEFAULT_SHORT_SHA_LENGTH = 7

/** The run as the rules see it, after the event-specific adjustments. */
interface EventFacts {
  eventName: string
  ref: string
  sha: string
  shortSha: string
  branch: string
  /** Tag name as in the ref (may contain `/`). */
  tag: string
  /** `42` for `refs/pull/42/merge`. */
  pullRequest: string
  defaultBranch?: string
  payload: Record<string, unknown>
  commitDate?: Date
  now: Date
}

/** What one rule produced, before prefix/suffix and sanitising. */
interface RuleOutput {
  value: string
  /** Whether `latest=auto` adds latest when this is the first rule that produced a tag. */
  latestAuto: boolean
  moving: boolean
  /** The version `latest` would stand for, for the latest guard. */
  latestVersion?: string
  /** A raw rule whose value is `latest`. */
  isLatest?: boolean
  /** The value is a branch name: anyone who may push a branch chose it. */
  fromBranch?: boolean
}

class Evaluation {
  readonly warnings: string[] = []
  private warnedDefaultBranch = false
  private warnedCommitDate = false

  constructor(
    readonly facts: EventFacts,
    readonly flavor: Flavor,
  ) {}

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message)
  }

  isDefaultBranch(): boolean {
    const {facts} = this
    if (!facts.branch) {
      // schedule (and issue/discussion) runs are always on the default branch's last commit.
      return (
        /^(schedule|issues|issue_comment|discussion|discussion_comment)$/.test(facts.eventName) &&
        !facts.ref
      )
    }
    if (facts.defaultBranch === undefined) {
      if (/^(schedule|issues|issue_comment|discussion|discussion_comment)$/.test(facts.eventName))
        return true
      if (!this.warnedDefaultBranch) {
        this.warnedDefaultBranch = true
        this.warn(
          `the repository's default branch is unknown (the GitHub API look-up failed and the event payload has no repository.default_branch), so {{is_default_branch}} is false, {{is_not_default_branch}} is true and no default-branch tag (latest, edge) is made for '${facts.branch}'. Give the step a github-token that can read the repository.`,
        )
      }
      return false
    }
    return facts.branch === facts.defaultBranch
  }

  private dateHelper(date: () => Date, name: string): ExpressionScope[string] {
    return (args, hash) => {
      let timeZone = 'UTC'
      for (const [key, value] of Object.entries(hash)) {
        if (key !== 'tz')
          throw new ExpressionError(`unknown attribute '${key}' in {{${name}}}; only tz= is known`)
        timeZone = value
      }
      if (!isKnownTimeZone(timeZone)) {
        throw new ExpressionError(
          `unknown time zone '${timeZone}' in {{${name}}}; use an IANA name such as Europe/Berlin`,
        )
      }
      return formatDate(date(), args[0], timeZone)
    }
  }

  /** metadata-action's global expressions, for prefix, suffix, value, enable and patterns. */
  globalScope(): ExpressionScope {
    const {facts} = this
    return {
      branch: () => facts.branch,
      tag: () => facts.tag,
      sha: () => facts.shortSha,
      base_ref: () => {
        const payload = facts.payload as {
          base_ref?: unknown
          pull_request?: {base?: {ref?: unknown}}
        }
        if (facts.tag && typeof payload.base_ref === 'string')
          return payload.base_ref.replace(/^refs\/heads\//, '')
        if (facts.pullRequest && typeof payload.pull_request?.base?.ref === 'string')
          return payload.pull_request.base.ref
        return ''
      },
      is_default_branch: () => String(this.isDefaultBranch()),
      is_not_default_branch: () => String(!this.isDefaultBranch()),
      date: this.dateHelper(() => facts.now, 'date'),
      commit_date: this.dateHelper(() => {
        if (facts.commitDate) return facts.commitDate
        if (!this.warnedCommitDate) {
          this.warnedCommitDate = true
          this.warn(
            'the commit date is unknown (not in the event payload, GitHub API look-up failed); {{commit_date}} uses the current time instead.',
          )
        }
        return facts.now
      }, 'commit_date'),
    }
  }

  render(template: string, rule: TagRule | undefined, extra: ExpressionScope = {}): string {
    try {
      return renderTemplate(template, {...this.globalScope(), ...extra})
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err
      if (!rule) {
        throw new InputError(
          'flavor',
          template,
          'Use the expressions listed above.',
          `input 'flavor' has an unusable expression in '${template}': ${err.message}`,
        )
      }
      throw new InputError(
        'tags',
        rule.line,
        'Use the expressions listed above, with quoted arguments.',
        `input 'tags' has an unusable expression in rule '${rule.line}': ${err.message}`,
      )
    }
  }

  enabled(rule: TagRule): boolean {
    const value = this.render(rule.attrs.enable, rule).trim()
    if (!/^(true|false)$/i.test(value)) {
      throw new InputError(
        'tags',
        rule.line,
        'enable= takes true or false, or an expression that gives one, such as {{is_default_branch}} or {{is_not_default_branch}}.',
        `input 'tags' has an unusable rule '${rule.line}': enable is '${value}', not true or false`,
      )
    }
    return value.toLowerCase() === 'true'
  }

  /** Adds the rule's prefix and suffix, or else the flavor's (metadata-action's precedence). */
  decorate(value: string, rule: TagRule): string {
    const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(rule.attrs, key)
    const prefix = has('prefix')
      ? this.render(rule.attrs.prefix, rule)
      : this.render(this.flavor.prefix, undefined)
    const suffix = has('suffix')
      ? this.render(rule.attrs.suffix, rule)
      : this.render(this.flavor.suffix, undefined)
    return `${prefix}${value}${suffix}`
  }
}

function payloadField(payload: Record<string, unknown>, ...path: string[]): unknown {
  let current: unknown = payload
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** Event-specific facts, as metadata-action derives them from the GitHub context. */
function eventFacts(context: TagContext): {facts: EventFacts; warnings: string[]} {
  const warnings: string[] = []
  const {payload} = context
  let ref = context.ref
  let sha = context.sha
  const isPullRequest = /^pull_request/.test(context.eventName)
  const prNumber =
    payloadField(payload, 'number') ?? payloadField(payload, 'pull_request', 'number')
  // pull_request_target runs on the base branch's ref; metadata-action names the PR instead.
  if (context.eventName === 'pull_request_target' && prNumber !== undefined) {
    ref = `refs/pull/${String(prNumber)}/merge`
  }
  const releaseTag = payloadField(payload, 'release', 'tag_name')
  if (
    context.eventName === 'release' &&
    !ref.startsWith('refs/tags/') &&
    typeof releaseTag === 'string' &&
    releaseTag
  ) {
    ref = `refs/tags/${releaseTag}`
  }
  if (isPullRequest && context.prHeadSha) {
    const headSha = payloadField(payload, 'pull_request', 'head', 'sha')
    if (typeof headSha === 'string' && headSha) sha = headSha
    else
      warnings.push(
        `the ${context.eventName} payload has no pull_request.head.sha; tags use the merge commit ${sha.slice(0, 7) || '(none)'}.`,
      )
  }
  const length = context.shortShaLength ?? DEFAULT_SHORT_SHA_LENGTH
  const payloadDefault = payloadField(payload, 'repository', 'default_branch')
  const strip = (prefix: string): string => (ref.startsWith(prefix) ? ref.slice(prefix.length) : '')
  const facts: EventFacts = {
    eventName: context.eventName,
    ref,
    sha,
    shortSha: sha.slice(0, length),
    branch: strip('refs/heads/'),
    tag: strip('refs/tags/'),
    pullRequest: strip('refs/pull/').replace(/\/(merge|head)$/, ''),
    // Differs: metadata-action reads only the payload; we prefer the API's answer.
    defaultBranch:
      context.defaultBranch ??
      (typeof payloadDefault === 'string' && payloadDefault ? payloadDefault : undefined),
    payload,
    commitDate: context.commitDate,
    now: context.now,
  }
  if (!ref)
    warnings.push(
      `the ${context.eventName || 'unknown'} event has no ref; only type=sha and type=raw rules can make tags.`,
    )
  return {facts, warnings}
}

/** Full-version patterns are immutable; anything else made from a version moves with releases. */
function isFullVersionPattern(pattern: string): boolean {
  return expressionNames(pattern).some(
    (name) => name === 'version' || name === 'raw' || name === 'patch',
  )
}

/**
 * What a semver or pep440 rule parses: value= (rendered) or the tag with `/` as `-`, narrowed by
 * match= to its group. When match= does not match, the text is parsed as it is (as in
 * metadata-action); a group the match lacks makes no tag. Undefined: no tag.
 */
function versionSource(evaluation: Evaluation, rule: TagRule): string | undefined {
  const {facts} = evaluation
  if (!facts.tag && rule.attrs.value === '') return undefined
  const text =
    rule.attrs.value !== ''
      ? evaluation.render(rule.attrs.value, rule)
      : facts.tag.replace(/\//g, '-')
  if (!rule.attrs.match) return text
  const found = matchRegExp(rule.attrs.match).exec(text)
  if (!found) {
    evaluation.warn(
      `match '${rule.attrs.match}' does not match '${text}', so rule '${rule.line}' parses '${text}' as it is.`,
    )
    return text
  }
  const group = Number(rule.attrs.group)
  if (found[group] === undefined) {
    evaluation.warn(
      group < found.length
        ? `group ${group} of match '${rule.attrs.match}' captured nothing in '${text}', so rule '${rule.line}' made no tag.`
        : `group ${group} does not exist in match '${rule.attrs.match}', so rule '${rule.line}' made no tag.`,
    )
    return undefined
  }
  return found[group]
}

function processSemver(evaluation: Evaluation, rule: TagRule): RuleOutput | undefined {
  const source = versionSource(evaluation, rule)
  if (source === undefined) return undefined
  const version = parseSemver(source)
  if (!version) {
    if (!rule.switches.quiet)
      evaluation.warn(
        `'${source}' is not a valid semver (https://semver.org), so rule '${rule.line}' made no tag.`,
      )
    return undefined
  }
  if (rule.switches.skipMajorZero && version.major === 0) return undefined
  const scope: ExpressionScope = {
    version: () => version.version,
    major: () => String(version.major),
    minor: () => String(version.minor),
    patch: () => String(version.patch),
    raw: () => version.raw,
  }
  if (version.prerelease.length > 0) {
    // metadata-action: a prerelease only ever gets {{version}} (or {{raw}}), never 1.3 or 1.
    const value = evaluation.render(
      isRawStatement(rule.attrs.pattern) ? rule.attrs.pattern : '{{version}}',
      rule,
      scope,
    )
    return {value, latestAuto: false, moving: false}
  }
  return {
    value: evaluation.render(rule.attrs.pattern, rule, scope),
    latestAuto: true,
    moving: !isFullVersionPattern(rule.attrs.pattern),
    latestVersion: version.version,
  }
}

function processPep440(evaluation: Evaluation, rule: TagRule): RuleOutput | undefined {
  const source = versionSource(evaluation, rule)
  if (source === undefined) return undefined
  const version = parsePep440(source)
  if (!version) {
    evaluation.warn(
      `'${source}' does not conform to PEP 440 (https://peps.python.org/pep-0440/), so rule '${rule.line}' made no tag.`,
    )
    return undefined
  }
  if (version.isPrerelease || version.isPostrelease) {
    // metadata-action treats pre-, post- and dev releases alike: the full version only, no latest.
    return {
      value: isRawStatement(rule.attrs.pattern) ? version.raw : version.version,
      latestAuto: false,
      moving: false,
    }
  }
  const scope: ExpressionScope = {
    version: () => version.version,
    major: () => String(version.release[0]),
    minor: () => String(version.release[1] ?? 0),
    patch: () => String(version.release[2] ?? 0),
    raw: () => version.raw,
  }
  return {
    value: evaluation.render(rule.attrs.pattern, rule, scope),
    latestAuto: true,
    moving: !isFullVersionPattern(rule.attrs.pattern),
    latestVersion: version.version,
  }
}

function processMatch(evaluation: Evaluation, rule: TagRule): RuleOutput | undefined {
  const {facts} = evaluation
  if (!facts.tag && rule.attrs.value === '') return undefined
  const source = rule.attrs.value !== '' ? evaluation.render(rule.attrs.value, rule) : facts.tag
  const match = source.match(matchRegExp(rule.attrs.pattern))
  if (!match) {
    evaluation.warn(
      `pattern '${rule.attrs.pattern}' does not match '${source}', so rule '${rule.line}' made no tag.`,
    )
    return undefined
  }
  const value = match[Number(rule.attrs.group)]
  if (value === undefined) {
    evaluation.warn(
      `group ${rule.attrs.group} does not exist in pattern '${rule.attrs.pattern}' for '${source}', so rule '${rule.line}' made no tag.`,
    )
    return undefined
  }
  // Differs: metadata-action gives latest for any match; a prerelease never moves latest here.
  const prerelease = isPrereleaseVersion(source) || isPrereleaseVersion(value)
  const semver = parseSemver(value)
  const full = semver !== undefined || value === source || `v${value}` === source
  return {value, latestAuto: !prerelease, moving: !full, latestVersion: semver?.version}
}

function processRule(evaluation: Evaluation, rule: TagRule): RuleOutput | undefined {
  const {facts} = evaluation
  switch (rule.type) {
    case 'schedule': {
      if (facts.eventName !== 'schedule') return undefined
      const usesDate = expressionNames(rule.attrs.pattern).some(
        (name) => name === 'date' || name === 'commit_date',
      )
      return {
        value: evaluation.render(rule.attrs.pattern, rule),
        latestAuto: false,
        moving: !usesDate,
      }
    }
    case 'semver':
      return processSemver(evaluation, rule)
    case 'pep440':
      return processPep440(evaluation, rule)
    case 'match':
      return processMatch(evaluation, rule)
    case 'edge': {
      if (!facts.branch) return undefined
      const edgeBranch = rule.attrs.branch || facts.defaultBranch
      if (edgeBranch === undefined) {
        evaluation.isDefaultBranch() // records the warning
        return undefined
      }
      if (edgeBranch !== facts.branch) return undefined
      return {value: 'edge', latestAuto: false, moving: true}
    }
    case 'ref':
      switch (rule.attrs.event) {
        case 'branch':
          if (!facts.branch) return undefined
          return {
            value: facts.branch,
            latestAuto: rule.switches.latest === 'default-branch' && evaluation.isDefaultBranch(),
            moving: true,
            fromBranch: true,
          }
        case 'tag': {
          if (!facts.tag) return undefined
          if (rule.switches.onlyNonSemverTag && parseSemver(facts.tag)) return undefined
          // Differs: metadata-action's latest=auto gives latest for every tag, prereleases included.
          const latestAuto = rule.switches.latest !== 'never' && !isPrereleaseVersion(facts.tag)
          return {
            value: facts.tag,
            latestAuto,
            moving: false,
            latestVersion: parseSemver(facts.tag)?.version,
          }
        }
        default:
          if (!facts.pullRequest) return undefined
          return {value: facts.pullRequest, latestAuto: false, moving: false}
      }
    case 'raw': {
      const value = evaluation.render(rule.attrs.value, rule)
      // Raw values move: we can't tell `stable` (meant to move) from `v2-final`, and the moving
      // path is the safe one (applied only once every image of the run is pushed). moving=false
      // on the rule marks a raw tag as immutable.
      return {value, latestAuto: false, moving: true, isLatest: value === 'latest'}
    }
    case 'sha':
      if (!facts.sha) return undefined
      return {
        value: rule.attrs.format === 'long' ? facts.sha : facts.shortSha,
        latestAuto: false,
        moving: false,
      }
  }
}

/**
 * Computes the tags of one run from the `tags` rule lines and `flavor` lines (metadata-action
 * syntax; blank lines and `#` comments are ignored; no rules means our defaults). Throws
 * InputError for a rule or flavor that cannot be used. An empty `tags` list is a valid answer.
 */
export function computeTags(rules: string[], flavor: string[], context: TagContext): TagPlan {
  const parsedRules = parseRules(rules)
  const parsedFlavor = parseFlavor(flavor)
  const {facts, warnings} = eventFacts(context)
  const evaluation = new Evaluation(facts, parsedFlavor)
  warnings.forEach((warning) => evaluation.warn(warning))

  const tags: ComputedTag[] = []
  let latest: boolean | undefined
  let latestVersion: string | undefined
  for (const rule of parsedRules) {
    if (!evaluation.enabled(rule)) continue
    const output = processRule(evaluation, rule)
    if (!output || output.value === '') continue
    const decorated = evaluation.decorate(output.value, rule)
    const name = sanitizeTag(decorated)
    if (name === '') {
      evaluation.warn(
        `rule '${rule.line}' gave '${decorated}', which has nothing usable in a tag, so it made no tag.`,
      )
      continue
    }
    if (output.fromBranch && releaseLike(name)) {
      // Differs from metadata-action: whoever may push a branch must not be able to move
      // `latest` or overwrite a release (a branch named `1.2.3`, which a cleanup then keeps).
      evaluation.warn(
        `rule '${rule.line}': the branch '${facts.branch}' would make the tag '${name}', which names a release, so it made no tag. Rename the branch, or give branch tags a prefix (type=ref,event=branch,prefix=branch-).`,
      )
      continue
    }
    if (latest === undefined) {
      // metadata-action: the first rule that makes a tag decides latest (it also sets `version`).
      latest = parsedFlavor.latest === 'auto' ? output.latestAuto : parsedFlavor.latest === 'true'
      latestVersion = parsedFlavor.latest === 'auto' ? output.latestVersion : undefined
    }
    const moving =
      rule.attrs.moving !== undefined ? rule.attrs.moving.toLowerCase() === 'true' : output.moving
    addTag(tags, {
      name,
      moving: moving || Boolean(output.isLatest),
      isLatest: Boolean(output.isLatest),
      rule: rule.line,
    })
  }
  const version = tags[0]?.name ?? ''
  if (latest) {
    const prefix = parsedFlavor.prefixOnLatest
      ? evaluation.render(parsedFlavor.prefix, undefined)
      : ''
    const suffix = parsedFlavor.suffixOnLatest
      ? evaluation.render(parsedFlavor.suffix, undefined)
      : ''
    addTag(tags, {
      name: sanitizeTag(`${prefix}latest${suffix}`),
      moving: true,
      isLatest: true,
      rule: 'flavor: latest',
    })
  }
  return {
    tags,
    version,
    warnings: evaluation.warnings,
    revision: facts.sha,
    latestVersion: latest ? latestVersion : undefined,
  }
}

/** `latest`, or a name that parses as a release version (`1.2.3`, `v2.0.0-rc.1`). */
function releaseLike(name: string): boolean {
  return name === 'latest' || parseSemver(name) !== undefined
}

/** Adds a tag once; when two rules make the same name, moving wins (the safer release order). */
function addTag(tags: ComputedTag[], tag: ComputedTag): void {
  const existing = tags.find((candidate) => candidate.name === tag.name)
  if (!existing) {
    tags.push(tag)
    return
  }
  existing.moving ||= tag.moving
  existing.isLatest ||= tag.isLatest
}
