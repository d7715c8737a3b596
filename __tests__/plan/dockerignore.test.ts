import {describe, expect, test} from 'vitest'
import {isIgnored, mayIncludeBelow, parseDockerignore} from '../../src/plan/dockerignore.js'

/**
 * Rows follow the documented .dockerignore behaviour (the example tables of the build-context
 * documentation and the dockerignore(5) manual) and moby's pattern matcher.
 */
describe('isIgnored', () => {
  test.each([
    // The documented example file.
    {why: 'a # in column 1 is a comment', lines: ['# comment'], path: '# comment', want: false},
    {
      why: '*/temp* takes a file starting with temp one level down',
      lines: ['*/temp*'],
      path: 'somedir/temporary.txt',
      want: true,
    },
    {
      why: '*/temp* takes a directory one level down, and what is below it',
      lines: ['*/temp*'],
      path: 'somedir/temp/a.txt',
      want: true,
    },
    {why: '*/temp* leaves the root alone', lines: ['*/temp*'], path: 'temporary.txt', want: false},
    {
      why: '*/temp* leaves two levels down alone',
      lines: ['*/temp*'],
      path: 'a/b/temporary.txt',
      want: false,
    },
    {
      why: '*/*/temp* takes two levels down',
      lines: ['*/*/temp*'],
      path: 'somedir/subdir/temporary.txt',
      want: true,
    },
    {
      why: 'temp? takes a one-character suffix at the root',
      lines: ['temp?'],
      path: 'tempa',
      want: true,
    },
    {why: 'temp? needs exactly one character', lines: ['temp?'], path: 'temp', want: false},
    {why: '? does not match a slash', lines: ['temp?'], path: 'temp/x', want: false},
    // Root-relative: the root is both the working and the root directory.
    {
      why: '/foo/bar and foo/bar are the same pattern',
      lines: ['/foo/bar'],
      path: 'foo/bar',
      want: true,
    },
    {
      why: 'foo/bar excludes what is below it',
      lines: ['foo/bar'],
      path: 'foo/bar/baz.txt',
      want: true,
    },
    {why: 'foo/bar excludes nothing else', lines: ['foo/bar'], path: 'x/foo/bar', want: false},
    {
      why: 'a plain name matches only at the root (unlike .gitignore)',
      lines: ['node_modules'],
      path: 'web/node_modules/a.js',
      want: false,
    },
    {
      why: 'a plain name takes its whole directory',
      lines: ['node_modules'],
      path: 'node_modules/a/b/c.js',
      want: true,
    },
    {why: '*.md is root only', lines: ['*.md'], path: 'docs/a.md', want: false},
    // Cleaning.
    {why: 'a leading ./ is dropped', lines: ['./build'], path: 'build/out.js', want: true},
    {why: 'a trailing / is dropped', lines: ['build/'], path: 'build', want: true},
    {why: 'surrounding spaces are trimmed', lines: ['  build  '], path: 'build', want: true},
    {
      why: 'a # after leading spaces is a pattern, not a comment',
      lines: [' #notes'],
      path: '#notes',
      want: true,
    },
    {why: 'a/./b/../c cleans to a/c', lines: ['a/./b/../c'], path: 'a/c', want: true},
    {why: 'blank lines are skipped', lines: ['', '   ', 'x'], path: 'x', want: true},
    {why: 'CRLF line ends are accepted', lines: ['x\r', 'y'], path: 'x', want: true},
    // **.
    {why: '**/*.go takes a .go file at the root', lines: ['**/*.go'], path: 'main.go', want: true},
    {
      why: '**/*.go takes a .go file at any depth',
      lines: ['**/*.go'],
      path: 'a/b/c/main.go',
      want: true,
    },
    {why: '**/*.go leaves other files', lines: ['**/*.go'], path: 'a/main.rs', want: false},
    {
      why: 'a/**/b matches with no directory in between',
      lines: ['a/**/b'],
      path: 'a/b',
      want: true,
    },
    {why: 'a/**/b matches with several in between', lines: ['a/**/b'], path: 'a/x/y/b', want: true},
    {
      why: 'a trailing ** takes everything below',
      lines: ['dist/**'],
      path: 'dist/x/y.js',
      want: true,
    },
    {why: '** alone takes everything', lines: ['**'], path: 'a/b/c', want: true},
    // Classes and escapes.
    {why: 'a character class', lines: ['[a-c].txt'], path: 'b.txt', want: true},
    {why: 'outside the class', lines: ['[a-c].txt'], path: 'd.txt', want: false},
    {why: '^ negates a class', lines: ['[^a-c].txt'], path: 'd.txt', want: true},
    {
      why: 'a negated class can match a slash, as in docker (the class goes into its regex as is)',
      lines: ['x[^a]y'],
      path: 'x/y',
      want: true,
    },
    {why: 'a backslash makes * literal', lines: ['\\*.txt'], path: '*.txt', want: true},
    {why: 'an escaped * matches only a star', lines: ['\\*.txt'], path: 'a.txt', want: false},
    {why: 'a dot is literal', lines: ['a.txt'], path: 'abtxt', want: false},
    // Exceptions: the last matching line wins.
    {
      why: '*.md with !README.md keeps README.md',
      lines: ['*.md', '!README.md'],
      path: 'README.md',
      want: false,
    },
    {
      why: '*.md with !README.md drops other markdown',
      lines: ['*.md', '!README.md'],
      path: 'CHANGES.md',
      want: true,
    },
    {
      why: 'an exclusion after the exception wins',
      lines: ['*.md', '!README*.md', 'README-secret.md'],
      path: 'README-secret.md',
      want: true,
    },
    {
      why: 'an exception after the exclusion wins',
      lines: ['*.md', 'README-secret.md', '!README*.md'],
      path: 'README-secret.md',
      want: false,
    },
    {
      why: '* then !src: src is back, with what is below it',
      lines: ['*', '!src'],
      path: 'src/main.ts',
      want: false,
    },
    {why: '* then !src: the rest stays out', lines: ['*', '!src'], path: 'docs/a.md', want: true},
    {
      why: 'an exception below an excluded directory re-includes the file',
      lines: ['node_modules', '!node_modules/keep.txt'],
      path: 'node_modules/keep.txt',
      want: false,
    },
    {
      why: 'and only that file',
      lines: ['node_modules', '!node_modules/keep.txt'],
      path: 'node_modules/other.txt',
      want: true,
    },
    {
      why: 'the Dockerfile can be excluded like any file',
      lines: ['Dockerfile', '.dockerignore'],
      path: '.dockerignore',
      want: true,
    },
    {why: 'no rules: nothing is ignored', lines: [], path: 'a', want: false},
  ])('$why', ({lines, path, want}) => {
    expect(isIgnored(parseDockerignore(lines.join('\n')), path)).toBe(want)
  })
})

