/**
 * A GitHub-hosted runner's buildx, through `node dist/index.js`: the buildx stand-in
 * (__tests__/fixtures/buildx-standin) is `docker` first on PATH. It keeps builders where buildx
 * keeps them, refuses what buildx's docker driver refuses with buildx's own words, and builds with
 * the real engine's classic builder, pushing to the real htpasswd registry. The runner's cache
 * variables are set, so the action asks for the GitHub cache (`type=gha`), as it does on GitHub.
 *
 * Rows: no setup (the first-time user), docker/setup-buildx-action's current builder,
 * BUILDX_BUILDER, a buildx installed into the user's docker config, several platforms, and the
 * private builder turned off or failing to start.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryDigest, registryManifest, registryTags} from '../fixtures/registry-probe.js'
import {PROJECT_ROOT, runAction, runPost, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const STANDIN = join(PROJECT_ROOT, '__tests__/fixtures/buildx-standin/docker')
const registry = testEnvironment().registries.htpasswd
/** GITHUB_RUN_ID is 1 in runAction, and no attempt, job or step id is set. */
const PRIVATE_BUILDER = 'ocir-push-1-1'
const TWO_IMAGES = '- todo-frontend: frontend\n- todo-backend: backend'

interface StandinCall {
  argv: string[]
  subcommand: string | null
  builder: string | null
  driver: string | null
  env: Record<string, string | null>
}

/** A runner of its own: the stand-in first on PATH, the user's docker config, the stand-in's log. */
function runner() {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'buildx-runner-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  symlinkSync(STANDIN, join(bin, 'docker'))
  const userConfig = join(dir, 'docker-config')
  mkdirSync(userConfig)
  const log = join(dir, 'standin.log')
  writeFileSync(log, '')
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    DOCKER_CONFIG: userConfig,
    BUILDX_STANDIN_LOG: log,
    // The runner's cache service, as GitHub sets it for actions.
    ACTIONS_RUNTIME_TOKEN: 'runtime-token',
    ACTIONS_RESULTS_URL: 'http://127.0.0.1:9/results/',
    ACTIONS_CACHE_SERVICE_V2: 'True',
  }
  /** A `docker` call as a workflow step before ours would make it (setup-buildx-action). */
  const docker = (...args: string[]): string => {
    const result = spawnSync('docker', args, {env: {...process.env, ...env}, encoding: 'utf8'})
    expect(result.status, result.stderr).toBe(0)
    return result.stdout
  }
  const calls = (): StandinCall[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StandinCall)
  const builds = (): StandinCall[] => calls().filter((call) => call.subcommand === 'build')
  return {dir, env, userConfig, docker, calls, builds}
}

function release(
  env: Record<string, string>,
  more: Record<string, string> = {},
  images = TWO_IMAGES,
): Promise<ActionRun> {
  return runAction({
    inputs: {
      registry: registry.host,
      namespace: uniqueNamespace('bx'),
      username: registry.username,
      'auth-token': registry.password,
      images,
      tags: 'type=sha',
      flavor: 'latest=false',
      reuse: 'false',
      retries: '0',
      ...more,
    },
    env,
  })
}

interface ImageOutput {
  name: string
  repository: string
  digest: string
  tags: string[]
  status: string
}

/** Every image pushed, and the registry holds its tags under the digest the outputs give. */
async function expectReleased(run: ActionRun, names: string[]): Promise<ImageOutput[]> {
  expect(run.errors, run.stdout).toEqual([])
  expect(run.exitCode).toBe(0)
  const images = JSON.parse(run.outputs.images) as ImageOutput[]
  expect(images.map((image) => [image.name, image.status])).toEqual(
    names.map((name) => [name, 'pushed']),
  )
  for (const image of images) {
    const repository = image.repository.slice(registry.host.length + 1)
    expect(await registryTags(registry, repository)).toEqual(image.tags)
    for (const tag of image.tags)
      expect(await registryDigest(registry, repository, tag)).toBe(image.digest)
  }
  return images
}

function instanceExists(buildxDir: string, name: string): boolean {
  return existsSync(join(buildxDir, 'instances', name))
}

