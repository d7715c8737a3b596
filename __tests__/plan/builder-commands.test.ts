import {describe, expect, test} from 'vitest'
import {
  buildCommand,
  labelLine,
  renderCommand,
  type BuilderSettings,
  type ConcreteBuilder,
} from '../../src/plan/builder-commands.js'
import type {BuildStep} from '../../src/plan/build-step.js'

const settings = (
  builder: ConcreteBuilder,
  more: Partial<BuilderSettings> = {},
): BuilderSettings => ({
  builder,
  configDir: '/cfg',
  insecureHosts: [],
  provenance: false,
  ghaCache: false,
  ...more,
})
const buildx = (more: Partial<BuilderSettings>): BuilderSettings => settings('buildx', more)

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

describe('buildx build arguments', () => {
  test('pushes only the immutable refs, reads the digest from a metadata file, no provenance', () => {
    const {args, env} = buildCommand(buildx({provenance: false}), step())
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
      '/cfg/buildx-todo-backend-default.json',
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
      options: {provenance: false, ghaCache: true},
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
    const {args} = buildCommand(buildx(options), given)
    const at = args.indexOf(contains[0])
    expect(at, args.join(' ')).toBeGreaterThanOrEqual(0)
    expect(args.slice(at, at + contains.length)).toEqual(contains)
  })

  test('without the cache service there are no cache flags; moving refs are never tagged', () => {
    const {args} = buildCommand(buildx({provenance: false}), step())
    expect(args.join(' ')).not.toMatch(/cache|latest/)
  })

  test('build only: neither --push nor an output', () => {
    const {args} = buildCommand(buildx({provenance: false}), step({push: false}))
    expect(args).not.toContain('--push')
    expect(args).not.toContain('--output')
  })

  test('build-arg values travel in the environment, except names buildx reads itself', () => {
    const {args, env} = buildCommand(
      buildx({provenance: false}),
      step({buildArgs: {NPM_TOKEN: 's3cret', BUILDKIT_INLINE_CACHE: '1'}}),
    )
    expect(args).toContain('NPM_TOKEN')
    expect(args.join(' ')).not.toContain('s3cret')
    expect(args).toContain('BUILDKIT_INLINE_CACHE=1')
    expect(env).toEqual({NPM_TOKEN: 's3cret'})
  })
})

test('buildah and podman build arguments: docker format, authfile, timestamp, one platform', () => {
  const step = {
    image: 'api',
    imageName: 'h/ns/api',
    context: 'api',
    file: 'api/Dockerfile',
    buildArgs: {TOKEN: 'x', BUILDAH_ISOLATION: 'chroot'},
    labels: {a: 'b'},
    platforms: ['linux/arm64'],
    refs: ['h/ns/api:1'],
    pushRefs: ['h/ns/api:1'],
    push: true,
    sourceDateEpoch: 1700000000,
  }
  const {args, env} = buildCommand(settings('buildah'), step)
  expect(args).toEqual([
    'bud',
    '--authfile',
    '/cfg/config.json',
    '--format',
    'docker',
    '--file',
    'api/Dockerfile',
    '--platform',
    'linux/arm64',
    '--timestamp',
    '1700000000',
    '--build-arg',
    'TOKEN',
    '--build-arg',
    'BUILDAH_ISOLATION=chroot',
    '--label',
    'a=b',
    '--tag',
    'h/ns/api:1',
    'api',
  ])
  expect(env).toEqual({TOKEN: 'x'})
  expect(buildCommand(settings('podman'), step).args[0]).toBe('build')
  expect(() =>
    buildCommand(settings('podman'), {...step, platforms: ['linux/amd64', 'linux/arm64']}),
  ).toThrow(/one platform at a time/)
})

describe('renderCommand: a shell line for the dry run', () => {
  test.each([
    {
      why: 'plain words stay bare',
      args: ['push', 'r.example/ns/app:sha-0123456'],
      want: 'docker push r.example/ns/app:sha-0123456',
    },
    {
      why: 'a space is quoted',
      args: ['--label', 'team=web ui'],
      want: "docker --label 'team=web ui'",
    },
    {why: 'a single quote survives', args: ['--label', "it's"], want: `docker --label 'it'\\''s'`},
    {why: 'an empty word is kept', args: ['--label', ''], want: "docker --label ''"},
  ])('$why', ({args, want}) => {
    expect(renderCommand({tool: 'docker', args})).toBe(want)
  })
})

describe('labelLine: the one LABEL line of the classic builder', () => {
  test.each([
    {
      why: 'backslash escape',
      escape: '\\',
      value: 'a "b" $c \\d',
      want: 'LABEL "k"="a \\"b\\" \\$c \\\\d"',
    },
    {
      why: 'backtick escape',
      escape: '`',
      value: 'a "b" $c \\d',
      want: 'LABEL "k"="a `"b`" `$c \\d"',
    },
  ])('$why', ({escape, value, want}) => {
    expect(labelLine({k: value}, escape)).toBe(want)
  })
})
