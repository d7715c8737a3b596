import {readFileSync} from 'node:fs'

import type {TagContext} from '../../../src/plan/tags/tag-types.js'

/** GITHUB_SHA of the runs below; on pull requests it is the merge commit. */
export const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
export const MERGE_SHA = 'deadbeef0123456789abcdef0123456789abcdef'
export const PR_HEAD_SHA = 'feedface0123456789abcdef0123456789abcdef'
export const PR_TARGET_HEAD_SHA = 'c0ffee000123456789abcdef0123456789abcdef'
/** SOURCE_DATE_EPOCH=1578616200: 2020-01-10T00:30:00Z, as in metadata-action's tests. */
export const NOW = new Date(1578616200 * 1000)

const RUNS = {
  'push main': {eventName: 'push', ref: 'refs/heads/main', sha: SHA, fixture: 'push-main'},
  'push feature branch': {
    eventName: 'push',
    ref: 'refs/heads/feature/Login_Page#2',
    sha: SHA,
    fixture: 'push-feature-branch',
  },
  'push tag v1.2.3': {
    eventName: 'push',
    ref: 'refs/tags/v1.2.3',
    sha: SHA,
    fixture: 'push-tag-v1.2.3',
  },
  'push tag v1.3.0-rc.1': {
    eventName: 'push',
    ref: 'refs/tags/v1.3.0-rc.1',
    sha: SHA,
    fixture: 'push-tag-v1.3.0-rc.1',
  },
  pull_request: {
    eventName: 'pull_request',
    ref: 'refs/pull/42/merge',
    sha: MERGE_SHA,
    fixture: 'pull-request',
  },
  // pull_request_target runs on the base branch: GITHUB_REF is the base, GITHUB_SHA its head.
  pull_request_target: {
    eventName: 'pull_request_target',
    ref: 'refs/heads/main',
    sha: SHA,
    fixture: 'pull-request-target',
  },
  release: {eventName: 'release', ref: 'refs/tags/v2.0.0', sha: SHA, fixture: 'release-published'},
  schedule: {eventName: 'schedule', ref: 'refs/heads/main', sha: SHA, fixture: 'schedule'},
  workflow_dispatch: {
    eventName: 'workflow_dispatch',
    ref: 'refs/heads/main',
    sha: SHA,
    fixture: 'workflow-dispatch',
  },
  'create tag': {eventName: 'create', ref: 'refs/tags/v1.0.0', sha: SHA, fixture: 'create-tag'},
  'create branch': {
    eventName: 'create',
    ref: 'refs/heads/release/2024.03',
    sha: SHA,
    fixture: 'create-branch',
  },
  'empty ref': {eventName: 'repository_dispatch', ref: '', sha: SHA, fixture: 'empty'},
} as const

export type RunName = keyof typeof RUNS

/** The event payload fixture as GitHub writes it to GITHUB_EVENT_PATH. */
export function loadEvent(fixture: string): Record<string, unknown> {
  const url = new URL(`../../fixtures/events/${fixture}.json`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>
}

/** A TagContext for one of the runs above; the default branch is `main` unless overridden. */
export function runContext(name: RunName, overrides: Partial<TagContext> = {}): TagContext {
  const run = RUNS[name]
  return {
    eventName: run.eventName,
    ref: run.ref,
    sha: run.sha,
    payload: loadEvent(run.fixture),
    defaultBranch: 'main',
    now: NOW,
    prHeadSha: true,
    ...overrides,
  }
}
