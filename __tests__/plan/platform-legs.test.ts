import {describe, expect, test} from 'vitest'
import type {ImageSpec, Stage} from '../../src/model/action-config.js'
import {imageIndex, legProblem} from '../../src/plan/image-index.js'
import {ociAnnotations} from '../../src/plan/tags/annotations.js'
import {
  checkStagePlatforms,
  parsePlatform,
  planLegs,
  platformTag,
  platformTagBase,
} from '../../src/plan/platform-legs.js'
import {planPushes} from '../../src/plan/push-plan.js'
import {computeTags} from '../../src/plan/tags/compute-tags.js'
import {expectInputError} from '../fixtures/expect-input-error.js'
import {runContext, type RunName} from './tags/run-context.js'

const imageOf = (name: string, platforms: string[] = []): ImageSpec => ({
  name,
  context: name,
  file: `${name}/Dockerfile`,
  buildArgs: {},
  platforms,
  labels: {},
})

describe('platformTagBase: the sha tag of the run, or sha-<7> of the commit', () => {
  test.each<{why: string; run: RunName; rules: string[]; want: string}>([
    {why: 'default rules give sha-<7>', run: 'push main', rules: [], want: 'sha-a1b2c3d'},
    {
      why: 'a pull request uses the PR head, as type=sha does',
      run: 'pull_request',
      rules: [],
      want: 'sha-feedfac',
    },
    {
      why: "the user's prefix carries over",
      run: 'push main',
      rules: ['type=sha,prefix=commit-'],
      want: 'commit-a1b2c3d',
    },
    {
      why: 'type need not come first on the line',
      run: 'push main',
      rules: ['type=ref,event=branch', 'prefix=git-,type=sha'],
      want: 'git-a1b2c3d',
    },
    {
      why: 'format=long gives the whole SHA',
      run: 'push main',
      rules: ['type=sha,format=long'],
      want: 'sha-a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    },
    {
      why: 'no sha rule: derived from the commit',
      run: 'push tag v1.2.3',
      rules: ['type=semver,pattern={{version}}'],
      want: 'sha-a1b2c3d',
    },
    {
      why: 'a raw tag that looks like a sha tag is not one',
      run: 'push main',
      rules: ['type=raw,value=sha-custom'],
      want: 'sha-a1b2c3d',
    },
    {
      why: 'no sha rule on a pull request: derived from the PR head',
      run: 'pull_request',
      rules: ['type=ref,event=pr'],
      want: 'sha-feedfac',
    },
  ])('$why', ({run, rules, want}) => {
    const context = runContext(run)
    const plan = computeTags(rules, [], context)
    expect(platformTagBase(plan.tags, plan.revision ?? context.sha)).toBe(want)
  })

  test('a run without any commit SHA and no sha tag cannot name per-platform tags', () => {
    expect(() => platformTagBase([], '')).toThrow(/GITHUB_SHA is empty/)
  })
})

describe('platformTag: <sha tag>-<os>-<arch>[-<variant>]', () => {
  test.each([
    {why: 'amd64', platform: 'linux/amd64', want: 'sha-0123456-linux-amd64'},
    {why: 'arm64', platform: 'linux/arm64', want: 'sha-0123456-linux-arm64'},
    {why: 'a variant is the last part', platform: 'linux/arm/v7', want: 'sha-0123456-linux-arm-v7'},
    {why: 'arm64 with a variant', platform: 'linux/arm64/v8', want: 'sha-0123456-linux-arm64-v8'},
    {why: 'another OS', platform: 'windows/amd64', want: 'sha-0123456-windows-amd64'},
  ])('$why', ({platform, want}) => {
    expect(platformTag('sha-0123456', platform)).toBe(want)
  })

  test('a base near the 128-character limit still gives valid, distinct tags', () => {
    const base = `sha-${'a'.repeat(120)}`
    const amd64 = platformTag(base, 'linux/amd64')
    const arm64 = platformTag(base, 'linux/arm64')
    for (const tag of [amd64, arm64]) expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/)
    expect(amd64).not.toBe(arm64)
  })

  test.each([
    {
      why: 'a variant',
      platform: 'linux/arm/v7',
      want: {architecture: 'arm', os: 'linux', variant: 'v7'},
    },
    {why: 'no variant', platform: 'linux/amd64', want: {architecture: 'amd64', os: 'linux'}},
  ])('parsePlatform: $why', ({platform, want}) => {
    expect(parsePlatform(platform)).toStrictEqual(want)
  })

  test.each([
    {why: 'no architecture', platform: 'linux'},
    {why: 'too many parts', platform: 'linux/arm/v7/x'},
    {why: 'an empty variant', platform: 'linux/arm/'},
  ])('parsePlatform rejects $why', ({platform}) => {
    expectInputError(() => parsePlatform(platform), 'platforms', /os\/arch\[\/variant\]/)
  })
})

