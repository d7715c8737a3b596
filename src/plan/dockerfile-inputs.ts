import {parseImageReference} from './image-reference.js'

/** What a Dockerfile takes from outside the build context, for a key over the build. */
export interface DockerfileInputs {
  /**
   * Base image references of the stages that make the target (or the last stage), after ARG
   * substitution, in order, deduplicated; stages built FROM an earlier stage, and `scratch`, are
   * left out. Images used by `COPY --from` and `RUN --mount=from=` count as base images too.
   */
  baseImages: string[]
  /** Why a key over these inputs cannot be trusted; empty when it can. */
  doubts: string[]
}

const INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
])
/** Only these take heredocs (`<<EOF`). */
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD'])
const DIRECTIVES = new Set(['syntax', 'escape', 'check'])

interface Instruction {
  keyword: string
  /** Everything after the keyword, continuation lines joined. */
  rest: string
  /** 1-based line the instruction starts on. */
  line: number
}

interface Stage {
  index: number
  /** Lower case, as stage names compare. */
  name?: string
  line: number
  /** The FROM reference after substitution. */
  base: string
  /** The earlier stage it is built FROM, when it is. */
  fromStage?: number
  /** Stages it copies or mounts from. */
  needs: Set<number>
  /** External images, in order: its base (unless a stage or scratch), then COPY/mount sources. */
  images: string[]
  doubts: string[]
}

/** Variables in scope: undefined is declared without a value (docker substitutes nothing). */
type Scope = Map<string, string | undefined>

/**
 * Reads the stages of a Dockerfile and what they take from outside the context. `buildArgs`
 * override ARG defaults (build args that no ARG declares are not used, as in docker, except the
 * automatic platform ones such as TARGETARCH, which are in scope when given).
 */
export function dockerfileInputs(
  text: string,
  buildArgs: Record<string, string>,
  target?: string,
): DockerfileInputs {
  const {instructions, escape, doubts} = splitInstructions(text)
  const globals: Scope = new Map()
  for (const [name, value] of Object.entries(buildArgs))
    if (PLATFORM_ARGS.has(name)) globals.set(name, value)
  const stages: StageWithScope[] = []
  for (const instruction of instructions) {
    const {keyword, rest, line} = instruction
    const stage = stages.at(-1)
    if (keyword === 'FROM') {
      stages.push(readFrom(rest, line, stages, globals, escape))
      continue
    }
    if (!stage) {
      if (keyword === 'ARG') declareArgs(rest, globals, globals, buildArgs, escape, true)
      else doubts.push(`line ${line}: ${keyword} before the first FROM`)
      continue
    }
    if (keyword === 'ARG') declareArgs(rest, stage.scope, globals, buildArgs, escape, false)
    else if (keyword === 'ENV') setEnv(rest, stage.scope, escape)
    else if (keyword === 'COPY' || keyword === 'ADD') readCopy(instruction, stage, stages, escape)
    else if (keyword === 'RUN') readMounts(instruction, stage, stages, escape)
  }
  if (stages.length === 0)
    return {baseImages: [], doubts: [...doubts, 'the Dockerfile has no FROM']}

  let last = stages[stages.length - 1]
  if (target !== undefined && target !== '') {
    const named = stages.find((stage) => stage.name === target.toLowerCase())
    if (!named) {
      const namedStages = stages.filter((stage) => stage.name !== undefined).length
      return {
        baseImages: [],
        doubts: [
          ...doubts,
          `target '${target}' names no stage of the Dockerfile (${namedStages === 0 ? 'no stage has a name' : `none of its ${namedStages} named stages`})`,
        ],
      }
    }
    last = named
  }
  const needed = new Set<number>()
  const visit = (index: number): void => {
    if (needed.has(index)) return
    needed.add(index)
    const stage = stages[index]
    if (stage.fromStage !== undefined) visit(stage.fromStage)
    for (const other of stage.needs) visit(other)
  }
  visit(last.index)
  const baseImages: string[] = []
  for (const stage of stages) {
    if (!needed.has(stage.index)) continue
    for (const image of stage.images) if (!baseImages.includes(image)) baseImages.push(image)
    doubts.push(...stage.doubts)
  }
  return {baseImages, doubts}
}

/** The automatic platform args: in scope in FROM lines without an ARG, when the caller knows them. */
const PLATFORM_ARGS = new Set([
  'BUILDPLATFORM',
  'BUILDOS',
  'BUILDARCH',
  'BUILDVARIANT',
  'TARGETPLATFORM',
  'TARGETOS',
  'TARGETARCH',
  'TARGETVARIANT',
])

