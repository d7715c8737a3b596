/**
 * Tags as users see them, through `node dist/index.js`: the outputs of a dry run for every kind of
 * event, and `latest` against a real registry on a backport and a prerelease.
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const FRONTEND = join(PROJECT_ROOT, 'examples/todo-app/frontend')

function event(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(join(PROJECT_ROOT, '__tests__/fixtures/events', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>
}

describe('dry run: version, tag-names, tags and labels per event', () => {
  test.each([
    {
      why: 'a push to the default branch gets the branch, sha and latest',
      fixture: 'push-main',
      eventName: 'push',
      ref: 'refs/heads/main',
      version: 'main',
      tags: ['main', 'sha-SHORT', 'latest'],
    },
    {
      why: 'a push to another branch is sanitised and gets no latest',
      fixture: 'push-feature-branch',
      eventName: 'push',
      ref: 'refs/heads/feature/login',
      version: 'feature-login',
      tags: ['feature-login', 'sha-SHORT'],
    },
    {
      why: 'a stable semver tag gets full, minor, major, sha and latest',
      fixture: 'push-tag-v1.2.3',
      eventName: 'push',
      ref: 'refs/tags/v1.2.3',
      version: '1.2.3',
      tags: ['1.2.3', '1.2', '1', 'sha-SHORT', 'latest'],
    },
    {
      why: 'a prerelease tag never gets latest',
      fixture: 'push-tag-v1.3.0-rc.1',
      eventName: 'push',
      ref: 'refs/tags/v1.3.0-rc.1',
      version: '1.3.0-rc.1',
      tags: ['1.3.0-rc.1', 'sha-SHORT'],
    },
    {
      why: 'a pull request tags the PR head, not the merge commit',
      fixture: 'pull-request',
      eventName: 'pull_request',
      ref: 'refs/pull/42/merge',
      version: 'pr-42',
      tags: ['pr-42', 'sha-feedfac'],
      revision: 'feedface0123456789abcdef0123456789abcdef',
    },
    {
      why: 'a published release is tagged like its semver tag',
      fixture: 'release-published',
      eventName: 'release',
      ref: 'refs/tags/v2.0.0',
      version: '2.0.0',
      tags: ['2.0.0', '2.0', '2', 'sha-SHORT', 'latest'],
    },
    {
      why: 'a scheduled run is nightly',
      fixture: 'schedule',
      eventName: 'schedule',
      ref: 'refs/heads/main',
      version: 'nightly',
      tags: ['nightly', 'main', 'sha-SHORT'],
    },
  ])('$why', async ({fixture, eventName, ref, version, tags, revision}) => {
    const payload = event(fixture)
    const sha = (payload.after as string | undefined) ?? '0123456789abcdef0123456789abcdef01234567'
    const run = await runAction({
      inputs: {
        registry: 'localhost:5999',
        namespace: 'acme',
        images: 'todo-frontend',
        'dry-run': 'true',
      },
      workspace: FRONTEND,
      eventName,
      ref,
      sha,
      event: payload,
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    const wanted = tags.map((tag) => tag.replace('SHORT', sha.slice(0, 7)))
    expect(run.outputs.version).toBe(version)
    expect(run.outputs['tag-names'].split('\n')).toEqual(wanted)
    expect(run.outputs.tags.split('\n')).toEqual(
      wanted.map((tag) => `localhost:5999/acme/todo-frontend:${tag}`),
    )
    const labels = Object.fromEntries(
      run.outputs.labels
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
    expect(labels).toMatchObject({
      'org.opencontainers.image.revision': revision ?? sha,
      'org.opencontainers.image.version': version,
      'org.opencontainers.image.source': 'https://github.com/acme/todo',
    })
    // Nothing was logged in, so the post step has nothing to remove.
    expect(run.state.cleanup).toBeUndefined()
  })
})

describe('latest never lies, against a real registry', () => {
  const registry = env.registries.htpasswd
  const namespace = uniqueNamespace('rel')
  const repository = `${namespace}/todo-frontend`

  async function release(tag: string, sha: string) {
    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace,
        username: registry.username,
        'auth-token': registry.password,
        images: 'todo-frontend',
        builder: 'docker',
      },
      workspace: FRONTEND,
      ref: `refs/tags/${tag}`,
      sha,
      event: {
        ref: `refs/tags/${tag}`,
        after: sha,
        head_commit: {id: sha, timestamp: '2026-11-01T00:00:00Z'},
        repository: {
          default_branch: 'main',
          full_name: 'acme/todo',
          html_url: 'https://github.com/acme/todo',
        },
      },
    })
    await runPost(run)
    return run
  }

  test('v1.2.3 moves latest; the backport v1.1.9 and the prerelease v1.3.0-rc.1 leave it on 1.2.3', async () => {
    const first = await release('v1.2.3', '1111111111111111111111111111111111111111')
    expect(first.exitCode).toBe(0)
    const released = await registryDigest(registry, repository, '1.2.3')
    expect(released).toBeDefined()
    expect(await registryDigest(registry, repository, 'latest')).toBe(released)

    const backport = await release('v1.1.9', '2222222222222222222222222222222222222222')
    expect(backport.errors).toEqual([])
    expect(backport.exitCode).toBe(0)
    expect(backport.stdout).toMatch(/::notice::.*latest.*1\.2\.3/)
    expect(backport.outputs.tags.split('\n')).not.toContain(`${registry.host}/${repository}:latest`)
    const backported = await registryDigest(registry, repository, '1.1.9')
    expect(backported).toBeDefined()
    expect(backported).not.toBe(released)
    expect(await registryDigest(registry, repository, 'latest')).toBe(released)

    const prerelease = await release('v1.3.0-rc.1', '3333333333333333333333333333333333333333')
    expect(prerelease.exitCode).toBe(0)
    expect(prerelease.outputs['tag-names'].split('\n')).toEqual(['1.3.0-rc.1', 'sha-3333333'])
    expect(await registryDigest(registry, repository, 'latest')).toBe(released)
    expect((await registryTags(registry, repository)).sort()).toEqual(
      [
        '1',
        '1.1',
        '1.1.9',
        '1.2',
        '1.2.3',
        '1.3.0-rc.1',
        'latest',
        'sha-1111111',
        'sha-2222222',
        'sha-3333333',
      ].sort(),
    )
  })
})

test('a pull request from a fork, with no credentials, builds, pushes nothing, and succeeds with a notice', async () => {
  const namespace = uniqueNamespace('fork')
  const payload = event('pull-request') as {pull_request: Record<string, unknown>}
  payload.pull_request = {
    ...payload.pull_request,
    head: {
      ref: 'patch-1',
      sha: 'feedface0123456789abcdef0123456789abcdef',
      repo: {full_name: 'someone/todo'},
    },
    base: {ref: 'main', repo: {full_name: 'acme/todo'}},
  }
  const run = await runAction({
    // The workflow passes secrets GitHub withholds: they arrive empty.
    inputs: {
      registry: env.registries.htpasswd.host,
      namespace,
      username: 'ci-bot',
      'auth-token': '',
      images: 'todo-frontend',
      builder: 'docker',
    },
    workspace: FRONTEND,
    eventName: 'pull_request',
    ref: 'refs/pull/42/merge',
    event: payload,
  })
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  expect(run.stdout).toMatch(/::notice::GitHub withholds secrets from this pull request/)
  expect(run.summary).toContain('GitHub withholds secrets')
  expect(JSON.parse(run.outputs.images)).toMatchObject([
    {name: 'todo-frontend', pushed: false, status: 'built'},
  ])
  expect(await registryTags(env.registries.htpasswd, `${namespace}/todo-frontend`)).toEqual([])
  expect((await runPost(run)).exitCode).toBe(0)
})
