import {InputError} from '../../errors.js'
import {splitCsvLine, inputLines} from './csv-line.js'
import {unbalancedBraces} from './expressions.js'

/** Parsing of the `tags` and `flavor` inputs into typed rules (metadata-action's syntax). */

export const RULE_TYPES = [
  'schedule',
  'semver',
  'pep440',
  'match',
  'edge',
  'ref',
  'raw',
  'sha',
] as const
export type RuleType = (typeof RULE_TYPES)[number]

export const REF_EVENTS = ['branch', 'tag', 'pr'] as const

/** metadata-action's default priorities: the first tag of the highest one is the `version`. */
export const DEFAULT_PRIORITIES: Record<RuleType, number> = {
  schedule: 1000,
  semver: 900,
  pep440: 900,
  match: 800,
  edge: 700,
  ref: 600,
  raw: 200,
  sha: 100,
}

const COMMON_ATTRIBUTES = ['type', 'enable', 'priority', 'prefix', 'suffix', 'moving']
/** Attributes rendered as templates; type=match's pattern is a regular expression instead. */
const TEMPLATE_ATTRIBUTES = ['pattern', 'value', 'prefix', 'suffix', 'enable']
const BRACES_HINT =
  "Close each '{{' with '}}', as in {{major}}.{{minor}}, or remove the stray braces."
const TYPE_ATTRIBUTES: Record<RuleType, string[]> = {
  schedule: ['pattern'],
  semver: ['pattern', 'value', 'match', 'group'],
  pep440: ['pattern', 'value', 'match', 'group'],
  match: ['pattern', 'group', 'value'],
  edge: ['branch'],
  ref: ['event'],
  raw: ['value'],
  sha: ['format'],
}

/** Switches our default rules use; user rules never set them. */
export interface DefaultRuleSwitches {
  /** Skip the tag when the version's major is 0 (no `0` tag for 0.x releases). */
  skipMajorZero?: boolean
  /** Only for tags that are not a semver (those get the semver rules instead). */
  onlyNonSemverTag?: boolean
  /** `latest=auto` decision: `default-branch` adds latest on the default branch only. */
  latest?: 'never' | 'default-branch'
  /** Don't warn when the tag is not a semver (the default rules try semver on every tag). */
  quiet?: boolean
}

export interface TagRule {
  type: RuleType
  /** Attributes as written (keys lowercased, values trimmed), defaults filled in. */
  attrs: Record<string, string>
  priority: number
  /** The line as the user wrote it (or `default: …`), for messages and logs. */
  line: string
  switches: DefaultRuleSwitches
}

export interface Flavor {
  latest: 'auto' | 'true' | 'false'
  prefix: string
  prefixOnLatest: boolean
  suffix: string
  suffixOnLatest: boolean
}

function has(attrs: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(attrs, key)
}

function ruleError(line: string, problem: string, hint: string): InputError {
  return new InputError(
    'tags',
    line,
    hint,
    `input 'tags' has an unusable rule '${line}': ${problem}`,
  )
}

/** Parses one rule line, filling in metadata-action's defaults; throws InputError. */
export function parseRule(line: string): TagRule {
  const {type, attrs} = readRuleFields(line)
  checkAllowedAttributes(line, type, attrs)
  checkTemplateBraces(line, type, attrs)
  completeTypeAttributes(line, type, attrs)
  checkMoving(line, attrs)
  if (!has(attrs, 'enable')) attrs.enable = 'true'
  const priority = rulePriority(line, type, attrs)
  return {type, attrs, priority, line, switches: {}}
}

/** The type (default raw) and the other attributes of a line, keys lowercased, values trimmed. */
function readRuleFields(line: string): {type: RuleType; attrs: Record<string, string>} {
  let fields: string[]
  try {
    fields = splitCsvLine(line)
  } catch (err) {
    throw ruleError(
      line,
      (err as Error).message,
      'Close the double quote, or double it ("") inside a quoted field.',
    )
  }
  const attrs: Record<string, string> = {}
  let type: RuleType | undefined
  for (const field of fields) {
    if (field === '') continue
    const equals = field.indexOf('=')
    if (equals <= 0) {
      // metadata-action: a bare field is the value (`type=raw,foo` or just `foo`).
      attrs.value = field
      continue
    }
    const key = field.slice(0, equals).trim().toLowerCase()
    const value = field.slice(equals + 1).trim()
    if (key === 'type') type = ruleType(line, value)
    else attrs[key] = value
  }
  return {type: type ?? 'raw', attrs}
}

