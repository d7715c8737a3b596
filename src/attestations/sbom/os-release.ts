/**
 * os-release(5): `KEY=value` lines, values optionally in single or double quotes (double-quoted
 * ones may escape `\"`, `\\`, `\$` and `` \` ``). Only `ID=` is used: it names the distribution
 * in the purls of its packages (`pkg:deb/ubuntu/…`).
 */
import type {FileFindings} from './package-record.js'

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(["\\$`])/g, '$1')
  }
  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1)
  return value
}

export function parseOsRelease(text: string): FileFindings {
  for (const line of text.split(/\r?\n/)) {
    const field = /^\s*ID\s*=\s*(.*?)\s*$/.exec(line)
    if (!field) continue
    const id = unquote(field[1]).toLowerCase()
    // The spec allows a-z, 0-9, '.', '_' and '-' only; anything else is not a usable purl part.
    if (/^[a-z0-9._-]+$/.test(id)) return {packages: [], distroId: id}
    return {packages: [], note: `unusable ID ${JSON.stringify(id)}`}
  }
  return {packages: []}
}
