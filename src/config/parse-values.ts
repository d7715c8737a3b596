import {InputError} from '../errors.js'

/** Booleans accept only true/false (any case): a typo must not silently mean false. */
export function parseBoolean(input: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim()
  if (value === '') return fallback
  if (/^true$/i.test(value)) return true
  if (/^false$/i.test(value)) return false
  throw new InputError(input, value, `use true or false`)
}

export function parseWholeNumber(
  input: string,
  raw: string,
  fallback: number,
  minimum: number,
): number {
  const value = raw.trim()
  if (value === '') return fallback
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    throw new InputError(input, value, `use a whole number of at least ${minimum}`)
  }
  return Number(value)
}

export function parseChoice<T extends string>(
  input: string,
  raw: string,
  choices: readonly T[],
  fallback: T,
): T {
  const value = raw.trim()
  if (value === '') return fallback
  if (!choices.includes(value as T))
    throw new InputError(input, value, `use one of ${choices.join(', ')}`)
  return value as T
}

/** One entry per line, or comma separated; blank entries dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
}

/** Lines of `key=value`; `#` comments and blank lines ignored. */
export function parseKeyValueLines(input: string, raw: string): Record<string, string> {
  const result: Record<string, string> = {}
  for (const line of raw.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const equals = line.indexOf('=')
    if (equals <= 0) throw new InputError(input, line, 'write one key=value per line')
    result[line.slice(0, equals).trim()] = line.slice(equals + 1).trim()
  }
  return result
}

/** Platforms like linux/amd64 or linux/arm/v7; empty entries are errors, not skipped. */
export function parsePlatforms(input: string, raw: string): string[] {
  if (raw.trim() === '') return []
  const entries = raw.split(/[\n,]/).map((entry) => entry.trim())
  for (const entry of entries) {
    if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(entry)) {
      throw new InputError(
        input,
        raw.trim(),
        entry === ''
          ? 'remove the empty entry (a doubled or trailing comma)'
          : `'${entry}' is not a platform: write os/arch[/variant], e.g. linux/amd64,linux/arm64`,
      )
    }
  }
  return entries
}