function ruleType(line: string, value: string): RuleType {
  const wanted = value.toLowerCase()
  if (!(RULE_TYPES as readonly string[]).includes(wanted)) {
    throw ruleError(
      line,
      `unknown type '${value}'`,
      `Use one of type=${RULE_TYPES.join(', type=')}.`,
    )
  }
  return wanted as RuleType
}

/** Every attribute is a common one or one of the type's own. */
function checkAllowedAttributes(line: string, type: RuleType, attrs: Record<string, string>): void {
  const allowed = [...COMMON_ATTRIBUTES, ...TYPE_ATTRIBUTES[type]]
  for (const key of Object.keys(attrs)) {
    if (!allowed.includes(key)) {
      const what =
        key === 'value' ? `a value without a name ('${attrs.value}')` : `unknown attribute '${key}'`
      throw ruleError(
        line,
        `${what} for type=${type}`,
        `type=${type} takes ${allowed.filter((name) => name !== 'type').join(', ')}.`,
      )
    }
  }
}

/** Each `{{` of a template attribute is closed (type=match's pattern is a regex, not checked). */
function checkTemplateBraces(line: string, type: RuleType, attrs: Record<string, string>): void {
  for (const key of TEMPLATE_ATTRIBUTES) {
    if (!has(attrs, key) || (type === 'match' && key === 'pattern')) continue
    const problem = unbalancedBraces(attrs[key])
    if (problem) throw ruleError(line, `in ${key}=, ${problem}`, BRACES_HINT)
  }
}

/** Checks the attributes the type requires and fills in its defaults. */
function completeTypeAttributes(line: string, type: RuleType, attrs: Record<string, string>): void {
  switch (type) {
    case 'schedule':
      if (!has(attrs, 'pattern')) attrs.pattern = 'nightly'
      return
    case 'semver':
    case 'pep440':
      completePatternRule(line, type, attrs)
      checkVersionMatch(line, type, attrs)
      return
    case 'match':
      completePatternRule(line, type, attrs)
      completeMatchRule(line, attrs)
      return
    case 'edge':
      if (!has(attrs, 'branch')) attrs.branch = ''
      return
    case 'ref':
      completeRefRule(line, attrs)
      return
    case 'raw':
      checkRawRule(line, attrs)
      return
    case 'sha':
      completeShaRule(line, attrs)
      return
  }
}

/** type=semver, type=pep440 and type=match: a pattern is required, value defaults to ''. */
function completePatternRule(line: string, type: RuleType, attrs: Record<string, string>): void {
  if (!has(attrs, 'pattern') || attrs.pattern === '') {
    throw ruleError(
      line,
      `type=${type} needs a pattern`,
      type === 'match'
        ? 'Add pattern=<regular expression>, e.g. pattern=v(\\d.\\d.\\d),group=1.'
        : 'Add pattern=, e.g. pattern={{version}} or pattern={{major}}.{{minor}}.',
    )
  }
  if (!has(attrs, 'value')) attrs.value = ''
}

/** type=match: group defaults to 0 (the whole match) and the pattern is a valid regex. */
function completeMatchRule(line: string, attrs: Record<string, string>): void {
  if (!has(attrs, 'group')) attrs.group = '0'
  if (!/^\d+$/.test(attrs.group)) {
    throw ruleError(
      line,
      `group '${attrs.group}' is not a number`,
      'Use group=0 for the whole match or group=<n> for the n-th capture group.',
    )
  }
  try {
    matchRegExp(attrs.pattern)
  } catch (err) {
    throw ruleError(
      line,
      `pattern is not a valid regular expression (${(err as Error).message})`,
      'Fix the pattern; quote the whole field ("pattern=…") when it contains commas.',
    )
  }
}