describe('builder: auto and buildx on a GitHub-hosted runner', () => {
  test.each(['auto', 'buildx'])(
    'no setup, builder %s: a private docker-container builder builds both images with the GitHub cache, and the post step removes it',
    async (builder) => {
      const r = runner()
      const run = await release(r.env, {builder})
      await expectReleased(run, ['todo-frontend', 'todo-backend'])
      expect(run.stdout).toMatch(
        /Created the buildx builder ocir-push-1-1 \(docker-container\) for cache export: 'default' uses the docker driver/,
      )
      const builds = r.builds()
      expect(builds.map((call) => [call.builder, call.driver])).toEqual([
        [PRIVATE_BUILDER, 'docker-container'],
        [PRIVATE_BUILDER, 'docker-container'],
      ])
      const argv = builds.map((call) => call.argv.join(' ')).join('\n')
      expect(argv).toContain('buildx build --builder ocir-push-1-1 ')
      for (const name of ['todo-frontend', 'todo-backend'])
        expect(argv).toContain(`--cache-to type=gha,mode=max,scope=${name},ignore-error=true`)
      // Every buildx call knew the user's builders; the user's current builder was not changed.
      const buildxDir = join(r.userConfig, 'buildx')
      for (const call of r.calls()) expect(call.env.BUILDX_CONFIG).toBe(buildxDir)
      expect(instanceExists(buildxDir, PRIVATE_BUILDER)).toBe(true)
      expect(existsSync(join(buildxDir, 'current'))).toBe(false)

      const post = await runPost(run)
      expect(post.exitCode).toBe(0)
      expect(post.stdout).toContain('Removed the buildx builder ocir-push-1-1')
      expect(instanceExists(buildxDir, PRIVATE_BUILDER)).toBe(false)
    },
  )

  test('after docker/setup-buildx-action: the builds run on its current builder, none is created', async () => {
    const r = runner()
    r.docker(
      'buildx',
      'create',
      '--name',
      'builder-7c1f',
      '--driver',
      'docker-container',
      '--driver-opt',
      'network=host',
      '--use',
      '--bootstrap',
    )
    const run = await release(r.env)
    await expectReleased(run, ['todo-frontend', 'todo-backend'])
    expect(r.builds().map((call) => call.builder)).toEqual(['builder-7c1f', 'builder-7c1f'])
    expect(r.calls().filter((call) => call.subcommand === 'create')).toHaveLength(1)
    expect(run.stdout).not.toContain('Created the buildx builder')
  })

  test('BUILDX_BUILDER names a builder that is not current: the builds run on it', async () => {
    const r = runner()
    r.docker('buildx', 'create', '--name', 'ci-builder', '--driver', 'docker-container')
    const run = await release({...r.env, BUILDX_BUILDER: 'ci-builder'})
    await expectReleased(run, ['todo-frontend', 'todo-backend'])
    expect(r.builds().map((call) => call.builder)).toEqual(['ci-builder', 'ci-builder'])
  })

  test('BUILDX_BUILDER names a builder buildx does not know: an error naming it, before any build', async () => {
    const r = runner()
    const run = await release({...r.env, BUILDX_BUILDER: 'typo-builder'})
    expect(run.exitCode).not.toBe(0)
    expect(run.errors.join('\n')).toMatch(
      /buildx builder 'typo-builder' \(BUILDX_BUILDER\) is not usable: .*no builder "typo-builder" found.*set BUILDX_BUILDER to a builder that `docker buildx ls` lists/,
    )
    expect(r.builds()).toEqual([])
  })

  test("a buildx installed into the user's docker config (setup-buildx-action's version:) is found", async () => {
    const r = runner()
    mkdirSync(join(r.userConfig, 'cli-plugins'))
    writeFileSync(join(r.userConfig, 'cli-plugins', 'docker-buildx'), '', {mode: 0o755})
    const run = await release({...r.env, BUILDX_STANDIN_PLUGIN_IN_CONFIG: '1'})
    await expectReleased(run, ['todo-frontend', 'todo-backend'])
    expect(r.builds().map((call) => call.builder)).toEqual([PRIVATE_BUILDER, PRIVATE_BUILDER])
  })
})

