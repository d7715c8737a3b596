import {expect, test} from 'vitest'
import {secretsWithheld} from '../../src/plan/fork-pull-request.js'

const pr = (head: unknown, base = 'acme/todo') => ({
  pull_request: {head: {repo: head}, base: {repo: {full_name: base}}},
})

test.each([
  {
    why: 'a PR from a fork',
    event: 'pull_request',
    payload: pr({full_name: 'someone/todo'}),
    actor: 'someone',
    want: true,
  },
  {
    why: 'a PR from a deleted fork (head.repo is null)',
    event: 'pull_request',
    payload: pr(null),
    actor: 'someone',
    want: true,
  },
  {
    why: 'a PR by Dependabot, even from the same repository',
    event: 'pull_request',
    payload: pr({full_name: 'acme/todo'}),
    actor: 'dependabot[bot]',
    want: true,
  },
  {
    why: 'a PR from a branch of the same repository',
    event: 'pull_request',
    payload: pr({full_name: 'acme/todo'}),
    actor: 'jdoe',
    want: false,
  },
  {
    why: 'pull_request_target runs with secrets',
    event: 'pull_request_target',
    payload: pr({full_name: 'someone/todo'}),
    actor: 'someone',
    want: false,
  },
  {
    why: 'a push is never withheld',
    event: 'push',
    payload: {},
    actor: 'dependabot[bot]',
    want: false,
  },
  {
    why: 'a payload without repository data says nothing',
    event: 'pull_request',
    payload: {pull_request: {head: {}}},
    actor: 'jdoe',
    want: false,
  },
])('$why', ({event, payload, actor, want}) => {
  expect(secretsWithheld(event, payload, actor)).toBe(want)
})