/** type=ref: a known event is required; event=pr's prefix defaults to `pr-`. */
function completeRefRule(line: string, attrs: Record<string, string>): void {
  if (!has(attrs, 'event') || !(REF_EVENTS as readonly string[]).includes(attrs.event)) {
    throw ruleError(
      line,
      has(attrs, 'event') ? `unknown event '${attrs.event}'` : 'type=ref needs an event',
      'Use event=branch, event=tag or event=pr.',
    )
  }
  if (attrs.event === 'pr' && !has(attrs, 'prefix')) attrs.prefix = 'pr-'
}

/** type=raw: a value is required. */
function checkRawRule(line: string, attrs: Record<string, string>): void {
  if (!has(attrs, 'value')) {
    throw ruleError(line, 'type=raw needs a value', 'Add value=<tag>, e.g. type=raw,value=stable.')
  }
}

/** type=sha: prefix defaults to `sha-`, format to short; format is short or long. */
function completeShaRule(line: string, attrs: Record<string, string>): void {
  if (!has(attrs, 'prefix')) attrs.prefix = 'sha-'
  if (!has(attrs, 'format')) attrs.format = 'short'
  if (!['short', 'long'].includes(attrs.format)) {
    throw ruleError(line, `unknown format '${attrs.format}'`, 'Use format=short or format=long.')
  }
}

/** Our `moving=` attribute, when written, is true or false. */
function checkMoving(line: string, attrs: Record<string, string>): void {
  if (has(attrs, 'moving') && !/^(true|false)$/i.test(attrs.moving)) {
    throw ruleError(
      line,
      `moving must be true or false, not '${attrs.moving}'`,
      'Use moving=true or moving=false.',
    )
  }
}

/** `priority=` as a whole number, else the type's default priority. */
function rulePriority(line: string, type: RuleType, attrs: Record<string, string>): number {
  if (!has(attrs, 'priority')) return DEFAULT_PRIORITIES[type]
  if (!/^-?\d+$/.test(attrs.priority)) {
    throw ruleError(
      line,
      `priority '${attrs.priority}' is not a whole number`,
      `Use a whole number; the default for type=${type} is ${DEFAULT_PRIORITIES[type]}.`,
    )
  }
  return Number(attrs.priority)
}

/** A match pattern is `/regex/flags` or a plain regular expression source. */
export function matchRegExp(pattern: string): RegExp {
  const literal = /^\/(.+)\/(.*)$/.exec(pattern)
  return literal ? new RegExp(literal[1], literal[2]) : new RegExp(pattern)
}

/** How many capture groups a regular expression has (an empty alternative always matches). */
export function captureGroupCount(regex: RegExp): number {
  return (new RegExp(`${regex.source}|`, regex.flags).exec('')?.length ?? 1) - 1
}

/**
 * `match=` and `group=` of type=semver and type=pep440: the expression picks the version out of
 * the tag (or value=) before it is parsed. Fills in the group: 1, or 0 for an expression without
 * a capture group.
 */
function checkVersionMatch(line: string, type: RuleType, attrs: Record<string, string>): void {
  if (!has(attrs, 'match')) attrs.match = ''
  if (attrs.match === '') {
    if (has(attrs, 'group')) {
      throw ruleError(
        line,
        'group= picks a group of match=, and there is no match=',
        `Add match=<regular expression>, e.g. type=${type},pattern={{version}},match=v(\\d.\\d.\\d)$,group=1, or drop group=.`,
      )
    }
    return
  }
  let regex: RegExp
  try {
    regex = matchRegExp(attrs.match)
  } catch (err) {
    throw ruleError(
      line,
      `match is not a valid regular expression (${(err as Error).message})`,
      'Fix the expression; quote the whole field ("match=…") when it contains commas.',
    )
  }
  // Differs: metadata-action always takes group 1, which an expression without groups lacks.
  if (!has(attrs, 'group')) attrs.group = captureGroupCount(regex) > 0 ? '1' : '0'
  if (!/^\d+$/.test(attrs.group)) {
    throw ruleError(
      line,
      `group '${attrs.group}' is not a number`,
      'Use group=0 for the whole match or group=<n> for the n-th capture group (default 1).',
    )
  }
}

