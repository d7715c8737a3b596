import {realpathSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {readConfig} from '../../src/config/read-config.js'
import {InputError} from '../../src/errors.js'
import {dryRunCommands} from '../../src/plan/dry-run.js'
import {planRun} from '../../src/plan/run-plan.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

const NOW = new Date('2026-11-23T12:00:00Z')
const COMMIT = new Date('2026-11-20T10:00:00Z')

function plan(
  inputs: Record<string, string>,
  env: Record<string, string | undefined>,
  commitDate?: Date,
) {
  const config = readConfig(
    (name) => ({registry: 'r.example', namespace: 'ns', images: 'frontend', ...inputs})[name] ?? '',
    {
      GITHUB_WORKSPACE: join(PROJECT_ROOT, 'examples/todo-app/frontend'),
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      ...env,
    },
  )
  const now = config.sourceDateEpoch === undefined ? NOW : new Date(config.sourceDateEpoch * 1000)
  return planRun(config, {now, defaultBranch: 'main', commitDate})
}

test.each([
  {
    why: 'created is the commit time when the event gives it, so a re-run rebuilds the same image',
    env: {},
    commitDate: COMMIT,
    want: COMMIT.toISOString(),
  },
  {
    why: 'SOURCE_DATE_EPOCH wins over the commit time',
    env: {SOURCE_DATE_EPOCH: '1700000000'},
    commitDate: COMMIT,
    want: '2023-11-14T22:13:20.000Z',
  },
  {
    why: 'without a commit time, created is the build time',
    env: {},
    commitDate: undefined,
    want: NOW.toISOString(),
  },
])('$why', ({env, commitDate, want}) => {
  expect(plan({}, env, commitDate).labels['org.opencontainers.image.created']).toBe(want)
})

test('a run that would push but has no tag fails before anything happens, naming the event and the rules', () => {
  const attempt = () => plan({tags: 'type=ref,event=pr'}, {})
  expect(attempt).toThrow(InputError)
  expect(attempt).toThrow(
    /no tag rule yields a tag for this push \(ref 'refs\/heads\/main', rules: type=ref,event=pr\)/,
  )
})

test('a dry run with no tag only warns and plans no reference', () => {
  const result = plan({tags: 'type=ref,event=pr', 'dry-run': 'true'}, {})
  expect(result.tagPlan.tags).toEqual([])
  expect(result.plans[0].refs).toEqual([])
})

describe('a dry run lists the commands in the configured builder’s words', () => {
  test.each([
    {
      why: 'buildah builds and pushes with buildah',
      builder: 'buildah',
      has: [
        'buildah login --authfile /rt/ocir-push-docker-XXXXXX/config.json --username u --password-stdin r.example',
        'buildah bud --authfile /rt/ocir-push-docker-XXXXXX/config.json --layers --cache-from r.example/ns/frontend-buildcache --cache-to r.example/ns/frontend-buildcache --format docker --file Dockerfile',
        '--digestfile /rt/ocir-push-docker-XXXXXX/push-r.example_ns_frontend_sha-0123456.digest r.example/ns/frontend:sha-0123456 docker://r.example/ns/frontend:sha-0123456',
      ],
      lacks: 'docker login',
    },
    {
      why: 'buildx pushes while building, immutable tags only',
      builder: 'buildx',
      has: [
        'docker buildx build --file Dockerfile',
        // The context as the builder gets it: resolved, absolute.
        `--tag r.example/ns/frontend:sha-0123456 --push --metadata-file /rt/ocir-push-docker-XXXXXX/buildx-frontend-default.json ${realpathSync(join(PROJECT_ROOT, 'examples/todo-app/frontend'))}`,
      ],
      lacks: 'docker push',
    },
    {
      why: 'auto says the builder is chosen at run time',
      builder: 'auto',
      has: [
        '# builder auto',
        'docker build --file /rt/ocir-push-docker-XXXXXX/frontend-default.Dockerfile --tag',
        'docker push r.example/ns/frontend:sha-0123456',
      ],
      lacks: 'buildah push',
    },
  ])('$why', async ({builder, has, lacks}) => {
    const inputs = {builder, 'dry-run': 'true', username: 'u', 'auth-token': 't'}
    const config = readConfig(
      (name) =>
        ({registry: 'r.example', namespace: 'ns', images: 'frontend', ...inputs})[name] ?? '',
      {
        GITHUB_WORKSPACE: join(PROJECT_ROOT, 'examples/todo-app/frontend'),
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        RUNNER_TEMP: '/rt',
      },
    )
    const text = dryRunCommands(config, planRun(config, {now: NOW, defaultBranch: 'main'})).join(
      '\n',
    )
    for (const fragment of has) expect(text).toContain(fragment)
    expect(text).not.toContain(lacks)
    expect(text).toContain('copy manifest r.example/ns/frontend:sha-0123456 -> main, latest')
  })
})

test('DOCKER_METADATA_SHORT_SHA_LENGTH reaches the sha tag and the per-platform tags', () => {
  const result = plan(
    {tags: 'type=sha', stage: 'platform', platforms: 'linux/amd64'},
    {DOCKER_METADATA_SHORT_SHA_LENGTH: '10'},
  )
  expect(result.tagPlan.tags.map((tag) => tag.name)).toEqual(['sha-0123456789'])
  expect(result.legs?.[0].legs.map((leg) => leg.tag)).toEqual(['sha-0123456789-linux-amd64'])
})