describe('problems docker refuses', () => {
  // By line number and reason: the file's text is never quoted (it may be any file linked in).
  test.each([
    {why: 'a lone !', text: '!', want: /^\.dockerignore line 1: '!' without a pattern$/},
    {
      why: 'an unclosed class',
      text: 'a\n[abcSECRET',
      want: /^\.dockerignore line 2: not a valid pattern \(unclosed \[\)$/,
    },
    {
      why: 'an empty class',
      text: 'x[]SECRET',
      want: /^\.dockerignore line 1: not a valid pattern \(empty character class\)$/,
    },
    {
      why: 'a range out of order',
      text: '[z-a]SECRET',
      want: /^\.dockerignore line 1: not a valid pattern \(a character class with a range out of order\)$/,
    },
  ])('$why', ({text, want}) => {
    const {problems} = parseDockerignore(text)
    expect(problems).toEqual([expect.stringMatching(want)])
    expect(problems.join('\n')).not.toContain('SECRET')
  })
})

describe('matching takes time linear in the name, whatever the pattern', () => {
  // A backtracking regex takes seconds here (2^n ways to place the stars); the automaton
  // advances every position at once. The bound is generous: this checks complexity, not speed.
  test.each([
    {pattern: '*a*a*a*a*a*a*a*a*b', name: 'a'.repeat(40), limit: 10},
    // 21 paths to match (the name and each parent directory), so more room.
    {pattern: '**/*a*a*a*a*a*a*a*a*b', name: `${'a/'.repeat(20)}${'a'.repeat(40)}`, limit: 50},
    {
      pattern: '[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!',
      name: 'abcdefghij'.repeat(4),
      limit: 10,
    },
  ])('$pattern against $name.length characters', ({pattern, name, limit}) => {
    const rules = parseDockerignore(pattern)
    expect(rules.problems).toEqual([])
    isIgnored(rules, 'warm-up')
    const started = performance.now()
    const ignored = isIgnored(rules, name)
    const elapsed = performance.now() - started
    expect(ignored).toBe(false)
    expect(elapsed).toBeLessThan(limit)
  })

  test('a long name with many stars still matches correctly', () => {
    const rules = parseDockerignore('*a*a*a*a*a*a*a*a*b')
    expect(isIgnored(rules, `${'a'.repeat(40)}b`)).toBe(true)
    expect(isIgnored(rules, `${'a'.repeat(7)}b`)).toBe(false)
  })
})

describe('mayIncludeBelow', () => {
  test.each([
    {
      why: 'no exceptions: an ignored directory can be skipped',
      lines: ['node_modules'],
      dir: 'node_modules',
      want: false,
    },
    {
      why: 'an exception elsewhere does not reach in',
      lines: ['node_modules', '!README.md'],
      dir: 'node_modules',
      want: false,
    },
    {
      why: 'an exception inside the directory does',
      lines: ['node_modules', '!node_modules/keep.txt'],
      dir: 'node_modules',
      want: true,
    },
    {
      why: 'an exception with a wildcard that fits the directory does',
      lines: ['*', '!*/keep'],
      dir: 'a',
      want: true,
    },
    {
      why: '** in an exception reaches everywhere',
      lines: ['*', '!**/*.go'],
      dir: 'vendor/x',
      want: true,
    },
    {
      why: 'an exception naming a parent brings everything back',
      lines: ['a/b', '!a'],
      dir: 'a/b',
      want: true,
    },
  ])('$why', ({lines, dir, want}) => {
    expect(mayIncludeBelow(parseDockerignore(lines.join('\n')), dir)).toBe(want)
  })
})