describe('checkStagePlatforms: platform and merge runs need every image’s platforms', () => {
  test.each<{why: string; stage: Stage; images: ImageSpec[]; want: RegExp}>([
    {
      why: 'platform run, image without platforms: names the image and the runner fix',
      stage: 'platform',
      images: [imageOf('todo-frontend', ['linux/amd64']), imageOf('todo-backend')],
      want: /image 'todo-backend' has no platforms, and stage: platform needs them.*this runner's platform/,
    },
    {
      why: 'merge run, image without platforms: asks for every platform pushed',
      stage: 'merge',
      images: [imageOf('todo-recurring')],
      want: /image 'todo-recurring' has no platforms, and stage: merge needs them.*linux\/amd64,linux\/arm64/,
    },
    {
      why: 'a platform listed twice',
      stage: 'merge',
      images: [imageOf('todo-backend', ['linux/amd64', 'linux/arm64', 'linux/amd64'])],
      want: /image 'todo-backend' lists platform linux\/amd64 twice/,
    },
    {
      why: 'a platform that is not os/arch',
      stage: 'platform',
      images: [imageOf('todo-backend', ['arm64'])],
      want: /'arm64' is not a platform/,
    },
  ])('$why', ({stage, images, want}) => {
    expectInputError(() => checkStagePlatforms(stage, images), 'platforms', want)
  })

  test.each<{why: string; stage: Stage; images: ImageSpec[]}>([
    {why: 'stage all needs no platforms', stage: 'all', images: [imageOf('app')]},
    {
      why: 'every image has platforms',
      stage: 'merge',
      images: [imageOf('a', ['linux/amd64', 'linux/arm64']), imageOf('b', ['linux/arm/v7'])],
    },
  ])('accepted: $why', ({stage, images}) => {
    expect(() => checkStagePlatforms(stage, images)).not.toThrow()
  })
})