/**
 * Our rules when `tags` is empty (the README's tag table). In metadata-action's syntax they are
 * roughly: type=schedule, type=semver for {{version}}, {{major}}.{{minor}} and {{major}} (not for
 * 0.x), type=ref for tags that are not semver, branches and PRs, type=sha; plus latest on the
 * default branch.
 */
export function defaultRules(): TagRule[] {
  const rule = (line: string, switches: DefaultRuleSwitches = {}): TagRule => ({
    ...parseRule(line),
    line: `default: ${line}`,
    switches,
  })
  return [
    rule('type=schedule'),
    rule('type=semver,pattern={{version}}', {quiet: true}),
    rule('type=semver,pattern={{major}}.{{minor}}', {quiet: true}),
    rule('type=semver,pattern={{major}}', {quiet: true, skipMajorZero: true}),
    rule('type=ref,event=tag', {onlyNonSemverTag: true, latest: 'never'}),
    rule('type=ref,event=branch', {latest: 'default-branch'}),
    rule('type=ref,event=pr'),
    rule('type=sha'),
  ]
}

/**
 * Parses the `tags` input (blank lines and `#` comments dropped) and sorts the rules by
 * priority, highest first, keeping the written order among equals. No rules: our defaults.
 */
export function parseRules(lines: readonly string[]): TagRule[] {
  const written = inputLines(lines)
  const rules = written.length === 0 ? defaultRules() : written.map(parseRule)
  return rules
    .map((rule, index) => ({rule, index}))
    .sort((left, right) => right.rule.priority - left.rule.priority || left.index - right.index)
    .map(({rule}) => rule)
}

/** Parses the `flavor` input; throws InputError naming the bad line. */
export function parseFlavor(lines: readonly string[]): Flavor {
  const flavor: Flavor = {
    latest: 'auto',
    prefix: '',
    prefixOnLatest: false,
    suffix: '',
    suffixOnLatest: false,
  }
  const flavorError = (line: string, problem: string, hint: string): InputError =>
    new InputError(
      'flavor',
      line,
      hint,
      `input 'flavor' has an unusable entry '${line}': ${problem}`,
    )
  for (const line of inputLines(lines)) {
    let fields: string[]
    try {
      fields = splitCsvLine(line)
    } catch (err) {
      throw flavorError(line, (err as Error).message, 'Close the double quote.')
    }
    let onLatestFor: 'prefix' | 'suffix' | undefined
    for (const field of fields) {
      if (field === '') continue
      const equals = field.indexOf('=')
      if (equals <= 0) {
        throw flavorError(
          line,
          `'${field}' is not key=value`,
          'Use latest=auto|true|false, prefix=<text>[,onlatest=true] or suffix=<text>[,onlatest=true].',
        )
      }
      const key = field.slice(0, equals).trim().toLowerCase()
      const value = field.slice(equals + 1).trim()
      switch (key) {
        case 'latest':
          if (!['auto', 'true', 'false'].includes(value.toLowerCase())) {
            throw flavorError(
              line,
              `latest must be auto, true or false, not '${value}'`,
              'Use latest=auto (default), latest=true or latest=false.',
            )
          }
          flavor.latest = value.toLowerCase() as Flavor['latest']
          break
        case 'prefix':
        case 'suffix': {
          const problem = unbalancedBraces(value)
          if (problem) throw flavorError(line, `in ${key}=, ${problem}`, BRACES_HINT)
          flavor[key] = value
          onLatestFor = key
          break
        }
        case 'onlatest': {
          if (!/^(true|false)$/i.test(value)) {
            throw flavorError(
              line,
              `onlatest must be true or false, not '${value}'`,
              'Use onlatest=true or onlatest=false.',
            )
          }
          if (!onLatestFor) {
            throw flavorError(
              line,
              'onlatest has no prefix or suffix before it',
              'Write it on the same line, after the one it is for: prefix=v,onlatest=true.',
            )
          }
          const on = value.toLowerCase() === 'true'
          if (onLatestFor === 'prefix') flavor.prefixOnLatest = on
          else flavor.suffixOnLatest = on
          break
        }
        default:
          throw flavorError(
            line,
            `unknown key '${key}'`,
            'Use latest=, prefix=, suffix= or onlatest=.',
          )
      }
    }
  }
  return flavor
}
