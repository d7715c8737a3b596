import {expect, test} from 'vitest'
import {secretsWithheld, untrustedEvent} from '../../src/plan/fork-pull-request.js'

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

test.each([
  {
    why: 'pull_request_target, whatever the head',
    event: 'pull_request_target',
    payload: {},
    want: 'pull_request_target',
  },
  {
    why: 'workflow_run started by a fork',
    event: 'workflow_run',
    payload: {
      workflow_run: {head_repository: {full_name: 'someone/todo'}},
      repository: {full_name: 'acme/todo'},
    },
    want: 'workflow_run from a fork',
  },
  {
    why: 'workflow_run of the repository itself',
    event: 'workflow_run',
    payload: {
      workflow_run: {head_repository: {full_name: 'acme/todo'}},
      repository: {full_name: 'acme/todo'},
    },
    want: undefined,
  },
  {why: 'a push', event: 'push', payload: {}, want: undefined},
  {
    why: 'a pull request (its secrets are withheld by GitHub instead)',
    event: 'pull_request',
    payload: {},
    want: undefined,
  },
])('untrusted event: $why', ({event, payload, want}) => {
  expect(untrustedEvent(event, payload, 'acme/todo')).toBe(want)
})
