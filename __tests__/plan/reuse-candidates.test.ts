import {expect, test} from 'vitest'
import type {ImageSpec} from '../../src/model/action-config.js'
import {planPushes} from '../../src/plan/push-plan.js'
import {reuseCandidates} from '../../src/plan/reuse-candidates.js'
import type {ComputedTag} from '../../src/plan/tags/tag-types.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
const BEFORE = 'fedcba9876543210fedcba9876543210fedcba98'
const image: ImageSpec = {
  name: 'api',
  context: 'api',
  file: 'api/Dockerfile',
  buildArgs: {},
  platforms: [],
  labels: {},
}
const tag = (name: string, moving: boolean): ComputedTag => ({name, moving, isLatest: false})

test.each([
  {
    why: 'a push to main: the branch tag, latest, then the sha tag of the commit before',
    tags: [tag('main', true), tag('sha-0123456', false), tag('latest', true)],
    eventName: 'push',
    payload: {before: BEFORE},
    want: ['main', 'latest', 'sha-fedcba9'],
  },
  {
    why: 'a long sha tag keeps its length',
    tags: [tag(`sha-${SHA}`, false)],
    eventName: 'push',
    payload: {before: BEFORE},
    want: [`sha-${BEFORE}`],
  },
  {
    why: 'a new branch has no commit before (all zeros)',
    tags: [tag('feature', true), tag('sha-0123456', false)],
    eventName: 'push',
    payload: {before: '0000000000000000000000000000000000000000'},
    want: ['feature'],
  },
  {
    why: 'a pull request: pr-N is immutable here, so the base branch tag is the candidate',
    tags: [tag('pr-42', false), tag('sha-0123456', false)],
    eventName: 'pull_request',
    payload: {pull_request: {base: {ref: 'release/1.x'}}},
    want: ['release-1.x'],
  },
  {
    why: 'a moving pr tag comes first, then the base branch',
    tags: [tag('pr-42', true), tag('sha-0123456', false)],
    eventName: 'pull_request',
    payload: {pull_request: {base: {ref: 'main'}}},
    want: ['pr-42', 'main'],
  },
  {
    why: 'a release: a tag that is also one of this run’s immutable tags is never a candidate',
    tags: [tag('1.2.3', false), tag('1.2', true), tag('latest', true)],
    eventName: 'push',
    payload: {},
    want: ['1.2', 'latest'],
  },
])('$why', ({tags, eventName, payload, want}) => {
  const [plan] = planPushes([image], 'r.example', 'ns', tags)
  expect(reuseCandidates(plan, {eventName, payload, revision: SHA})).toEqual(want)
})
