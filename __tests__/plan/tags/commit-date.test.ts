import {describe, expect, test} from 'vitest'

import {commitDateFromPayload} from '../../../src/plan/tags/commit-date.js'
import {SHA, loadEvent} from './run-context.js'

describe('commitDateFromPayload', () => {
  test.each([
    {
      why: 'a push finds its commit in commits',
      payload: loadEvent('push-main'),
      sha: SHA,
      want: new Date('2024-03-05T09:20:30Z'),
    },
    {
      why: 'a tag push uses head_commit',
      payload: loadEvent('push-tag-v1.2.3'),
      sha: SHA,
      want: new Date('2024-03-05T09:20:30Z'),
    },
    {
      why: 'another commit is not found',
      payload: loadEvent('push-main'),
      sha: 'ffffffffffffffffffffffffffffffffffffffff',
      want: undefined,
    },
    {
      why: 'a pull request payload has no commit dates',
      payload: loadEvent('pull-request'),
      sha: SHA,
      want: undefined,
    },
    {why: 'an empty payload has none', payload: {}, sha: SHA, want: undefined},
    {
      why: 'a timestamp that does not parse is ignored',
      payload: {head_commit: {id: SHA, timestamp: 'soon'}},
      sha: SHA,
      want: undefined,
    },
  ])('$why', ({payload, sha, want}) => {
    expect(commitDateFromPayload(payload, sha)).toEqual(want)
  })
})