type StageWithScope = Stage & {scope: Scope}

function readFrom(
  rest: string,
  line: number,
  stages: Stage[],
  globals: Scope,
  escape: string,
): StageWithScope {
  const words = rest.split(/\s+/).filter((word) => word !== '')
  while (words[0]?.startsWith('--')) words.shift()
  const stage: StageWithScope = {
    index: stages.length,
    line,
    base: '',
    needs: new Set(),
    images: [],
    doubts: [],
    scope: new Map(),
  }
  const [reference, as, name, ...extra] = words
  if (as !== undefined) {
    if (as.toLowerCase() !== 'as' || !name || extra.length > 0)
      stage.doubts.push(`line ${line}: FROM has more words than "FROM image [AS name]"`)
    else stage.name = name.toLowerCase()
  }
  if (reference === undefined) {
    stage.doubts.push(`line ${line}: FROM without an image`)
    return stage
  }
  const {text, unresolved} = expand(reference, globals, escape)
  stage.base = text
  const earlier = stages.find(
    (other) => other.name !== undefined && other.name === text.toLowerCase(),
  )
  if (earlier) {
    stage.fromStage = earlier.index
    return stage
  }
  if (text.toLowerCase() === 'scratch') return stage
  const problem = referenceProblem(text, unresolved)
  if (problem) stage.doubts.push(`line ${line}: FROM: ${problem}`)
  else stage.images.push(text)
  return stage
}

/**
 * Why an image reference cannot be used in a key; undefined when it can. Like every doubt, it
 * quotes nothing of the Dockerfile (which may be any file the checkout links to): the line
 * number says where to look.
 */
function referenceProblem(text: string, unresolved: string[]): string | undefined {
  if (unresolved.length > 0)
    return `the image still has ${unresolved.length > 1 ? `${unresolved.length} variables` : 'a variable'} no ARG declares after substitution: declare ${unresolved.length > 1 ? 'them' : 'it'} with ARG before the first FROM, or pass a build arg`
  if (text === '')
    return 'the image is empty after substitution: give the ARG a default or pass a build arg'
  if (text.includes('$')) return "the image still has a '$' after substitution"
  if (!parseImageReference(text))
    return 'the image is not a valid image reference after substitution'
  return undefined
}

function declareArgs(
  rest: string,
  scope: Scope,
  globals: Scope,
  buildArgs: Record<string, string>,
  escape: string,
  global: boolean,
): void {
  for (const word of splitWords(rest)) {
    const equals = word.indexOf('=')
    const name = equals < 0 ? word : word.slice(0, equals)
    if (Object.hasOwn(buildArgs, name)) {
      scope.set(name, buildArgs[name])
    } else if (equals >= 0) {
      scope.set(name, expand(word.slice(equals + 1), scope, escape).text)
    } else {
      // Inside a stage, `ARG NAME` brings a global's value into the stage.
      scope.set(name, global ? undefined : globals.get(name))
    }
  }
}

function setEnv(rest: string, scope: Scope, escape: string): void {
  const words = splitWords(rest)
  if (words.length > 0 && !words[0].includes('=')) {
    // The old `ENV NAME value with spaces` form.
    const [name] = words
    scope.set(name, expand(rest.trim().slice(name.length).trim(), scope, escape).text)
    return
  }
  for (const word of words) {
    const equals = word.indexOf('=')
    if (equals > 0)
      scope.set(word.slice(0, equals), expand(word.slice(equals + 1), scope, escape).text)
  }
}

/** A `--from=` (COPY) or `from=` (RUN --mount): an earlier stage by name or index, else an image. */
function readSource(
  raw: string,
  line: number,
  what: string,
  stage: StageWithScope,
  stages: Stage[],
  escape: string,
): void {
  const {text, unresolved} = expand(raw, stage.scope, escape)
  if (/^\d+$/.test(text)) {
    const index = Number(text)
    if (index < stage.index) stage.needs.add(index)
    else
      stage.doubts.push(`line ${line}: ${what} names a stage by number that is not an earlier one`)
    return
  }
  const named = stages.find(
    (other) => other.name !== undefined && other.name === text.toLowerCase(),
  )
  if (named && named.index !== stage.index) {
    stage.needs.add(named.index)
    return
  }
  const problem = referenceProblem(text, unresolved)
  if (problem) stage.doubts.push(`line ${line}: ${what}: ${problem}`)
  else stage.images.push(text)
}

