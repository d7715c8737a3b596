import {describe, expect, test} from 'vitest'
import {
  buildxArguments,
  ghaCacheEnvironment,
  parseBuildxMetadata,
} from '../../src/adapters/buildx-engine.js'
import type {BuildStep} from '../../src/adapters/ports.js'
import {ActionError} from '../../src/errors.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

function step(overrides: Partial<BuildStep> = {}): BuildStep {
  return {
    image: 'todo-backend',
    imageName: 'iad.ocir.io/ns/todo-backend',
    context: 'backend',
    file: 'backend/Dockerfile',
    buildArgs: {},
    labels: {},
    platforms: [],
    refs: ['iad.ocir.io/ns/todo-backend:sha-0123456', 'iad.ocir.io/ns/todo-backend:latest'],
    pushRefs: ['iad.ocir.io/ns/todo-backend:sha-0123456'],
    push: true,
    ...overrides,
  }
}

describe('buildxArguments', () => {
  test('pushes only the immutable refs, reads the digest from a metadata file, no provenance', () => {
    const {args, env} = buildxArguments(step(), {provenance: false}, '/tmp/m.json')
    expect(args).toEqual([
      'buildx',
      'build',
      '--file',
      'backend/Dockerfile',
      '--provenance=false',
      '--tag',
      'iad.ocir.io/ns/todo-backend:sha-0123456',
      '--push',
      '--metadata-file',
      '/tmp/m.json',
      'backend',
    ])
    expect(env).toEqual({})
  })

  test.each([
    {
      why: 'several platforms are one comma-separated flag',
      given: step({platforms: ['linux/amd64', 'linux/arm64']}),
      options: {provenance: false},
      contains: ['--platform', 'linux/amd64,linux/arm64'],
    },
    {
      why: 'provenance can be turned on',
      given: step(),
      options: {provenance: true},
      contains: ['--provenance=true'],
    },
    {
      why: 'a target stage',
      given: step({target: 'runtime'}),
      options: {provenance: false},
      contains: ['--target', 'runtime'],
    },
    {
      why: 'the GitHub cache gets a scope per image',
      given: step(),
      options: {provenance: false, ghaCache: {ACTIONS_CACHE_URL: 'https://cache'}},
      contains: [
        '--cache-from',
        'type=gha,scope=todo-backend',
        '--cache-to',
        'type=gha,mode=max,scope=todo-backend',
      ],
    },
    {
      why: 'labels',
      given: step({labels: {'org.opencontainers.image.version': '1.2.3'}}),
      options: {provenance: false},
      contains: ['--label', 'org.opencontainers.image.version=1.2.3'],
    },
    {
      why: 'no immutable tag: pushed by digest only, so no tag moves before the release is complete',
      given: step({pushRefs: []}),
      options: {provenance: false},
      contains: [
        '--output',
        'type=image,name=iad.ocir.io/ns/todo-backend,push-by-digest=true,name-canonical=true,push=true',
      ],
    },
  ])('$why', ({given, options, contains}) => {
    const {args} = buildxArguments(given, options, '/m.json')
    const at = args.indexOf(contains[0])
    expect(at, args.join(' ')).toBeGreaterThanOrEqual(0)
    expect(args.slice(at, at + contains.length)).toEqual(contains)
  })

  test('without the cache service there are no cache flags; moving refs are never tagged', () => {
    const {args} = buildxArguments(step(), {provenance: false}, '/m.json')
    expect(args.join(' ')).not.toMatch(/cache|latest/)
  })

  test('build only: neither --push nor an output', () => {
    const {args} = buildxArguments(step({push: false}), {provenance: false}, '/m.json')
    expect(args).not.toContain('--push')
    expect(args).not.toContain('--output')
  })

  test('build-arg values travel in the environment, except names buildx reads itself', () => {
    const {args, env} = buildxArguments(
      step({buildArgs: {NPM_TOKEN: 's3cret', BUILDKIT_INLINE_CACHE: '1'}}),
      {provenance: false},
      '/m.json',
    )
    expect(args).toContain('NPM_TOKEN')
    expect(args.join(' ')).not.toContain('s3cret')
    expect(args).toContain('BUILDKIT_INLINE_CACHE=1')
    expect(env).toEqual({NPM_TOKEN: 's3cret'})
  })
})

describe('parseBuildxMetadata', () => {
  test.each([
    {
      why: 'an image push',
      text: JSON.stringify({
        'buildx.build.ref': 'builder/builder0/abc',
        'containerimage.config.digest': `sha256:${'b'.repeat(64)}`,
        'containerimage.descriptor': {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: DIGEST,
          size: 481,
        },
        'containerimage.digest': DIGEST,
        'image.name': 'iad.ocir.io/ns/todo-backend:sha-0123456',
      }),
      want: {digest: DIGEST},
    },
    {
      why: 'a build without output has no digest',
      text: JSON.stringify({'buildx.build.ref': 'builder/builder0/abc'}),
      want: {},
    },
  ])('$why', ({text, want}) => {
    expect(parseBuildxMetadata(text)).toEqual(want)
  })

  test.each([
    {why: 'not JSON', text: 'oops', message: /not JSON/},
    {
      why: 'a digest that is not one',
      text: '{"containerimage.digest": "sha256:xyz"}',
      message: /unusable image digest/,
    },
  ])('rejects $why', ({text, message}) => {
    expect(() => parseBuildxMetadata(text)).toThrow(ActionError)
    expect(() => parseBuildxMetadata(text)).toThrow(message)
  })
})

test.each([
  {why: 'no cache service on this runner', env: {ACTIONS_RUNTIME_TOKEN: 't'}, want: undefined},
  {
    why: 'the cache service (v1)',
    env: {ACTIONS_CACHE_URL: 'https://c/', ACTIONS_RUNTIME_TOKEN: 't'},
    want: {ACTIONS_CACHE_URL: 'https://c/', ACTIONS_RUNTIME_TOKEN: 't'},
  },
  {
    why: 'the cache service (v2)',
    env: {
      ACTIONS_RESULTS_URL: 'https://r/',
      ACTIONS_RUNTIME_TOKEN: 't',
      ACTIONS_CACHE_SERVICE_V2: 'True',
    },
    want: {
      ACTIONS_RESULTS_URL: 'https://r/',
      ACTIONS_RUNTIME_TOKEN: 't',
      ACTIONS_CACHE_SERVICE_V2: 'True',
    },
  },
])('ghaCacheEnvironment: $why', ({env, want}) => {
  expect(ghaCacheEnvironment(env)).toEqual(want)
})
