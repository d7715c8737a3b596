import {describe, expect, test} from 'vitest'
import {
  buildxNeeds,
  parseBuildxInspect,
  planBuildxBuilder,
  privateBuilderName,
  type BuildxNeeds,
} from '../../src/plan/buildx-builder.js'
import {isLoopbackHost} from '../../src/plan/registry-target.js'
import type {ImagePlan} from '../../src/plan/push-plan.js'

const NONE: BuildxNeeds = {
  cacheExport: false,
  multiPlatform: [],
  attestations: false,
  pushByDigest: [],
}
const DEFAULT = {name: 'default', driver: 'docker', platforms: []}
const CONTAINER = {name: 'builder-1', driver: 'docker-container', platforms: []}
const options = {createBuilder: true, privateName: 'ocir-push-7-1'}

describe('planBuildxBuilder', () => {
  test.each([
    {
      why: 'any driver but docker is used as it is',
      info: CONTAINER,
      needs: {...NONE, cacheExport: true, multiPlatform: ['a']},
      want: {kind: 'use', builder: 'builder-1', cacheExport: true},
    },
    {
      why: 'the docker driver does what needs nothing it refuses',
      info: DEFAULT,
      needs: NONE,
      want: {kind: 'use', builder: 'default', cacheExport: false},
    },
    {
      why: 'cache export on the docker driver: a private builder',
      info: DEFAULT,
      needs: {...NONE, cacheExport: true},
      want: {
        kind: 'create',
        builder: 'ocir-push-7-1',
        on: 'default',
        why: ['cache export'],
        cacheExport: true,
      },
    },
    {
      why: 'several platforms on the docker driver: a private builder',
      info: DEFAULT,
      needs: {...NONE, multiPlatform: ['todo-frontend']},
      want: {kind: 'create', why: ['multi-platform builds (todo-frontend)']},
    },
    {
      why: 'attestations on the docker driver: a private builder',
      info: DEFAULT,
      needs: {...NONE, attestations: true},
      want: {kind: 'create', why: ['attestations (provenance: true)']},
    },
    {
      why: 'push by digest on the docker driver: a private builder',
      info: DEFAULT,
      needs: {...NONE, pushByDigest: ['api']},
      want: {kind: 'create', why: ['push by digest (api)']},
    },
  ])('$why', ({info, needs, want}) => {
    expect(planBuildxBuilder(info, needs, options)).toMatchObject(want)
  })

  test('the docker driver on the containerd image store exports the cache, builds several platforms and attests itself', () => {
    const info = {...DEFAULT, containerdStore: true}
    const needs = {...NONE, cacheExport: true, multiPlatform: ['web'], attestations: true}
    expect(planBuildxBuilder(info, needs, options)).toEqual({
      kind: 'use',
      builder: 'default',
      driver: 'docker',
      cacheExport: true,
    })
    // Push by digest stays refused there.
    expect(planBuildxBuilder(info, {...needs, pushByDigest: ['api']}, options)).toMatchObject({
      kind: 'create',
      why: ['push by digest (api)'],
    })
  })

  test('no private builder allowed: cache export is dropped, with a note that says how to get it back', () => {
    const plan = planBuildxBuilder(
      DEFAULT,
      {...NONE, cacheExport: true},
      {...options, createBuilder: false},
    )
    expect(plan).toMatchObject({kind: 'use', builder: 'default', cacheExport: false})
    expect(plan.kind === 'use' && plan.note).toMatch(
      /cannot export a layer cache: building without cache export \(buildx-create-builder is false\).*setup-buildx-action/,
    )
  })

  test.each([
    {
      needs: {...NONE, multiPlatform: ['todo-frontend', 'todo-backend']},
      says: /cannot do multi-platform builds \(todo-frontend, todo-backend\)/,
    },
    {
      needs: {...NONE, attestations: true, cacheExport: true},
      says: /cannot do attestations \(provenance: true\); no private builder/,
    },
    {needs: {...NONE, pushByDigest: ['api']}, says: /cannot do push by digest \(api\)/},
  ])(
    'no private builder allowed: $says fails before any build, with the fixes',
    ({needs, says}) => {
      const plan = (): unknown =>
        planBuildxBuilder(DEFAULT, needs, {...options, createBuilder: false})
      expect(plan).toThrow(says)
      try {
        plan()
      } catch (err) {
        expect((err as {hint?: string}).hint).toMatch(
          /setup-buildx-action.*setup-qemu-action.*buildx-create-builder: true/,
        )
      }
    },
  )
})

describe('parseBuildxInspect', () => {
  test('the default builder of a GitHub runner', () => {
    const text = [
      'Name:          default',
      'Driver:        docker',
      'Last Activity: 2026-11-30 09:12:44 +0000 UTC',
      '',
      'Nodes:',
      'Name:             default',
      'Endpoint:         default',
      'Status:           running',
      'BuildKit version: v0.23.2',
      'Platforms:        linux/amd64, linux/amd64/v2, linux/386*',
    ].join('\n')
    expect(parseBuildxInspect(text)).toEqual({
      name: 'default',
      driver: 'docker',
      status: 'running',
      platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/386'],
    })
  })

  test('output without a driver is an error, not a guess', () => {
    expect(() => parseBuildxInspect('something else')).toThrow(/could not read the builder/)
  })
})

test.each([
  {
    github: {runId: '42', runAttempt: '2', job: 'release', action: 'push'},
    want: 'ocir-push-42-2-release-push',
  },
  {
    github: {runId: '42', runAttempt: '', job: 'build (linux/arm64)', action: '__self'},
    want: 'ocir-push-42-1-build_linux_arm64_-__self',
  },
  {github: {}, want: 'ocir-push-local-1'},
])('private builder name $want', ({github, want}) => {
  expect(privateBuilderName(github)).toBe(want)
})

test.each([
  ['localhost:5000', true],
  ['127.0.0.1:5000', true],
  ['[::1]:5000', true],
  ['iad.ocir.io', false],
  ['registry.example.com:5000', false],
])('%s is loopback: %s', (host, want) => {
  expect(isLoopbackHost(host)).toBe(want)
})

describe('buildxNeeds', () => {
  const image = (name: string, platforms: string[], immutableTags: string[]): ImagePlan =>
    ({image: {name, platforms}, immutableTags}) as unknown as ImagePlan
  const plans = [image('web', ['linux/amd64', 'linux/arm64'], ['sha-1']), image('api', [], [])]
  const base = {
    cache: 'auto' as const,
    ghaCache: false,
    stage: 'all' as const,
    push: true,
    provenance: false,
  }
  test.each([
    {
      why: 'stage all, pushing: the registry cache, multi-platform and push by digest',
      config: base,
      want: {cacheExport: true, multiPlatform: ['web'], attestations: false, pushByDigest: ['api']},
    },
    {
      why: 'cache none exports nothing',
      config: {...base, cache: 'none' as const},
      want: {cacheExport: false},
    },
    {
      why: 'not pushing: no registry cache, nothing pushed by digest',
      config: {...base, push: false},
      want: {cacheExport: false, pushByDigest: []},
    },
    {
      why: 'not pushing on GitHub: the GitHub cache still exports',
      config: {...base, push: false, ghaCache: true},
      want: {cacheExport: true},
    },
    {
      why: 'platform legs: one platform each, always tagged',
      config: {...base, stage: 'platform' as const},
      want: {multiPlatform: [], pushByDigest: []},
    },
    {why: 'provenance', config: {...base, provenance: true}, want: {attestations: true}},
  ])('$why', ({config, want}) => {
    expect(buildxNeeds(config, {plans})).toMatchObject(want)
  })
})