function readCopy(
  instruction: Instruction,
  stage: StageWithScope,
  stages: Stage[],
  escape: string,
): void {
  const {keyword, rest, line} = instruction
  const words = splitWords(rest)
  const flags = new Map<string, string>()
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() as string
    const equals = flag.indexOf('=')
    flags.set(
      equals < 0 ? flag.slice(2) : flag.slice(2, equals),
      equals < 0 ? '' : flag.slice(equals + 1),
    )
  }
  const from = flags.get('from')
  if (from !== undefined) readSource(from, line, `${keyword} --from`, stage, stages, escape)
  if (keyword !== 'ADD' || from !== undefined) return
  let sources = words.slice(0, -1)
  const remainder = rest.slice(rest.indexOf(words[0] ?? '')).trim()
  if (remainder.startsWith('[')) {
    try {
      const list = JSON.parse(remainder) as unknown
      if (Array.isArray(list)) sources = list.slice(0, -1).map(String)
    } catch {
      // not the JSON form after all: the words stand
    }
  }
  for (const source of sources) {
    const url = expand(source, stage.scope, escape).text
    if (isGitUrl(url)) {
      if (!/#[0-9a-f]{40}(?::|$)/.test(url))
        stage.doubts.push(
          `line ${line}: ADD of a git repository without a full commit fetches what can change without the Dockerfile changing; name a full commit (#<40-hex sha>) or COPY it from the context`,
        )
    } else if (/^https?:\/\//i.test(url) && !flags.has('checksum')) {
      stage.doubts.push(
        `line ${line}: ADD of a URL without --checksum downloads content that can change without the Dockerfile changing; pin it with --checksum=sha256:… or COPY it from the context`,
      )
    }
  }
}

