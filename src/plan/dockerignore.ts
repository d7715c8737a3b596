/**
 * `.dockerignore` as docker applies it: one pattern per line, the last matching line wins, and a
 * pattern that matches a directory excludes everything below it.
 */

export interface DockerignoreRule {
  /** The pattern after cleaning (`./a/` → `a`, `/a` → `a`), without its `!`. */
  pattern: string
  /** A `!` line: re-includes what it matches. */
  exception: boolean
  /** The whole pattern, anchored at the context root. */
  regex: RegExp
  /** One regex per `/`-separated part, to see whether the pattern can reach below a directory. */
  parts: (RegExp | '**')[]
}

export interface DockerignoreRules {
  rules: DockerignoreRule[]
  /** Lines docker refuses (its build then fails): a lone `!`, an unclosed `[`. */
  problems: string[]
}

export function parseDockerignore(text: string): DockerignoreRules {
  const rules: DockerignoreRule[] = []
  const problems: string[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (const [index, line] of lines.entries()) {
    // A comment only when `#` is in the first column: ` #x` is the pattern `#x`.
    if (line.startsWith('#')) continue
    let pattern = line.trim()
    if (!pattern) continue
    const exception = pattern.startsWith('!')
    if (exception) pattern = pattern.slice(1).trim()
    if (!pattern) {
      problems.push(`.dockerignore line ${index + 1}: '!' without a pattern`)
      continue
    }
    pattern = cleanPath(pattern)
    if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1)
    try {
      rules.push({
        pattern,
        exception,
        regex: new RegExp(`^${globToRegex(pattern)}$`),
        parts: pattern
          .split('/')
          .map((part) => (part.includes('**') ? '**' : new RegExp(`^${globToRegex(part)}$`))),
      })
    } catch (err) {
      problems.push(
        `.dockerignore line ${index + 1}: '${line.trim()}' is not a valid pattern (${err instanceof Error ? err.message : String(err)})`,
      )
    }
  }
  return {rules, problems}
}

/** Whether docker leaves `path` (posix, relative to the context root, no leading ./) out. */
export function isIgnored(rules: DockerignoreRules, path: string): boolean {
  const parents: string[] = []
  const parts = path.split('/')
  for (let end = 1; end < parts.length; end++) parents.push(parts.slice(0, end).join('/'))
  let ignored = false
  for (const rule of rules.rules) {
    // An exclusion cannot change an ignored path, nor an exception an included one.
    if (rule.exception !== ignored) continue
    if (rule.regex.test(path) || parents.some((parent) => rule.regex.test(parent)))
      ignored = !rule.exception
  }
  return ignored
}

/**
 * Whether an exception could re-include something below the directory `dir`: when not, an
 * ignored directory need not be walked at all.
 */
export function mayIncludeBelow(rules: DockerignoreRules, dir: string): boolean {
  const dirParts = dir.split('/')
  return rules.rules.some((rule) => {
    if (!rule.exception) return false
    for (const [index, part] of rule.parts.entries()) {
      if (part === '**') return true
      if (index >= dirParts.length) return true // the pattern goes deeper than dir
      if (!part.test(dirParts[index])) return false
    }
    return true // it names dir or a parent: everything below is back
  })
}

/** Posix path cleaning: `.` and empty parts dropped, `..` applied, no trailing slash. */
function cleanPath(path: string): string {
  const rooted = path.startsWith('/')
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(part)
  }
  const joined = out.join('/')
  return rooted ? `/${joined}` : joined || '.'
}

/**
 * `*` and `?` stay within one path part, `**` spans any number of directories (none included),
 * `[…]` is a character class (`^` negates; like docker's, a negated class can match a `/`), and `\`
 * makes the next character literal.
 */
function globToRegex(glob: string): string {
  let out = ''
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]
    if (char === '*') {
      if (glob[index + 1] !== '*') {
        out += '[^/]*'
        continue
      }
      index++
      if (glob[index + 1] === '/') index++
      // A trailing `**` takes everything; elsewhere it is any run of whole directories.
      out += index === glob.length - 1 ? '.*' : '(?:.*/)?'
    } else if (char === '?') {
      out += '[^/]'
    } else if (char === '\\') {
      const next = glob[index + 1]
      if (next === undefined) out += '\\\\'
      else {
        out += escapeRegex(next)
        index++
      }
    } else if (char === '[') {
      const close = classEnd(glob, index)
      if (close < 0) throw new Error('unclosed [')
      out += `[${classBody(glob.slice(index + 1, close))}]`
      index = close
    } else {
      out += escapeRegex(char)
    }
  }
  return out
}

/** Index of the `]` that closes the class opened at `open`; -1 when none does. */
function classEnd(glob: string, open: number): number {
  let index = open + 1
  if (glob[index] === '^') index++
  for (; index < glob.length; index++) {
    if (glob[index] === '\\') index++
    else if (glob[index] === ']') return index
  }
  return -1
}

function classBody(body: string): string {
  const negated = body.startsWith('^')
  let out = negated ? '^' : ''
  for (let index = negated ? 1 : 0; index < body.length; index++) {
    const char = body[index]
    if (char === '\\' && index + 1 < body.length) {
      const next = body[++index]
      // A letter after a backslash is itself (`\d` is a `d`, not a digit class).
      out += /[A-Za-z0-9]/.test(next) ? next : `\\${next}`
    } else if (char === '-') {
      out += '-'
    } else {
      out += /[\]\\^[]/.test(char) ? `\\${char}` : char
    }
  }
  if (!out || out === '^') throw new Error('empty character class')
  return out
}

function escapeRegex(char: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(char) ? `\\${char}` : char
}
