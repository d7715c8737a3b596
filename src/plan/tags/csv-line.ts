/**
 * Splits one rule line into fields the way metadata-action's CSV parser does: commas separate,
 * double quotes protect commas (`type=match,"pattern=\d{1,3}"`), `""` inside quotes is one quote.
 * A quote inside an unquoted field is kept as a character, so `{{date "YYYY"}}` works unquoted.
 * Fields are trimmed. Throws a plain Error with the reason; the caller names the input.
 */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = []
  let position = 0
  for (;;) {
    while (line[position] === ' ' || line[position] === '\t') position++
    if (line[position] === '"') {
      let field = ''
      position++
      for (;;) {
        if (position >= line.length) throw new Error('a quoted field is not closed')
        if (line[position] === '"') {
          if (line[position + 1] === '"') {
            field += '"'
            position += 2
            continue
          }
          position++
          break
        }
        field += line[position++]
      }
      while (line[position] === ' ' || line[position] === '\t') position++
      if (position < line.length && line[position] !== ',') {
        throw new Error(`unexpected text after a closing quote: '${line.slice(position)}'`)
      }
      fields.push(field.trim())
    } else {
      const end = line.indexOf(',', position)
      const stop = end === -1 ? line.length : end
      fields.push(line.slice(position, stop).trim())
      position = stop
    }
    if (position >= line.length) return fields
    position++ // the comma
  }
}

/**
 * The entries of a multi-line input: one per line, trimmed; blank lines and lines starting
 * with `#` are dropped. Entries that themselves contain newlines are split too.
 */
export function inputLines(entries: readonly string[]): string[] {
  return entries
    .flatMap((entry) => entry.split(/\r?\n/))
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}