function isGitUrl(url: string): boolean {
  return (
    /^git@[^:]+:/.test(url) ||
    /^(git|ssh):\/\//i.test(url) ||
    /^https?:\/\/[^#]+\.git(?:#.*)?$/i.test(url) ||
    /^(?:https?:\/\/)?github\.com\/[^/]+\/[^/#]+(?:#.*)?$/i.test(url)
  )
}

function readMounts(
  instruction: Instruction,
  stage: StageWithScope,
  stages: Stage[],
  escape: string,
): void {
  for (const word of splitWords(instruction.rest)) {
    if (!word.startsWith('--')) break
    if (!word.startsWith('--mount=')) continue
    for (const field of word.slice('--mount='.length).split(',')) {
      const [key, value] = field.split('=', 2)
      if (key.trim().toLowerCase() === 'from' && value)
        readSource(value.trim(), instruction.line, 'RUN --mount from', stage, stages, escape)
    }
  }
}

/** Words split on white space, quotes kept together (and left in place). */
function splitWords(text: string): string[] {
  return text.match(/(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'[^']*')+/g) ?? []
}

/**
 * `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}` and `${NAME+word}`, with
 * quotes removed as docker removes them (nothing is expanded in single quotes) and the escape
 * character making the next one literal. A variable no ARG or ENV declared stays as written and
 * is named in `unresolved`.
 */
export function expand(
  word: string,
  scope: Scope,
  escape = '\\',
): {text: string; unresolved: string[]} {
  const unresolved: string[] = []
  let text = ''
  let quote: '"' | "'" | undefined
  for (let index = 0; index < word.length; index++) {
    const char = word[index]
    if (quote === "'") {
      if (char === "'") quote = undefined
      else text += char
      continue
    }
    if (char === escape && index + 1 < word.length) {
      text += word[++index]
      continue
    }
    if ((char === '"' || char === "'") && quote === undefined) {
      quote = char
      continue
    }
    if (char === '"' && quote === '"') {
      quote = undefined
      continue
    }
    if (char !== '$') {
      text += char
      continue
    }
    const braced = word[index + 1] === '{'
    if (braced) {
      const close = matchingBrace(word, index + 1)
      if (close < 0) {
        text += word.slice(index)
        unresolved.push(word.slice(index + 2))
        break
      }
      const body = word.slice(index + 2, close)
      index = close
      const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(body)
      if (!match) {
        text += `\${${body}}`
        unresolved.push(body)
        continue
      }
      const [, name, operator, alternative] = match
      const declared = scope.has(name)
      const value = scope.get(name)
      const set = operator?.startsWith(':') ? value !== undefined && value !== '' : declared
      if (operator === undefined) {
        if (declared) text += value ?? ''
        else {
          text += `\${${name}}`
          unresolved.push(name)
        }
      } else if (operator.endsWith('-')) {
        if (set) text += value ?? ''
        else {
          const inner = expand(alternative, scope, escape)
          text += inner.text
          unresolved.push(...inner.unresolved)
        }
      } else if (set) {
        const inner = expand(alternative, scope, escape)
        text += inner.text
        unresolved.push(...inner.unresolved)
      }
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(index + 1))?.[0]
    if (!name) {
      text += '$'
      continue
    }
    index += name.length
    if (scope.has(name)) text += scope.get(name) ?? ''
    else {
      text += `$${name}`
      unresolved.push(name)
    }
  }
  return {text, unresolved}
}

function matchingBrace(word: string, open: number): number {
  let depth = 0
  for (let index = open; index < word.length; index++) {
    if (word[index] === '{') depth++
    else if (word[index] === '}' && --depth === 0) return index
  }
  return -1
}

/** The escape character docker reads this Dockerfile with: `\\`, or `` ` `` by an escape directive. */
export function escapeCharacter(text: string): string {
  return splitInstructions(text).escape
}

/**
 * Instructions with parser directives read, comments and blank lines dropped, continuation lines
 * joined and heredoc bodies skipped (they live in the Dockerfile, which is hashed whole).
 */
function splitInstructions(text: string): {
  instructions: Instruction[]
  escape: string
  doubts: string[]
} {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const doubts: string[] = []
  let escape = '\\'
  let index = 0
  // Directives only at the very top: the first other line (even a blank one) ends them.
  for (; index < lines.length; index++) {
    const directive = /^#\s*([A-Za-z][\w-]*)\s*=\s*(.*?)\s*$/.exec(lines[index])
    if (!directive || !DIRECTIVES.has(directive[1].toLowerCase())) break
    if (directive[1].toLowerCase() === 'escape') {
      if (directive[2] !== '\\' && directive[2] !== '`') {
        doubts.push(
          `line ${index + 1}: an escape directive that is neither \\ nor \` (docker takes only those)`,
        )
      } else escape = directive[2]
    }
  }
  const instructions: Instruction[] = []
  let pending = ''
  let start = 0
  for (; index < lines.length; index++) {
    const line = lines[index]
    if (/^\s*#/.test(line) || (line.trim() === '' && pending === '')) continue
    if (line.trim() === '') continue // a blank line inside a continuation is dropped
    if (pending === '') start = index + 1
    const trimmed = line.replace(/\s+$/, '')
    if (trimmed.endsWith(escape)) {
      pending += `${trimmed.slice(0, -1)} `
      continue
    }
    const logical = (pending + line).trim()
    pending = ''
    const match = /^(\S+)\s*([\s\S]*)$/.exec(logical)
    if (!match) continue
    const keyword = match[1].toUpperCase()
    if (!INSTRUCTIONS.has(keyword)) {
      doubts.push(unknownInstruction(start, match[1]))
      continue
    }
    instructions.push({keyword, rest: match[2], line: start})
    if (!HEREDOC_INSTRUCTIONS.has(keyword)) continue
    for (const heredoc of match[2].matchAll(/<<(-?)(["']?)([A-Za-z_][\w.-]*)\2/g)) {
      const [, strip, , terminator] = heredoc
      let end = index + 1
      while (
        end < lines.length &&
        (strip ? lines[end].replace(/^\t+/, '') : lines[end]) !== terminator
      )
        end++
      if (end >= lines.length) {
        doubts.push(`line ${start}: ${keyword} has a heredoc that is never closed`)
        return {instructions, escape, doubts}
      }
      index = end
    }
  }
  if (pending.trim() !== '')
    doubts.push(`line ${start}: the last instruction ends with a continuation '${escape}'`)
  return {instructions, escape, doubts}
}

/**
 * The doubt for a line that is no instruction: its number and its first word, and only a word
 * that could be an instruction (letters, at most 20). A file that is not a Dockerfile at all (a
 * key the checkout links to) has lines whose first word is the secret itself: those are counted,
 * never quoted.
 */
function unknownInstruction(line: number, word: string): string {
  return /^[A-Za-z]{1,20}$/.test(word)
    ? `line ${line}: ${word} is not a Dockerfile instruction`
    : `line ${line}: not a Dockerfile instruction (the line does not start with an instruction word)`
}
