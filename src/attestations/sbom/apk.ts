/**
 * apk's database, `lib/apk/db/installed` (Alpine, Wolfi): one paragraph per installed package, of
 * `<letter>:<value>` lines (`P:` name, `V:` version, `A:` architecture), paragraphs separated by a
 * blank line.
 */
import type {FileFindings, PackageRecord} from './package-record.js'

const LINE = /^([A-Za-z]):(.*)$/

export function parseApkInstalled(text: string): FileFindings {
  const packages: PackageRecord[] = []
  let skipped = 0
  for (const block of text.split(/\r?\n[ \t]*\r?\n/)) {
    if (block.trim() === '') continue
    const fields = new Map<string, string>()
    let malformed = false
    for (const line of block.split(/\r?\n/)) {
      const field = LINE.exec(line)
      if (field) fields.set(field[1], field[2].trim())
      else if (line.trim() !== '') malformed = true
    }
    const name = fields.get('P')
    const version = fields.get('V')
    if (malformed || !name || !version || /\s/.test(name + version)) {
      skipped++
      continue
    }
    const arch = fields.get('A')
    packages.push({type: 'apk', name, version, ...(arch ? {arch} : {})})
  }
  const note =
    skipped > 0
      ? `${skipped} malformed paragraph(s) skipped (no P: or V:, or an unreadable line)`
      : undefined
  return {packages, ...(note ? {note} : {})}
}
