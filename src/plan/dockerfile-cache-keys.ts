/**
 * Which builds may share a layer-cache entry. The classic builder and podman look a step up by its
 * parent and its instruction, and the first build to create an entry wins: two builds that start
 * from the same base with the same first instruction, run at the same time, can each create that
 * layer, and which one later runs reuse depends on timing. A key here is a stage's base and its
 * first instruction; builds whose keys meet must run one after another, the others may overlap.
 */
export function dockerfileCacheKeys(dockerfile: string): string[] {
  const instructions = logicalLines(dockerfile)
  const keys: string[] = []
  for (let index = 0; index < instructions.length; index++) {
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)/i.exec(instructions[index])
    if (!from) continue
    const next = instructions[index + 1]
    if (next && !/^FROM\s/i.test(next)) keys.push(`${from[1].toLowerCase()}\n${normalise(next)}`)
  }
  return keys
}

/** Instructions with continuation lines joined, comments and blank lines dropped. */
function logicalLines(text: string): string[] {
  const lines: string[] = []
  let current = ''
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (current === '' && (line === '' || line.startsWith('#'))) continue
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `
      continue
    }
    lines.push(current + line)
    current = ''
  }
  if (current.trim() !== '') lines.push(current)
  return lines
}

function normalise(instruction: string): string {
  const [keyword, ...rest] = instruction.split(/\s+/)
  return [keyword.toUpperCase(), ...rest].join(' ')
}