describe('what the docker driver cannot do', () => {
  test('several platforms without setup: built on the private builder, pushed as one index', async () => {
    const r = runner()
    const run = await release(
      r.env,
      {platforms: 'linux/amd64,linux/arm64'},
      '- todo-frontend: frontend',
    )
    const [image] = await expectReleased(run, ['todo-frontend'])
    expect(run.stdout).toMatch(/for cache export, multi-platform builds \(todo-frontend\)/)
    const index = (await registryManifest(
      registry,
      image.repository.slice(registry.host.length + 1),
      image.digest,
    )) as {manifests: {platform: {architecture: string}}[]}
    expect(index.manifests.map((entry) => entry.platform.architecture).sort()).toEqual([
      'amd64',
      'arm64',
    ])
  })

  test('several platforms with buildx-create-builder: false: fails before any build, with the fixes', async () => {
    const r = runner()
    const run = await release(
      r.env,
      {platforms: 'linux/amd64,linux/arm64', 'buildx-create-builder': 'false'},
      '- todo-frontend: frontend',
    )
    expect(run.exitCode).not.toBe(0)
    const error = run.errors.join('\n')
    expect(error).toMatch(
      /buildx builder 'default' uses the docker driver, which cannot do multi-platform builds \(todo-frontend\)/,
    )
    expect(error).toMatch(/docker\/setup-buildx-action.*docker\/setup-qemu-action/)
    expect(r.builds()).toEqual([])
    expect(r.calls().filter((call) => call.subcommand === 'create')).toEqual([])
  })

  test('buildx-create-builder: false: the default builder without cache export, and a warning that says so', async () => {
    const r = runner()
    const run = await release(r.env, {'buildx-create-builder': 'false'})
    await expectReleased(run, ['todo-frontend', 'todo-backend'])
    expect(run.stdout).toMatch(
      /::warning::buildx builder 'default' uses the docker driver, which cannot export a layer cache: building without cache export \(buildx-create-builder is false\)/,
    )
    const builds = r.builds()
    expect(builds.map((call) => [call.builder, call.driver])).toEqual([
      ['default', 'docker'],
      ['default', 'docker'],
    ])
    for (const build of builds) expect(build.argv.join(' ')).not.toMatch(/--cache-(to|from)/)
  })

  test('a private builder that cannot start (no Docker Hub): the default builder without cache export; nothing left behind', async () => {
    const r = runner()
    const run = await release({...r.env, BUILDX_STANDIN_BOOTSTRAP_FAIL: '1'})
    await expectReleased(run, ['todo-frontend', 'todo-backend'])
    expect(run.stdout).toMatch(
      /::warning::.*building without cache export \(creating a docker-container builder failed: .*ERROR: .*moby\/buildkit/,
    )
    expect(r.builds().map((call) => call.builder)).toEqual(['default', 'default'])
    expect(instanceExists(join(r.userConfig, 'buildx'), PRIVATE_BUILDER)).toBe(false)
    expect(run.state['buildx-builder']).toBeUndefined()
  })
})

test('a dry run names the builder it would use and prints the builder it would create', async () => {
  const r = runner()
  const run = await release(r.env, {'dry-run': 'true'})
  expect(run.exitCode).toBe(0)
  expect(run.summary).toContain(
    "# builder: buildx on a private docker-container builder 'ocir-push-1-1', because 'default' uses the docker driver, which cannot do cache export; the post step removes it",
  )
  // The registry is on loopback and speaks plain HTTP: the builder's BuildKit is told both.
  expect(run.summary).toMatch(
    /docker buildx create --name ocir-push-1-1 --driver docker-container --driver-opt network=host --buildkitd-config \S+\/ocir-push-docker-XXXXXX\/buildkitd\.toml --bootstrap/,
  )
  expect(run.summary).toContain('docker buildx build --builder ocir-push-1-1 ')
  // Probed, not bootstrapped; nothing created.
  expect(r.calls().map((call) => call.argv.slice(0, 2).join(' '))).toEqual([
    'buildx version',
    'buildx inspect',
  ])
})
