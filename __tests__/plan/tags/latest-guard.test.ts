import {describe, expect, test} from 'vitest'

import {mayMoveLatest} from '../../../src/plan/tags/latest-guard.js'

describe('mayMoveLatest', () => {
  test.each([
    {
      why: 'a backport v1.1.9 after 1.2.3 keeps latest',
      version: '1.1.9',
      existing: ['1.2.3', '1.2', '1', 'latest', 'sha-a1b2c3d'],
      move: false,
      reason: /already has 1.2.3, which is higher than 1.1.9/,
    },
    {
      why: 'v-prefixed tags in the registry count too',
      version: 'v1.1.9',
      existing: ['v1.2.3', 'latest'],
      move: false,
      reason: /already has v1.2.3/,
    },
    {
      why: 'a prerelease never moves latest',
      version: '1.3.0-rc.1',
      existing: ['1.2.3'],
      move: false,
      reason: /1.3.0-rc.1 is a prerelease/,
    },
    {
      why: 'a prerelease never moves latest, even in an empty repository',
      version: '1.0.0-alpha',
      existing: [],
      move: false,
      reason: /prerelease/,
    },
    {
      why: 'a new higher release moves latest',
      version: '1.3.0',
      existing: ['1.2.3', 'latest'],
      move: true,
    },
    {
      why: 're-running the same release moves latest',
      version: '1.2.3',
      existing: ['1.2.3', 'latest'],
      move: true,
    },
    {
      why: 'a higher prerelease in the registry is ignored',
      version: '1.3.0',
      existing: ['2.0.0-rc.1', '1.2.3'],
      move: true,
    },
    {
      why: 'tags that are not semver are ignored',
      version: '1.3.0',
      existing: ['2024.01', '99.1', 'nightly', 'sha-ffffff0', 'pr-99'],
      move: true,
    },
    {why: 'the first release moves latest', version: '0.1.0', existing: [], move: true},
    {
      why: 'the highest existing version is found whatever the order',
      version: '1.10.0',
      existing: ['1.9.0', '1.10.1', '1.2.0'],
      move: false,
      reason: /1.10.1/,
    },
    {
      why: 'a version that is not semver is not guarded',
      version: 'main',
      existing: ['1.2.3'],
      move: true,
    },
  ])('$why', ({version, existing, move, reason}) => {
    const answer = mayMoveLatest(version, existing)
    expect(answer.move).toEqual(move)
    if (reason) expect(answer.reason).toMatch(reason)
    else expect(answer.reason).toBeUndefined()
  })
})
