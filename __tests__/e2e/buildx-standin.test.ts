/**
 * The buildx stand-in (__tests__/fixtures/buildx-standin), run directly: a PATH whose first
 * directory holds a `docker` symlink to it, a docker config of its own per test, builds of a
 * FROM scratch image pushed to the open registry. It must refuse what buildx's docker driver
 * refuses, with buildx's words, pick builders as buildx does, and push what buildx would push.
 */
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryDigest, registryManifest, registryTags} from '../fixtures/registry-probe.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const STANDIN = join(PROJECT_ROOT, '__tests__/fixtures/buildx-standin/docker')
const registry = testEnvironment().registries.open
const namespace = uniqueNamespace('standin')

/** buildx's build/utils.go notSupported, as `docker buildx build` prints it. */
function refusal(feature: string, docs: string): string {
  return [
    `ERROR: failed to build: ${feature} is not supported for the docker driver.`,
    'Switch to a different driver, or turn on the containerd image store, and try again.',
    `Learn more at ${docs}`,
    '',
  ].join('\n')
}

interface LogEntry {
  argv: string[]
  subcommand: string | null
  builder: string | null
  driver: string | null
  env: Record<string, string | null>
}

/** A runner of its own: the symlink first on PATH, a docker config, a build context, a log. */
function sandbox() {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'standin-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  symlinkSync(STANDIN, join(bin, 'docker'))
  const config = join(dir, 'docker-config')
  mkdirSync(config)
  const context = join(dir, 'context')
  mkdirSync(context)
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n')
  writeFileSync(join(context, 'hello.txt'), `hello from ${dir}\n`)
  const log = join(dir, 'buildx.log')
  const base: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env))
    if (!/^(BUILDX_|ACTIONS_|DOCKER_CONFIG$)/.test(name)) base[name] = value

  const docker = (args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(join(bin, 'docker'), args, {
      encoding: 'utf8',
      env: {
        ...base,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        DOCKER_CONFIG: config,
        BUILDX_STANDIN_LOG: log,
        ...env,
      },
    })
    return {status: result.status, stdout: result.stdout, stderr: result.stderr}
  }
  const entries = (): LogEntry[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogEntry)
  return {
    dir,
    config,
    context,
    docker,
    entries,
    buildx: (args: string[], env = {}) => docker(['buildx', ...args], env),
  }
}

const ref = (repository: string, tag: string) =>
  `${registry.host}/${namespace}/${repository}:${tag}`

describe('the docker driver refuses, before building, with buildx texts', () => {
  test('a gha cache export (the runner offers the cache), several platforms, provenance', () => {
    const sb = sandbox()
    const gha = {ACTIONS_RUNTIME_TOKEN: 'token', ACTIONS_CACHE_URL: 'http://127.0.0.1:9/'}
    const cache = sb.buildx(
      [
        'build',
        '--cache-to',
        'type=gha,mode=max,ignore-error=true',
        '--push',
        '--tag',
        ref('refused', 'a'),
        sb.context,
      ],
      gha,
    )
    expect(cache.status).toBe(1)
    expect(cache.stderr).toContain(
      refusal('Cache export', 'https://docs.docker.com/go/build-cache-backends/'),
    )

    const platforms = sb.buildx([
      'build',
      '--platform',
      'linux/amd64,linux/arm64',
      '--tag',
      ref('refused', 'b'),
      sb.context,
    ])
    expect(platforms.status).toBe(1)
    expect(platforms.stderr).toContain(
      refusal('Multi-platform build', 'https://docs.docker.com/go/build-multi-platform/'),
    )

    const provenance = sb.buildx([
      'build',
      '--provenance=true',
      '--tag',
      ref('refused', 'c'),
      sb.context,
    ])
    expect(provenance.status).toBe(1)
    expect(provenance.stderr).toContain(
      refusal('Attestation', 'https://docs.docker.com/go/attestations/'),
    )
    expect(sb.entries().map((e) => [e.subcommand, e.builder, e.driver])).toEqual([
      ['build', 'default', 'docker'],
      ['build', 'default', 'docker'],
      ['build', 'default', 'docker'],
    ])
    // nothing was built: the repository has no tag
    return expect(registryTags(registry, `${namespace}/refused`)).resolves.toEqual([])
  })

  test('a gha cache without ACTIONS_RUNTIME_TOKEN is dropped silently (build/opt.go isActive)', () => {
    const sb = sandbox()
    const result = sb.buildx([
      'build',
      '--cache-to',
      'type=gha,mode=max',
      '--provenance=false',
      sb.context,
    ])
    expect(result.stderr).not.toContain('ERROR')
    expect(result.status).toBe(0)
  })
})

