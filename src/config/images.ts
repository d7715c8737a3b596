import {parse as parseYaml} from 'yaml'
import {InputError} from '../errors.js'
import type {ImageSpec} from '../model/action-config.js'
import {parsePlatforms} from './parse-values.js'
import {buildArgNameProblem} from '../plan/builder-commands.js'

const ITEM_KEYS = [
  'name',
  'context',
  'file',
  'target',
  'build-args',
  'platforms',
  'labels',
] as const

/** Distribution's repository grammar: lowercase components separated by `/`. */
const REPOSITORY =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/

export interface ImageDefaults {
  platforms: string[]
}

/**
 * The `images` input: a YAML list whose items are `{name, context, …}`, `name: context`, or a bare
 * `name`; or plain lines of names. Everything is checked here, before anything is built.
 */
export function parseImages(raw: string, defaults: ImageDefaults): ImageSpec[] {
  const text = raw.trim()
  if (text === '') {
    throw new InputError(
      'images',
      '',
      'list at least one image, e.g. "images: my-app" or a YAML list of {name, context}',
    )
  }
  let items: unknown[]
  if (/^\s*-/.test(text) || text.startsWith('[') || text.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = parseYaml(text)
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0] : String(err)
      throw new InputError(
        'images',
        text,
        `it is not valid YAML (${reason}); write a YAML list, one "- name: …" per image`,
      )
    }
    if (!Array.isArray(parsed)) {
      const empty =
        parsed !== null && typeof parsed === 'object' && Object.keys(parsed).length === 0
      throw new InputError(
        'images',
        text,
        empty
          ? 'it is an empty YAML map: list at least one image, one "- name: …" per image'
          : 'write a YAML list, one "- name: …" per image',
      )
    }
    items = parsed
  } else {
    items = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
    for (const line of items as string[]) {
      if (/[:\s]/.test(line)) {
        throw new InputError(
          'images',
          line,
          'plain lines hold one image name each; for "name: context" use a YAML list item ("- name: ./context")',
        )
      }
    }
  }
  // `[]`, or a list whose every line is a comment: a release step that builds nothing is a trap.
  if (items.length === 0) {
    throw new InputError(
      'images',
      text,
      'it lists no image (an empty list, or only comments): list at least one, e.g. "- name: my-app"',
    )
  }
  const images = items.map((item, index) => parseItem(item, index, defaults))
  const seen = new Set<string>()
  for (const image of images) {
    if (seen.has(image.name)) {
      throw new InputError(
        'images',
        image.name,
        'two images have this name; give each image its own repository name',
      )
    }
    seen.add(image.name)
  }
  return images
}

function parseItem(item: unknown, index: number, defaults: ImageDefaults): ImageSpec {
  const where = `images[${index}]`
  if (typeof item === 'string') return withDefaults(checkName(item, where), {}, where, defaults)
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new InputError(
      'images',
      JSON.stringify(item),
      `${where} must be a name, "name: context", or a map with name and context`,
    )
  }
  const map = item as Record<string, unknown>
  const keys = Object.keys(map)
  if (!('name' in map) && keys.length === 1) {
    // Short form: `- todo-backend: ./backend`
    const [name] = keys
    const context = map[name]
    if (context !== null && typeof context !== 'string') {
      throw new InputError(
        'images',
        name,
        `${where}: in the short form "name: context" the context must be a path`,
      )
    }
    return withDefaults(checkName(name, where), {context: context ?? '.'}, where, defaults)
  }
  for (const key of keys) {
    if (!(ITEM_KEYS as readonly string[]).includes(key)) {
      const hint =
        key === 'dockerfile'
          ? ' (did you mean "file"?)'
          : key === 'build_args' || key === 'buildArgs' || key === 'args'
            ? ' (did you mean "build-args"?)'
            : ''
      throw new InputError(
        'images',
        key,
        `${where} has an unknown key '${key}'${hint}; allowed keys: ${ITEM_KEYS.join(', ')}`,
      )
    }
  }
  if (typeof map.name !== 'string')
    throw new InputError(
      'images',
      JSON.stringify(map),
      `${where} needs a "name" (the repository name)`,
    )
  return withDefaults(checkName(map.name, where), map, where, defaults)
}

