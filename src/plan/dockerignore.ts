/**
 * `.dockerignore` as docker applies it: one pattern per line, the last matching line wins, and a
 * pattern that matches a directory excludes everything below it.
 *
 * Patterns are matched by a small automaton (a set of positions in the pattern, advanced one
 * character of the name at a time), not a backtracking regex: a name is matched in time
 * proportional to its length times the pattern's, whatever the checkout puts in either.
 */

export interface DockerignoreRule {
  /** The pattern after cleaning (`./a/` → `a`, `/a` → `a`), without its `!`. */
  pattern: string
  /** A `!` line: re-includes what it matches. */
  exception: boolean
  /** The whole pattern, anchored at the context root. */
  matcher: GlobMatcher
  /** One matcher per `/`-separated part, to see whether the pattern can reach below a directory. */
  parts: (GlobMatcher | '**')[]
}

export interface DockerignoreRules {
  rules: DockerignoreRule[]
  /**
   * Lines docker refuses (its build then fails): a lone `!`, an unclosed `[`. By line number and
   * reason only: the file's text is never quoted.
   */
  problems: string[]
}

/** Why a pattern cannot be compiled; its message is ours, never the pattern's text. */
class PatternError extends Error {}

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
        matcher: compileGlob(pattern),
        parts: pattern.split('/').map((part) => (part.includes('**') ? '**' : compileGlob(part))),
      })
    } catch (err) {
      if (!(err instanceof PatternError)) throw err
      problems.push(`.dockerignore line ${index + 1}: not a valid pattern (${err.message})`)
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
    if (rule.matcher.matches(path) || parents.some((parent) => rule.matcher.matches(parent)))
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
      if (!part.matches(dirParts[index])) return false
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
 * One element of a compiled glob. `star` is `*` (any run within one path part); `globstar` is a
 * `**` followed by more pattern (nothing, or any run of characters that ends with a `/`: any
 * number of whole directories); `rest` is a trailing `**` (any run at all).
 */
type Token =
  | {kind: 'char'; char: string}
  | {kind: 'one'}
  | {kind: 'class'; test: (char: string) => boolean}
  | {kind: 'star'}
  | {kind: 'globstar'}
  | {kind: 'rest'}

export interface GlobMatcher {
  /** Whether the whole of `name` matches. */
  matches(name: string): boolean
}

/**
 * `*` and `?` stay within one path part, `**` spans any number of directories (none included),
 * `[…]` is a character class (`^` negates; like docker's, a negated class can match a `/`), and `\`
 * makes the next character literal. Names are compared by UTF-16 code unit; the `**` runs, like
 * the regex `.` they stand for, take no line break (\n, \r, U+2028, U+2029).
 */
export function compileGlob(glob: string): GlobMatcher {
  const tokens = tokenize(glob)
  return {matches: (name) => simulate(tokens, name)}
}

function tokenize(glob: string): Token[] {
  const tokens: Token[] = []
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]
    if (char === '*') {
      if (glob[index + 1] !== '*') {
        tokens.push({kind: 'star'})
        continue
      }
      index++
      if (glob[index + 1] === '/') index++
      // A trailing `**` takes everything; elsewhere it is any run of whole directories.
      tokens.push({kind: index === glob.length - 1 ? 'rest' : 'globstar'})
    } else if (char === '?') {
      tokens.push({kind: 'one'})
    } else if (char === '\\') {
      const next = glob[index + 1]
      if (next === undefined) tokens.push({kind: 'char', char: '\\'})
      else {
        tokens.push({kind: 'char', char: next})
        index++
      }
    } else if (char === '[') {
      const close = classEnd(glob, index)
      if (close < 0) throw new PatternError('unclosed [')
      tokens.push({kind: 'class', test: compileClass(glob.slice(index + 1, close))})
      index = close
    } else {
      tokens.push({kind: 'char', char})
    }
  }
  return tokens
}

/** What a `.` of a regex takes: anything but a line break. */
function isDot(char: string): boolean {
  return char !== '\n' && char !== '\r' && char !== '\u2028' && char !== '\u2029'
}

/**
 * Runs the glob as an automaton over `name`. State `i` means the first `i` tokens have matched;
 * a `globstar` token has a second state, "inside its run of directories", kept in `inside`. Each
 * character moves every live state at once, so the work is at most name length × token count.
 */
function simulate(tokens: Token[], name: string): boolean {
  const count = tokens.length
  let at = new Uint8Array(count + 1)
  let inside = new Uint8Array(count)
  let nextAt = new Uint8Array(count + 1)
  let nextInside = new Uint8Array(count)
  at[0] = 1
  close(tokens, at, inside)
  for (let position = 0; position < name.length; position++) {
    const char = name[position]
    nextAt.fill(0)
    nextInside.fill(0)
    for (let index = 0; index < count; index++) {
      if (inside[index]) {
        // Inside a globstar's run: any character stays inside; a `/` may also end the run.
        if (isDot(char)) nextInside[index] = 1
        if (char === '/') nextAt[index + 1] = 1
      }
      if (at[index]) step(tokens[index], char, index, nextAt)
    }
    close(tokens, nextAt, nextInside)
    if (!nextAt.includes(1) && !nextInside.includes(1)) return false
    ;[at, nextAt] = [nextAt, at]
    ;[inside, nextInside] = [nextInside, inside]
  }
  return at[count] === 1
}

/** Where the state before `token` goes on `char` (a globstar is entered by close(), not here). */
function step(token: Token, char: string, index: number, nextAt: Uint8Array): void {
  switch (token.kind) {
    case 'char':
      if (char === token.char) nextAt[index + 1] = 1
      return
    case 'one':
      if (char !== '/') nextAt[index + 1] = 1
      return
    case 'class':
      if (token.test(char)) nextAt[index + 1] = 1
      return
    case 'star':
      if (char !== '/') nextAt[index] = 1
      return
    case 'rest':
      if (isDot(char)) nextAt[index] = 1
      return
    case 'globstar':
      return
  }
}

/** Adds the states reachable without a character: past a star or a globstar (empty runs). */
function close(tokens: Token[], at: Uint8Array, inside: Uint8Array): void {
  for (let index = 0; index < tokens.length; index++) {
    if (!at[index]) continue
    const kind = tokens[index].kind
    if (kind === 'star' || kind === 'rest') at[index + 1] = 1
    else if (kind === 'globstar') {
      inside[index] = 1
      at[index + 1] = 1
    }
  }
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

/**
 * A class as docker's regex has it: one regex of a single class, tested against one character
 * at a time (so nothing in it can backtrack).
 */
function compileClass(body: string): (char: string) => boolean {
  let regex: RegExp
  try {
    regex = new RegExp(`^[${classBody(body)}]$`)
  } catch (err) {
    if (err instanceof PatternError) throw err
    throw new PatternError('a character class with a range out of order')
  }
  return (char) => regex.test(char)
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
  if (!out || out === '^') throw new PatternError('empty character class')
  return out
}