describe('planLegs', () => {
  test('one leg per platform, in the order written, with its per-platform reference', () => {
    const tags = [
      {name: 'main', moving: true, isLatest: false},
      {name: 'sha-0123456', moving: false, isLatest: false},
    ]
    const plans = planPushes(
      [imageOf('web', ['linux/amd64', 'linux/arm64']), imageOf('api', ['linux/arm/v7'])],
      'r.example',
      'ns',
      tags,
    )
    const stage = planLegs('platform', plans, 'sha-0123456')
    expect(stage.map(({plan, legs}) => [plan.image.name, legs])).toEqual([
      [
        'web',
        [
          {
            platform: 'linux/amd64',
            tag: 'sha-0123456-linux-amd64',
            ref: 'r.example/ns/web:sha-0123456-linux-amd64',
          },
          {
            platform: 'linux/arm64',
            tag: 'sha-0123456-linux-arm64',
            ref: 'r.example/ns/web:sha-0123456-linux-arm64',
          },
        ],
      ],
      [
        'api',
        [
          {
            platform: 'linux/arm/v7',
            tag: 'sha-0123456-linux-arm-v7',
            ref: 'r.example/ns/api:sha-0123456-linux-arm-v7',
          },
        ],
      ],
    ])
  })

  test.each([
    {
      why: "platform run: an image's own platforms meet this runner's",
      stage: 'platform' as const,
      runner: ['linux/arm64'],
      want: [['linux/arm64'], []],
    },
    {
      why: 'platform run without a platforms input: every platform of the image',
      stage: 'platform' as const,
      runner: [],
      want: [['linux/amd64', 'linux/arm64'], ['linux/amd64']],
    },
    {
      why: "merge run: each image's own list, whatever the step's",
      stage: 'merge' as const,
      runner: ['linux/arm64'],
      want: [['linux/amd64', 'linux/arm64'], ['linux/amd64']],
    },
  ])('$why', ({stage, runner, want}) => {
    const plans = planPushes(
      [imageOf('web', ['linux/amd64', 'linux/arm64']), imageOf('amd64-only', ['linux/amd64'])],
      'r.example',
      'ns',
      [],
    )
    const legs = planLegs(stage, plans, 'sha-0123456', runner).map((image) =>
      image.legs.map((leg) => leg.platform),
    )
    expect(legs).toEqual(want)
  })

  test('validates before planning', () => {
    const plans = planPushes([imageOf('web')], 'r.example', 'ns', [])
    expectInputError(() => planLegs('merge', plans, 'sha-0123456'), 'platforms', /'web'/)
  })
})

describe('the image index', () => {
  const amd64 = {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    digest: `sha256:${'a'.repeat(64)}`,
    size: 428,
  }
  const armV7 = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${'b'.repeat(64)}`,
    size: 512,
  }

  test('an OCI index of the legs, in platform order, with the OCI labels as annotations', () => {
    const body = imageIndex(
      [
        {platform: 'linux/amd64', manifest: amd64},
        {platform: 'linux/arm/v7', manifest: armV7},
      ],
      {
        'org.opencontainers.image.revision': '0123456',
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'app.version': '2.0',
      },
    )
    expect(JSON.parse(body)).toStrictEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {...amd64, platform: {architecture: 'amd64', os: 'linux'}},
        {...armV7, platform: {architecture: 'arm', os: 'linux', variant: 'v7'}},
      ],
      annotations: {
        'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
        'org.opencontainers.image.revision': '0123456',
      },
    })
  })

  test('the same legs and labels give the same bytes, whatever the label order', () => {
    const legs = [{platform: 'linux/amd64', manifest: amd64}]
    expect(
      imageIndex(legs, {'org.opencontainers.image.a': '1', 'org.opencontainers.image.b': '2'}),
    ).toBe(imageIndex(legs, {'org.opencontainers.image.b': '2', 'org.opencontainers.image.a': '1'}))
  })

  test('no OCI labels: no annotations field', () => {
    expect(
      JSON.parse(imageIndex([{platform: 'linux/amd64', manifest: amd64}], {a: 'b'})),
    ).not.toHaveProperty('annotations')
    expect(ociAnnotations({'x.y': 'z'})).toEqual({})
  })

  test.each([
    {why: 'Docker schema 2 image', mediaType: amd64.mediaType, want: undefined},
    {why: 'OCI image', mediaType: armV7.mediaType, want: undefined},
    {
      why: 'an OCI index (buildx with attestations)',
      mediaType: 'application/vnd.oci.image.index.v1+json',
      want: /multi-platform index.*provenance: false/,
    },
    {
      why: 'a Docker manifest list',
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      want: /multi-platform index/,
    },
    {
      why: 'schema 1',
      mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
      want: /is not an image manifest/,
    },
  ])('legProblem: $why', ({mediaType, want}) => {
    const problem = legProblem({...amd64, mediaType})
    if (want) expect(problem).toMatch(want)
    else expect(problem).toBeUndefined()
  })
})