function checkName(name: string, where: string): string {
  const trimmed = name.trim()
  if (!REPOSITORY.test(trimmed)) {
    const lower = trimmed.toLowerCase()
    const hint =
      lower !== trimmed && REPOSITORY.test(lower)
        ? `repository names must be lowercase: use '${lower}'`
        : 'use lowercase letters, digits and separators (. _ -), with / between path components, e.g. todo-backend or team/api'
    throw new InputError('images', trimmed, `${where}: ${hint}`)
  }
  return trimmed
}

function asString(value: unknown, field: string, where: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new InputError('images', JSON.stringify(value), `${where}.${field} must be a string`)
  }
  return String(value)
}

function stringMap(value: unknown, field: string, where: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  const result: Record<string, string> = {}
  if (Array.isArray(value)) {
    for (const entry of value) {
      const text = typeof entry === 'string' ? entry : ''
      const equals = text.indexOf('=')
      if (equals <= 0)
        throw new InputError(
          'images',
          JSON.stringify(entry),
          `${where}.${field}: list entries must be KEY=VALUE strings`,
        )
      result[text.slice(0, equals)] = text.slice(equals + 1)
    }
    return result
  }
  if (typeof value !== 'object') {
    throw new InputError(
      'images',
      JSON.stringify(value),
      `${where}.${field} must be a map (KEY: value) or a list of KEY=VALUE`,
    )
  }
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (entry !== null && typeof entry === 'object') {
      throw new InputError(
        'images',
        key,
        `${where}.${field}.${key} must be a plain value, not a ${Array.isArray(entry) ? 'list' : 'map'}`,
      )
    }
    result[key] = entry === null ? '' : String(entry)
  }
  return result
}

function withDefaults(
  name: string,
  map: Record<string, unknown>,
  where: string,
  defaults: ImageDefaults,
): ImageSpec {
  const context = normalisePath(asString(map.context, 'context', where) ?? '.')
  const file = asString(map.file, 'file', where)
  const platformsValue = map.platforms
  const platforms =
    platformsValue === undefined || platformsValue === null
      ? defaults.platforms
      : parsePlatforms(
          `images`,
          Array.isArray(platformsValue) ? platformsValue.join(',') : String(platformsValue),
        )
  const dockerfile = file === undefined ? joinPath(context, 'Dockerfile') : normalisePath(file)
  checkNotOption(name, where, 'context', context)
  checkNotOption(name, where, 'file', dockerfile)
  const buildArgs = stringMap(map['build-args'], 'build-args', where)
  for (const arg of Object.keys(buildArgs)) {
    const problem = buildArgNameProblem(arg)
    if (problem) {
      throw new InputError(
        'images',
        arg,
        `image '${name}': ${where}.build-args: the build arg ${arg} ${problem}; give it another name, in the Dockerfile's ARG and here (e.g. APP_${arg.replace(/^[^A-Za-z_]+|[^A-Za-z0-9_]/g, '')})`,
      )
    }
  }
  return {
    name,
    context,
    file: dockerfile,
    target: asString(map.target, 'target', where),
    buildArgs,
    platforms,
    labels: stringMap(map.labels, 'labels', where),
  }
}

/**
 * A context or Dockerfile path is the word after `--file`, or the last word, of a build: `-` is
 * stdin there, and `-…` an option (`--no-cache`).
 */
function checkNotOption(name: string, where: string, field: string, path: string): void {
  if (!path.startsWith('-')) return
  throw new InputError(
    'images',
    path,
    `image '${name}': ${where}.${field} starts with "-", which a builder reads as stdin ("-") or as an option, not as a path; name a ${field === 'context' ? 'directory' : 'file'} of the workspace, e.g. ./${path.replace(/^-+$/, 'dir')}`,
  )
}

function normalisePath(path: string): string {
  const trimmed = path.trim().replace(/\/+$/, '')
  return trimmed === '' ? '.' : trimmed
}

function joinPath(directory: string, file: string): string {
  return directory === '.' ? file : `${directory}/${file}`
}
