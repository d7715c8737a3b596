import {describe, expect, test} from 'vitest'

import {
  compareSemver,
  isPrereleaseVersion,
  parsePep440,
  parseSemver,
  type Semver,
} from '../../../src/plan/tags/versions.js'

function semver(text: string): Semver {
  const parsed = parseSemver(text)
  if (!parsed) throw new Error(`${text} should parse`)
  return parsed
}

describe('parseSemver', () => {
  test.each([
    {
      why: 'plain version',
      input: '1.2.3',
      want: {
        major: 1,
        minor: 2,
        patch: 3,
        prerelease: [],
        build: [],
        version: '1.2.3',
        raw: '1.2.3',
      },
    },
    {
      why: 'a leading v is allowed',
      input: 'v1.2.3',
      want: {
        major: 1,
        minor: 2,
        patch: 3,
        prerelease: [],
        build: [],
        version: '1.2.3',
        raw: 'v1.2.3',
      },
    },
    {
      why: 'prerelease identifiers are split',
      input: 'v1.3.0-rc.1',
      want: {
        major: 1,
        minor: 3,
        patch: 0,
        prerelease: ['rc', '1'],
        build: [],
        version: '1.3.0-rc.1',
        raw: 'v1.3.0-rc.1',
      },
    },
    {
      why: 'build metadata is kept out of version',
      input: 'v9.5.7-alpha.2+fork.3.1.8',
      want: {
        major: 9,
        minor: 5,
        patch: 7,
        prerelease: ['alpha', '2'],
        build: ['fork', '3', '1', '8'],
        version: '9.5.7-alpha.2',
        raw: 'v9.5.7-alpha.2+fork.3.1.8',
      },
    },
    {
      why: 'surrounding spaces are trimmed',
      input: ' 0.0.1 ',
      want: {
        major: 0,
        minor: 0,
        patch: 1,
        prerelease: [],
        build: [],
        version: '0.0.1',
        raw: '0.0.1',
      },
    },
  ])('$why', ({input, want}) => {
    expect(parseSemver(input)).toEqual(want)
  })

  test.each([
    {why: 'two parts are not semver', input: '1.2'},
    {why: 'leading zeros are not semver', input: '01.2.3'},
    {why: 'a numeric prerelease with a leading zero is not semver', input: '1.2.3-01'},
    {why: 'a capital V is not semver', input: 'V1.2.3'},
    {why: 'a name is not semver', input: 'release-1.2.3'},
    {why: 'an empty prerelease is not semver', input: '1.2.3-'},
    {why: 'numbers beyond safe integers are not semver', input: '99999999999999999.0.0'},
  ])('$why', ({input}) => {
    expect(parseSemver(input)).toBeUndefined()
  })
})

describe('compareSemver', () => {
  test.each([
    {why: 'major decides first', left: '2.0.0', right: '1.9.9', want: 1},
    {why: 'minor after major', left: '1.2.0', right: '1.10.0', want: -1},
    {why: 'patch after minor', left: '1.2.3', right: '1.2.3', want: 0},
    {why: 'a prerelease sorts before its release', left: '1.0.0-rc.1', right: '1.0.0', want: -1},
    {
      why: 'numeric identifiers compare as numbers',
      left: '1.0.0-rc.10',
      right: '1.0.0-rc.9',
      want: 1,
    },
    {
      why: 'numeric identifiers sort before alphanumeric ones',
      left: '1.0.0-1',
      right: '1.0.0-alpha',
      want: -1,
    },
    {
      why: 'a longer prerelease sorts after its prefix',
      left: '1.0.0-alpha.1',
      right: '1.0.0-alpha',
      want: 1,
    },
    {
      why: 'alphanumeric identifiers compare in ASCII order',
      left: '1.0.0-beta',
      right: '1.0.0-alpha',
      want: 1,
    },
    {why: 'build metadata is ignored', left: '1.0.0+a', right: '1.0.0+b', want: 0},
  ])('$why', ({left, right, want}) => {
    expect(compareSemver(semver(left), semver(right))).toEqual(want)
  })
})

describe('parsePep440', () => {
  test.each([
    {why: 'a final release', input: '1.2.3', version: '1.2.3', pre: false, post: false},
    {why: 'a leading v is dropped', input: 'v1.2.3', version: '1.2.3', pre: false, post: false},
    {why: 'a two-part release', input: '1.2', version: '1.2', pre: false, post: false},
    {why: 'release candidate', input: '1.2.3rc2', version: '1.2.3rc2', pre: true, post: false},
    {
      why: 'beta is normalised to b',
      input: '1.2.3beta2',
      version: '1.2.3b2',
      pre: true,
      post: false,
    },
    {why: 'alpha with separators', input: '1.0-alpha.1', version: '1.0a1', pre: true, post: false},
    {why: 'c, pre and preview mean rc', input: '2.0c1', version: '2.0rc1', pre: true, post: false},
    {why: 'preview mean rc', input: '2.0.preview-3', version: '2.0rc3', pre: true, post: false},
    {
      why: 'a pre-release without a number is 0',
      input: '1.0rc',
      version: '1.0rc0',
      pre: true,
      post: false,
    },
    {why: 'post release', input: '1.2.3post1', version: '1.2.3.post1', pre: false, post: true},
    {why: 'implicit post release', input: '1.0-1', version: '1.0.post1', pre: false, post: true},
    {why: 'rev means post', input: '1.0.rev2', version: '1.0.post2', pre: false, post: true},
    {why: 'dev release', input: '1.0dev4', version: '1.0.dev4', pre: true, post: false},
    {
      why: 'everything at once',
      input: '1!2.0.0-RC_1.post-2.dev3+Ubuntu-1',
      version: '1!2.0.0rc1.post2.dev3+ubuntu.1',
      pre: true,
      post: true,
    },
    {why: 'a zero epoch is not written', input: '0!1.0', version: '1.0', pre: false, post: false},
    {why: 'leading zeros are dropped', input: '01.002', version: '1.2', pre: false, post: false},
  ])('$why', ({input, version, pre, post}) => {
    const parsed = parsePep440(input)
    expect(parsed?.version).toEqual(version)
    expect(parsed?.isPrerelease).toEqual(pre)
    expect(parsed?.isPostrelease).toEqual(post)
  })

  test.each([
    {why: 'a name', input: 'sometag'},
    {why: 'a trailing dot', input: '1.2.'},
    {why: 'an unknown suffix', input: '1.2.3-foo'},
  ])('$why does not conform', ({input}) => {
    expect(parsePep440(input)).toBeUndefined()
  })
})

describe('isPrereleaseVersion', () => {
  test.each([
    {why: 'semver prerelease', input: 'v2.0.8-beta.67', want: true},
    {why: 'semver release', input: 'v2.0.8', want: false},
    {why: 'pep440 release candidate', input: '20200110-RC2', want: true},
    {why: 'pep440 dev release', input: '1.0dev4', want: true},
    {why: 'pep440 post release is stable', input: '1.0.post1', want: false},
    {why: 'a name is no prerelease', input: 'release-42', want: false},
  ])('$why', ({input, want}) => {
    expect(isPrereleaseVersion(input)).toEqual(want)
  })
})
