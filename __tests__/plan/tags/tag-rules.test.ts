import {describe, expect, test} from 'vitest'

import {InputError} from '../../../src/errors.js'
import {parseFlavor, parseRules} from '../../../src/plan/tags/tag-rules.js'

function thrownBy(action: () => unknown): InputError {
  try {
    action()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return err as InputError
  }
  throw new Error('expected an InputError')
}

describe('unbalanced template braces in tags rules', () => {
  test.each([
    {
      why: 'an expression left open at the end of a semver pattern',
      line: 'type=semver,pattern={{major}}.{{minor',
      message: /in pattern=, '\{\{minor' is never closed/,
    },
    {
      why: 'an expression left open before the next one opens',
      line: 'type=semver,pattern={{major.{{minor}}',
      message: /'\{\{major\.' is never closed \(another '\{\{' opens before its '\}\}'\)/,
    },
    {
      why: 'a pep440 pattern with a single closing brace',
      line: 'type=pep440,pattern={{version}',
      message: /in pattern=, '\{\{version\}' is never closed/,
    },
    {
      why: 'a closing pair in value= that nothing opened',
      line: 'type=raw,value=build-sha}}',
      message: /in value=, 'build-sha\}\}' ends with '\}\}' that no '\{\{' opened/,
    },
    {
      why: 'a closing pair after a complete expression',
      line: 'type=raw,value={{branch}}-x}}',
      message: /in value=, '-x\}\}' ends with '\}\}'/,
    },
    {
      why: 'a semver value= that is left open',
      line: 'type=semver,pattern={{version}},value={{tag',
      message: /in value=, '\{\{tag' is never closed/,
    },
    {
      why: 'an open expression in a rule prefix',
      line: 'type=sha,prefix={{branch-',
      message: /in prefix=, '\{\{branch-' is never closed/,
    },
    {
      why: 'a stray closing pair in a rule suffix',
      line: 'type=ref,event=branch,suffix=-}}',
      message: /in suffix=, '-\}\}' ends with '\}\}'/,
    },
    {
      why: 'an open expression in a schedule pattern',
      line: "type=schedule,pattern=nightly-{{date 'YYYYMMDD'",
      message: /in pattern=, '\{\{date 'YYYYMMDD'' is never closed/,
    },
    {
      why: 'an open expression in enable=',
      line: 'type=edge,enable={{is_default_branch',
      message: /in enable=, '\{\{is_default_branch' is never closed/,
    },
    {
      why: 'type=match checks its value= (a template)',
      line: 'type=match,pattern=v(.*),group=1,value={{tag',
      message: /in value=, '\{\{tag' is never closed/,
    },
    {
      why: 'a bare value (the value of a raw rule) is checked too',
      line: '{{branch',
      message: /in value=, '\{\{branch' is never closed/,
    },
  ])('$why', ({line, message}) => {
    const error = thrownBy(() => parseRules(['type=sha', line]))
    expect(error.input).toEqual('tags')
    expect(error.value).toEqual(line)
    expect(error.message).toContain(`'${line}'`)
    expect(error.message).toMatch(message)
    expect(error.hint).toMatch(/Close each '\{\{' with '\}\}'/)
  })

  test.each([
    {why: 'balanced expressions', line: 'type=semver,pattern={{major}}.{{minor}}'},
    {why: 'triple braces', line: 'type=raw,value={{{sha}}}'},
    {why: 'single braces are plain text', line: 'type=raw,value=a{b}c'},
    {why: 'no expressions at all', line: 'type=raw,value=stable'},
    {
      why: 'braces of a quantifier in a type=match pattern (a regular expression)',
      line: 'type=match,"pattern=v(\\d{1,3}\\.\\d{1,3})",group=1',
    },
    {
      why: 'unbalanced braces in a type=match pattern are the regex engine’s business',
      line: 'type=match,pattern=v\\d}},group=0',
    },
    {
      why: 'braces of a quantifier in a semver match= (a regular expression)',
      line: 'type=semver,pattern={{version}},"match=v(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3})$"',
    },
    {
      why: 'a stray }} in a pep440 match= (a regular expression)',
      line: 'type=pep440,pattern={{version}},match=v(.*)}}?',
    },
  ])('accepts $why', ({line}) => {
    expect(parseRules([line])).toHaveLength(1)
  })
})

describe('unbalanced template braces in the flavor', () => {
  test.each([
    {
      why: 'an open expression in the prefix',
      line: 'prefix={{branch-',
      message: /in prefix=, '\{\{branch-' is never closed/,
    },
    {
      why: 'a stray closing pair in the suffix',
      line: 'suffix=-arm64}},onlatest=true',
      message: /in suffix=, '-arm64\}\}' ends with '\}\}' that no '\{\{' opened/,
    },
    {
      why: 'an expression left open before the next one opens',
      line: "prefix={{date 'YYYY'-{{sha}}-",
      message: /in prefix=, '\{\{date 'YYYY'-' is never closed/,
    },
  ])('$why', ({line, message}) => {
    const error = thrownBy(() => parseFlavor(['latest=auto', line]))
    expect(error.input).toEqual('flavor')
    expect(error.value).toEqual(line)
    expect(error.message).toContain(`'${line}'`)
    expect(error.message).toMatch(message)
    expect(error.hint).toMatch(/Close each '\{\{' with '\}\}'/)
  })

  test('balanced expressions in prefix and suffix are accepted', () => {
    expect(parseFlavor(['prefix={{branch}}-,onlatest=true', 'suffix=-{{{sha}}}'])).toMatchObject({
      prefix: '{{branch}}-',
      suffix: '-{{{sha}}}',
    })
  })
})

describe('match= and group= of semver and pep440 rules', () => {
  test.each([
    {
      why: 'group defaults to 1 when the expression captures',
      line: 'type=semver,pattern={{version}},match=v(\\d.\\d.\\d)$',
      want: {match: 'v(\\d.\\d.\\d)$', group: '1'},
    },
    {
      why: 'group defaults to 0 (the whole match) when it captures nothing',
      line: 'type=pep440,pattern={{version}},match=\\d+\\.\\d+',
      want: {match: '\\d+\\.\\d+', group: '0'},
    },
    {
      why: 'a non-capturing group does not count',
      line: 'type=semver,pattern={{version}},match=(?:v)\\d.\\d.\\d',
      want: {match: '(?:v)\\d.\\d.\\d', group: '0'},
    },
    {
      why: 'a named group counts as a capture group',
      line: 'type=semver,pattern={{version}},match=v(?<version>.*)',
      want: {match: 'v(?<version>.*)', group: '1'},
    },
    {
      why: 'a written group is kept',
      line: 'type=semver,pattern={{version}},match=(\\w+)-v(.*),group=2',
      want: {match: '(\\w+)-v(.*)', group: '2'},
    },
    {
      why: 'without match= there is no group',
      line: 'type=semver,pattern={{version}}',
      want: {match: ''},
    },
  ])('$why', ({line, want}) => {
    const [rule] = parseRules([line])
    expect({match: rule.attrs.match, group: rule.attrs.group}).toEqual({group: undefined, ...want})
  })
})
