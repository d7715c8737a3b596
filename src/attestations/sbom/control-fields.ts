/**
 * Paragraphs of `Field: value` lines, as dpkg's status files (deb-control(5)) and the headers of
 * Python's METADATA (RFC 822 style) write them: a line starting with a space or a tab continues
 * the field above it, and a blank line ends the paragraph.
 */

export interface Paragraph {
  /** Fields by lower-cased name (field names are case-insensitive); continuation lines joined by \n. */
  fields: Map<string, string>
  /** The first line that is neither a field nor a continuation, if any. */
  malformed?: string
}

const FIELD = /^([!-9;-~][!-9;-~]*):[ \t]*(.*)$/

/** The paragraphs of `text`, in order; blank-only paragraphs are left out. */
export function parseParagraphs(text: string): Paragraph[] {
  const paragraphs: Paragraph[] = []
  let current: Paragraph | undefined
  let last: string | undefined
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      current = undefined
      last = undefined
      continue
    }
    if (!current) {
      current = {fields: new Map()}
      paragraphs.push(current)
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) current.malformed ??= line
      else current.fields.set(last, `${current.fields.get(last)}\n${line.trim()}`)
      continue
    }
    const field = FIELD.exec(line)
    if (!field) {
      current.malformed ??= line
      last = undefined
      continue
    }
    last = field[1].toLowerCase()
    current.fields.set(last, field[2].trimEnd())
  }
  return paragraphs
}

/** The header block of an RFC 822 style file: the text before the first blank line. */
export function headerBlock(text: string): string {
  const blank = /\r?\n[ \t]*\r?\n/.exec(text)
  return blank ? text.slice(0, blank.index) : text
}