describe('builders', () => {
  test('create --use makes a docker-container builder current, and builds run on it', () => {
    const sb = sandbox()
    const created = sb.buildx([
      'create',
      '--name',
      'private',
      '--driver',
      'docker-container',
      '--use',
    ])
    expect(created).toMatchObject({status: 0, stdout: 'private\n'})
    const current = JSON.parse(readFileSync(join(sb.config, 'buildx/current'), 'utf8'))
    expect(current).toEqual({Key: 'unix:///var/run/docker.sock', Name: 'private', Global: false})
    const stored = JSON.parse(readFileSync(join(sb.config, 'buildx/instances/private'), 'utf8'))
    expect(stored).toMatchObject({
      Name: 'private',
      Driver: 'docker-container',
      Nodes: [{Name: 'private0'}],
    })
    expect(sb.buildx(['inspect']).stdout).toMatch(
      /^Name: +private\nDriver: +docker-container\n[^]*\nStatus: +inactive\n/,
    )

    const built = sb.buildx([
      'build',
      '--provenance=false',
      '--load',
      '--tag',
      ref('current', 'x'),
      sb.context,
    ])
    expect(built.stderr).toContain(
      '#0 building with "private" instance using docker-container driver',
    )
    expect(built.status).toBe(0)
    expect(sb.buildx(['inspect']).stdout).toMatch(/\nStatus: +running\n/)
    expect(sb.entries().at(-2)).toMatchObject({
      subcommand: 'build',
      builder: 'private',
      driver: 'docker-container',
    })
    expect(sb.docker(['image', 'rm', ref('current', 'x')]).status).toBe(0)
  })

  test('BUILDX_BUILDER picks a builder; an unknown one fails with the buildx text', () => {
    const sb = sandbox()
    expect(sb.buildx(['create', '--name', 'picked']).status).toBe(0)
    const picked = sb.buildx(['build', '--provenance=false', sb.context], {
      BUILDX_BUILDER: 'picked',
    })
    expect(picked.status).toBe(0)
    expect(sb.entries().at(-1)).toMatchObject({
      builder: 'picked',
      driver: 'docker-container',
      env: {BUILDX_BUILDER: 'picked'},
    })
    // without it, the default builder (create had no --use)
    expect(sb.buildx(['inspect']).stdout).toMatch(/^Name: +default\nDriver: +docker\n/)

    const unknown = sb.buildx(['build', sb.context], {BUILDX_BUILDER: 'nope'})
    expect(unknown).toMatchObject({status: 1, stderr: 'ERROR: no builder "nope" found\n'})
  })
})

describe('pushes', () => {
  test('a FROM scratch build: the metadata-file digest is the registry digest of the tag', async () => {
    const sb = sandbox()
    const metadata = join(sb.dir, 'metadata.json')
    const tag = ref('scratch', 'v1')
    const result = sb.buildx([
      'build',
      '--provenance=false',
      '--tag',
      tag,
      '--push',
      '--metadata-file',
      metadata,
      sb.context,
    ])
    expect(result.stderr).not.toContain('ERROR')
    expect(result.status).toBe(0)
    const written = JSON.parse(readFileSync(metadata, 'utf8'))
    expect(written['image.name']).toBe(tag)
    expect(written['buildx.build.ref']).toMatch(/^default\/default\/[a-z0-9]+$/)
    expect(written['containerimage.digest']).toBe(
      await registryDigest(registry, `${namespace}/scratch`, 'v1'),
    )
    // the docker driver leaves the image in the engine, as buildx's does
    expect(sb.docker(['image', 'rm', tag]).status).toBe(0)
  })

  test('two platforms on docker-container: only the tag in the target repository, an index of both', async () => {
    const sb = sandbox()
    expect(sb.buildx(['create', '--name', 'multi', '--use']).status).toBe(0)
    const metadata = join(sb.dir, 'metadata.json')
    const result = sb.buildx([
      'build',
      '--provenance=false',
      '--platform',
      'linux/amd64,linux/arm64',
      '--tag',
      ref('multi', 'v1'),
      '--push',
      '--metadata-file',
      metadata,
      sb.context,
    ])
    expect(result.stderr).not.toContain('ERROR')
    expect(result.status).toBe(0)
    expect(await registryTags(registry, `${namespace}/multi`)).toEqual(['v1'])
    const index = await registryManifest(registry, `${namespace}/multi`, 'v1')
    const platforms = (index?.manifests as {platform: {os: string; architecture: string}}[]).map(
      (m) => `${m.platform.os}/${m.platform.architecture}`,
    )
    expect(platforms.sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect(JSON.parse(readFileSync(metadata, 'utf8'))['containerimage.digest']).toBe(
      await registryDigest(registry, `${namespace}/multi`, 'v1'),
    )
  })

  test('a failing cache export: ignore-error=true survives it, without it the build fails', () => {
    const sb = sandbox()
    expect(sb.buildx(['create', '--name', 'cache', '--use']).status).toBe(0)
    const fail = {BUILDX_STANDIN_CACHE_EXPORT_FAIL: '1'}
    const cacheTo = `type=registry,ref=${ref('app-buildcache', 'buildcache')},mode=max`
    const build = (spec: string) =>
      sb.buildx(
        [
          'build',
          '--provenance=false',
          '--cache-to',
          spec,
          '--push',
          '--tag',
          ref('app', 'v1'),
          sb.context,
        ],
        fail,
      )

    const ignored = build(`${cacheTo},ignore-error=true`)
    expect(ignored.stderr).toContain('WARNING: cache export to registry failed and was ignored')
    expect(ignored.status).toBe(0)

    const failed = build(cacheTo)
    expect(failed.status).toBe(1)
    expect(failed.stderr).toMatch(
      /\nERROR: failed to build: failed to solve: error writing layer blob: .*500 Internal Server Error\n$/,
    )
  })
})
