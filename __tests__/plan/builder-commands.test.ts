import {describe, expect, test} from 'vitest'
import {
  annotationNote,
  buildCommand,
  builderSettingsOf,
  cachePullCommands,
  classicBuilderSecretsError,
  labelLine,
  renderCommand,
  writtenSecretFiles,
  type BuilderSettings,
  type ConcreteBuilder,
} from '../../src/plan/builder-commands.js'
import type {BuildStep} from '../../src/plan/build-step.js'
import type {BuildSecret} from '../../src/model/action-config.js'
import {describeFailure, InputError} from '../../src/errors.js'

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
      why: 'the GitHub cache gets a scope per image, and a failed export does not fail the build',
      given: step(),
      options: {provenance: false, ghaCache: true},
      contains: [
        '--cache-from',
        'type=gha,scope=todo-backend',
        '--cache-to',
        'type=gha,mode=max,scope=todo-backend,ignore-error=true',
      ],
    },
    {
      why: 'the GitHub cache gets a scope per image and platform (legs on several runners)',
      given: step({platforms: ['linux/arm64']}),
      options: {provenance: false, ghaCache: true},
      contains: [
        '--cache-from',
        'type=gha,scope=todo-backend-linux-arm64',
        '--cache-to',
        'type=gha,mode=max,scope=todo-backend-linux-arm64,ignore-error=true',
      ],
    },
    {
      why: 'the builder chosen before the builds is named in every build',
      given: step(),
      options: {provenance: false, buildx: {builder: 'ocir-push-1-1', cacheExport: true}},
      contains: ['buildx', 'build', '--builder', 'ocir-push-1-1', '--file'],
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
    buildArgs: {TOKEN: 'x', HTTP_PROXY: 'http://proxy.example:3128'},
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
    'HTTP_PROXY=http://proxy.example:3128',
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

describe('build-arg names and the context word', () => {
  const builders: ConcreteBuilder[] = ['docker', 'buildx', 'buildah', 'podman']
  const onePlatform = {platforms: ['linux/amd64']}

  test.each(builders)(
    '%s: proxy, BuildKit and SOURCE_DATE_EPOCH args go in argv, never the builder’s environment',
    (builder) => {
      const buildArgs = {
        HTTP_PROXY: 'http://p:1',
        https_proxy: 'http://p:2',
        NO_PROXY: 'localhost',
        FTP_PROXY: 'http://p:3',
        all_proxy: 'socks5://p:4',
        BUILDKIT_INLINE_CACHE: '1',
        SOURCE_DATE_EPOCH: '1700000000',
        NPM_TOKEN: 's3cret',
      }
      const {args, env} = buildCommand(settings(builder), step({...onePlatform, buildArgs}))
      expect(env).toEqual({NPM_TOKEN: 's3cret'})
      for (const [name, value] of Object.entries(buildArgs).slice(0, -1))
        expect(args).toContain(`${name}=${value}`)
      expect(args.join(' ')).not.toContain('s3cret')
    },
  )

  test.each(
    builders.flatMap((builder) =>
      ['CONTAINER_HOST', 'DOCKER_HOST', 'PATH', 'LD_PRELOAD', 'BUILDAH_ISOLATION'].map((name) => ({
        builder,
        name,
      })),
    ),
  )('$builder: $name, a setting of the builders, is refused', ({builder, name}) => {
    expect(() =>
      buildCommand(settings(builder), step({...onePlatform, buildArgs: {[name]: 'x'}})),
    ).toThrow(new RegExp(`build arg '${name}' is a variable the builders`))
  })

  test.each(builders)('%s: the context is the last word, as given (absolute)', (builder) => {
    const {args} = buildCommand(settings(builder), step({...onePlatform, context: '/ws/backend'}))
    expect(args.at(-1)).toBe('/ws/backend')
  })

  test.each(
    builders.flatMap((builder) => ['-', '--no-cache'].map((context) => ({builder, context}))),
  )(
    '$builder: a context of $context is never passed as a word the builder reads as stdin or an option',
    ({builder, context}) => {
      expect(() => buildCommand(settings(builder), step({...onePlatform, context}))).toThrow(
        /starts with '-', which the builder would read as stdin or an option/,
      )
    },
  )
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

describe('layer cache arguments', () => {
  const cache = {
    images: ['iad.ocir.io/ns/todo-backend:1.2.2', 'iad.ocir.io/ns/todo-backend:sha-fedcba9'],
    imageName: 'iad.ocir.io/ns/todo-backend-buildcache',
  }
  const loopbackCache = {
    images: ['127.0.0.1:5000/ns/todo-backend:1.2.2'],
    imageName: '127.0.0.1:5000/ns/todo-backend-buildcache',
  }

  test.each([
    {
      why: 'classic docker: one --cache-from per image, after the labels, before the tags',
      builder: 'docker' as const,
      more: {},
      given: step({cache, labels: {}, target: 'runtime'}),
      want: [
        'build',
        '--file',
        'backend/Dockerfile',
        '--target',
        'runtime',
        '--cache-from',
        'iad.ocir.io/ns/todo-backend:1.2.2',
        '--cache-from',
        'iad.ocir.io/ns/todo-backend:sha-fedcba9',
        '--tag',
        'iad.ocir.io/ns/todo-backend:sha-0123456',
        '--tag',
        'iad.ocir.io/ns/todo-backend:latest',
        'backend',
      ],
    },
    {
      why: 'buildah: layers, and the cache repository to read from and write to',
      builder: 'buildah' as const,
      more: {},
      given: step({cache, pushRefs: [], refs: ['iad.ocir.io/ns/todo-backend:1']}),
      want: [
        'bud',
        '--authfile',
        '/cfg/config.json',
        '--layers',
        '--cache-from',
        'iad.ocir.io/ns/todo-backend-buildcache',
        '--cache-to',
        'iad.ocir.io/ns/todo-backend-buildcache',
        '--format',
        'docker',
        '--file',
        'backend/Dockerfile',
        '--tag',
        'iad.ocir.io/ns/todo-backend:1',
        'backend',
      ],
    },
    {
      why: 'podman: the same flags, and no TLS for a loopback cache repository',
      builder: 'podman' as const,
      more: {insecureHosts: ['127.0.0.1:5000']},
      given: step({cache: loopbackCache, refs: ['127.0.0.1:5000/ns/todo-backend:1']}),
      want: [
        'build',
        '--authfile',
        '/cfg/config.json',
        '--layers',
        '--tls-verify=false',
        '--cache-from',
        '127.0.0.1:5000/ns/todo-backend-buildcache',
        '--cache-to',
        '127.0.0.1:5000/ns/todo-backend-buildcache',
        '--format',
        'docker',
        '--file',
        'backend/Dockerfile',
        '--tag',
        '127.0.0.1:5000/ns/todo-backend:1',
        'backend',
      ],
    },
    {
      why: 'buildx without the GitHub cache service: a registry cache under one tag, every stage, as an OCI image manifest',
      builder: 'buildx' as const,
      more: {},
      given: step({cache}),
      want: [
        'buildx',
        'build',
        '--file',
        'backend/Dockerfile',
        '--provenance=false',
        '--cache-from',
        'type=registry,ref=iad.ocir.io/ns/todo-backend-buildcache:buildcache',
        '--cache-to',
        'type=registry,ref=iad.ocir.io/ns/todo-backend-buildcache:buildcache,mode=max,image-manifest=true,oci-mediatypes=true,ignore-error=true',
        '--tag',
        'iad.ocir.io/ns/todo-backend:sha-0123456',
        '--push',
        '--metadata-file',
        '/cfg/buildx-todo-backend-default.json',
        'backend',
      ],
    },
  ])('$why', ({builder, more, given, want}) => {
    expect(buildCommand(settings(builder, more), given).args).toEqual(want)
  })

  test('buildx on GitHub keeps the GitHub cache service, one scope per image, and no registry cache', () => {
    const {args} = buildCommand(buildx({ghaCache: true}), step({cache}))
    expect(args.join(' ')).toContain(
      '--cache-from type=gha,scope=todo-backend --cache-to type=gha,mode=max,scope=todo-backend,ignore-error=true',
    )
    expect(args.join(' ')).not.toContain('type=registry')
  })

  test.each([{ghaCache: true}, {ghaCache: false}])(
    'buildx on a builder that cannot export a cache (ghaCache $ghaCache): no cache flags at all',
    ({ghaCache}) => {
      const {args} = buildCommand(
        buildx({ghaCache, buildx: {builder: 'default', cacheExport: false}}),
        step({cache}),
      )
      expect(args.join(' ')).not.toMatch(/cache/)
      expect(args.slice(0, 4)).toEqual(['buildx', 'build', '--builder', 'default'])
    },
  )

  test.each(['docker', 'buildx', 'buildah', 'podman'] as const)(
    '%s: no cache, no cache flags',
    (builder) => {
      expect(buildCommand(settings(builder), step()).args.join(' ')).not.toMatch(/cache|--layers/)
    },
  )

  test('classic docker: no previous release to take layers from is a build without a cache', () => {
    const noImages = step({cache: {images: [], imageName: cache.imageName}})
    expect(buildCommand(settings('docker'), noImages)).toEqual(
      buildCommand(settings('docker'), step()),
    )
  })

  test.each([
    {
      why: 'classic docker pulls each image first',
      builder: 'docker' as const,
      given: step({cache}),
      want: [
        ['pull', 'iad.ocir.io/ns/todo-backend:1.2.2'],
        ['pull', 'iad.ocir.io/ns/todo-backend:sha-fedcba9'],
      ],
    },
    {
      why: 'a one-platform build pulls that platform of a multi-platform release',
      builder: 'docker' as const,
      given: step({
        cache: {...cache, images: cache.images.slice(0, 1)},
        platforms: ['linux/arm64'],
      }),
      want: [['pull', '--platform', 'linux/arm64', 'iad.ocir.io/ns/todo-backend:1.2.2']],
    },
    {why: 'no cache, no pulls', builder: 'docker' as const, given: step(), want: []},
    {
      why: 'buildx reads the registry itself',
      builder: 'buildx' as const,
      given: step({cache}),
      want: [],
    },
    {
      why: 'buildah reads the registry itself',
      builder: 'buildah' as const,
      given: step({cache}),
      want: [],
    },
    {
      why: 'podman reads the registry itself',
      builder: 'podman' as const,
      given: step({cache}),
      want: [],
    },
  ])('$why', ({builder, given, want}) => {
    const pulls = cachePullCommands(settings(builder), given)
    expect(pulls.map(({args}) => args)).toEqual(want)
    for (const pull of pulls) expect(pull.tool).toBe('docker')
  })
})

describe('annotations on the builds (DOCKER_METADATA_ANNOTATIONS_LEVELS)', () => {
  const labels = {
    'org.opencontainers.image.title': 'todo',
    'org.opencontainers.image.version': '1.2.3',
    'dev.ocir-push.build-key': 'sha256:abc',
  }
  /** The words after each `--annotation`, and the `--format` value. */
  const annotations = (args: string[]) =>
    args.flatMap((word, at) => (args[at - 1] === '--annotation' ? [word] : []))
  const format = (args: string[]) => args[args.indexOf('--format') + 1]

  test.each<{
    why: string
    builder: ConcreteBuilder
    levels?: BuilderSettings['annotationLevels']
    platforms?: string[]
    provenance?: boolean
    want: string[]
  }>([
    {why: 'buildx, unset: none', builder: 'buildx', want: []},
    {
      why: 'buildx: manifest level with its prefix, OCI keys only',
      builder: 'buildx',
      levels: ['manifest'],
      want: [
        'manifest:org.opencontainers.image.title=todo',
        'manifest:org.opencontainers.image.version=1.2.3',
      ],
    },
    {
      why: 'buildx, one platform: no index, so no index or descriptor level (BuildKit would fail)',
      builder: 'buildx',
      levels: ['index', 'manifest-descriptor', 'manifest'],
      platforms: ['linux/amd64'],
      want: [
        'manifest:org.opencontainers.image.title=todo',
        'manifest:org.opencontainers.image.version=1.2.3',
      ],
    },
    {
      why: 'buildx, several platforms: it writes the index, so index and descriptor levels too',
      builder: 'buildx',
      levels: ['index', 'manifest-descriptor', 'index-descriptor'],
      platforms: ['linux/amd64', 'linux/arm64'],
      want: [
        'index:org.opencontainers.image.title=todo',
        'index:org.opencontainers.image.version=1.2.3',
        'manifest-descriptor:org.opencontainers.image.title=todo',
        'manifest-descriptor:org.opencontainers.image.version=1.2.3',
      ],
    },
    {
      why: 'buildx with provenance: an index (attestations) for one platform too',
      builder: 'buildx',
      levels: ['index'],
      provenance: true,
      want: [
        'index:org.opencontainers.image.title=todo',
        'index:org.opencontainers.image.version=1.2.3',
      ],
    },
    {
      why: 'buildah: plain key=value (it annotates the manifest)',
      builder: 'buildah',
      levels: ['index', 'manifest'],
      want: ['org.opencontainers.image.title=todo', 'org.opencontainers.image.version=1.2.3'],
    },
    {
      why: 'podman: the same',
      builder: 'podman',
      levels: ['manifest'],
      want: ['org.opencontainers.image.title=todo', 'org.opencontainers.image.version=1.2.3'],
    },
    {
      why: 'buildah without the manifest level: none',
      builder: 'buildah',
      levels: ['index'],
      want: [],
    },
    {why: 'docker (classic): none at all', builder: 'docker', levels: ['manifest'], want: []},
  ])('$why', ({builder, levels, platforms = [], provenance = false, want}) => {
    const {args} = buildCommand(
      settings(builder, {annotationLevels: levels, provenance}),
      step({labels, platforms}),
    )
    expect(annotations(args)).toEqual(want)
    if (builder === 'docker') expect(args).not.toContain('--annotation')
  })

  test('buildah and podman build OCI format only when manifest annotations are asked for', () => {
    for (const builder of ['buildah', 'podman'] as const) {
      expect(format(buildCommand(settings(builder), step({labels})).args)).toBe('docker')
      expect(
        format(buildCommand(settings(builder, {annotationLevels: ['index']}), step({labels})).args),
      ).toBe('docker')
      expect(
        format(
          buildCommand(settings(builder, {annotationLevels: ['manifest']}), step({labels})).args,
        ),
      ).toBe('oci')
      // Nothing to annotate: nothing to give up HEALTHCHECK for.
      expect(
        format(buildCommand(settings(builder, {annotationLevels: ['manifest']}), step()).args),
      ).toBe('docker')
    }
  })

  test('builderSettingsOf carries the levels to the command lines', () => {
    const made = builderSettingsOf(
      'buildah',
      {configDir: '/cfg', insecureHosts: [], provenance: false, annotationLevels: ['manifest']},
      false,
    )
    expect(format(buildCommand(made, step({labels})).args)).toBe('oci')
  })

  test('the classic builder, asked for manifest annotations: a warning naming it, not an error', () => {
    expect(annotationNote('docker', ['manifest', 'index'])).toMatch(
      /^builder docker \(the classic builder\) cannot set manifest annotations.*only on the indexes this action writes/,
    )
    expect(annotationNote('docker', ['index'])).toBeUndefined()
    expect(annotationNote('docker', undefined)).toBeUndefined()
    for (const builder of ['buildx', 'buildah', 'podman'] as const)
      expect(annotationNote(builder, ['manifest'])).toBeUndefined()
  })
})

describe('build secrets: --secret id=…,src=<file>, never a value', () => {
  const VALUE = 'npm_Value-That-Must-Not-Leak'
  const secrets: BuildSecret[] = [
    {id: 'npm', input: 'secrets', value: VALUE},
    {id: 'feed', input: 'secret-envs', value: `${VALUE}-env`, variable: 'FEED_TOKEN'},
    {id: 'gpg', input: 'secret-files', file: '/runner/temp/gpg.key'},
  ]
  const withSecrets = (builder: ConcreteBuilder): BuilderSettings =>
    builderSettingsOf(
      builder,
      {configDir: '/cfg', insecureHosts: [], provenance: false, secrets},
      false,
    )

  test.each(['buildx', 'buildah', 'podman'] as const)(
    '%s: one --secret per id, values as files of the private config, files by their path',
    (builder) => {
      const given = withSecrets(builder)
      const command = buildCommand(given, step({platforms: ['linux/amd64']}))
      const pairs = command.args.flatMap((arg, i) =>
        arg === '--secret' ? [command.args[i + 1]] : [],
      )
      expect(pairs).toEqual([
        'id=npm,src=/cfg/secret-todo-backend-linux_amd64-npm',
        'id=feed,src=/cfg/secret-todo-backend-linux_amd64-feed',
        'id=gpg,src=/runner/temp/gpg.key',
      ])
      expect(writtenSecretFiles(given, step({platforms: ['linux/amd64']}))).toEqual([
        {id: 'npm', input: 'secrets', file: '/cfg/secret-todo-backend-linux_amd64-npm'},
        {id: 'feed', input: 'secret-envs', file: '/cfg/secret-todo-backend-linux_amd64-feed'},
      ])
      // Not in argv, not in the child's environment, not in the settings a dry run renders.
      expect(JSON.stringify(command)).not.toContain(VALUE)
      expect(JSON.stringify(given)).not.toContain(VALUE)
      expect(JSON.stringify(given)).not.toContain('FEED_TOKEN')
      expect(renderCommand(command)).toContain('--secret id=npm,src=/cfg/secret-todo-backend')
      // Before the context, which stays the last word.
      expect(command.args.at(-1)).toBe('backend')
    },
  )

  test('each build has files of its own: images and platforms do not share one', () => {
    const given = withSecrets('buildah')
    const files = [step(), step({image: 'todo-frontend'}), step({platforms: ['linux/arm64']})].map(
      (each) => writtenSecretFiles(given, each)[0].file,
    )
    expect(new Set(files).size).toBe(3)
  })

  test('no secrets: no --secret and settings as before', () => {
    const given = builderSettingsOf(
      'buildx',
      {configDir: '/cfg', insecureHosts: [], provenance: false, secrets: []},
      false,
    )
    expect(given).not.toHaveProperty('secrets')
    expect(buildCommand(given, step()).args).not.toContain('--secret')
  })

  test('the classic builder refuses them, naming the inputs and the builders that can', () => {
    let caught: unknown
    try {
      buildCommand(withSecrets('docker'), step())
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(InputError)
    const text = describeFailure(caught)
    expect(text).toMatch(/inputs 'secrets', 'secret-envs', 'secret-files' give build secrets/)
    expect(text).toMatch(/classic docker builder cannot mount/)
    expect(text).toMatch(/buildx.*buildah.*podman/)
    expect(text).not.toContain(VALUE)
    expect(describeFailure(classicBuilderSecretsError(secrets.slice(0, 1), 'auto'))).toMatch(
      /input 'secrets' gives build secrets \(npm\), which the classic docker builder \(picked by builder: auto\) cannot mount.*docker\/setup-buildx-action/,
    )
  })
})
