import {expect, test} from 'vitest'
import {
  selectBuilder,
  type EngineSettings,
  type ToolRunner,
} from '../../src/adapters/select-engine.js'
import type {BuilderCommand} from '../../src/plan/builder-commands.js'
import {CommandError} from '../../src/errors.js'

const NO_NEEDS = {cacheExport: false, multiPlatform: [], attestations: false, pushByDigest: []}

function settingsWith(more: Partial<EngineSettings> = {}): EngineSettings {
  return {
    configDir: '/cfg',
    buildxConfig: '/home/runner/.docker/buildx',
    workspace: '/ws',
    registryHost: 'iad.ocir.io',
    insecureHosts: [],
    provenance: false,
    env: {},
    buildx: {needs: NO_NEEDS, createBuilder: true, privateName: 'ocir-push-9-1'},
    ...more,
  }
}

const inspectOf = (name: string, driver: string): string =>
  `Name:          ${name}\nDriver:        ${driver}\nLast Activity: 2026-12-01 10:00:00 +0000 UTC\n\nNodes:\nName:             ${name}\nEndpoint:         default\nStatus:           running\nPlatforms:        linux/amd64, linux/386\n`

/**
 * A runner whose tools answer the listed commands (`tool subcommand`, or `docker buildx x`); the
 * buildx builder is `builder`. Records each call with the environment it got.
 */
function runnerOf(
  working: string[],
  builder = {name: 'default', driver: 'docker'},
): {run: ToolRunner; calls: {line: string; env: Record<string, string>}[]} {
  const calls: {line: string; env: Record<string, string>}[] = []
  const run: ToolRunner = async (command: BuilderCommand, env) => {
    const line = [command.tool, ...command.args].join(' ')
    calls.push({line, env})
    const key =
      command.args[0] === 'buildx'
        ? `docker buildx ${command.args[1]}`
        : `${command.tool} ${command.args[0]}`
    const ok =
      working.includes(key) || (command.args[0] === 'buildx' && working.includes('docker buildx'))
    if (!ok) throw new CommandError(command.tool, command.args[0], 1, 'not found')
    return {stdout: command.args[1] === 'inspect' ? inspectOf(builder.name, builder.driver) : ''}
  }
  return {run, calls}
}

test.each([
  {why: 'buildx when the plugin works', working: ['docker buildx', 'docker info'], want: 'buildx'},
  {
    why: 'docker when only the engine works',
    working: ['docker info', 'buildah version'],
    want: 'docker',
  },
  {why: 'buildah without docker', working: ['buildah version', 'podman version'], want: 'buildah'},
  {why: 'podman last', working: ['podman version'], want: 'podman'},
])('auto picks $why', async ({working, want}) => {
  expect((await selectBuilder('auto', settingsWith(), {run: runnerOf(working).run})).builder).toBe(
    want,
  )
})

test('auto with no builder at all names every one it tried', async () => {
  const selection = selectBuilder('auto', settingsWith(), {run: runnerOf([]).run})
  await expect(selection).rejects.toThrow(/no image builder works.*buildx.*docker.*buildah.*podman/)
})

test('an explicit builder that does not work says so, and does not fall back', async () => {
  await expect(
    selectBuilder('buildah', settingsWith(), {run: runnerOf(['docker info']).run}),
  ).rejects.toThrow(
    /builder 'buildah' does not work on this runner: buildah \(`buildah version`: .*not found/,
  )
})

test('every probe runs with the build environment: our config dir, the user buildx dir', async () => {
  const {run, calls} = runnerOf(['docker buildx'])
  await selectBuilder('buildx', settingsWith(), {run})
  expect(calls.map((call) => call.line)).toEqual([
    'docker buildx version',
    'docker buildx inspect --bootstrap',
    'docker info --format {{json .DriverStatus}}',
  ])
  for (const call of calls)
    expect(call.env).toMatchObject({
      DOCKER_CONFIG: '/cfg',
      BUILDX_CONFIG: '/home/runner/.docker/buildx',
    })
})

test('a dry run probes with the user config, does not bootstrap and creates nothing', async () => {
  const {run, calls} = runnerOf(['docker buildx'])
  const selection = await selectBuilder(
    'buildx',
    settingsWith({
      buildx: {needs: {...NO_NEEDS, cacheExport: true}, createBuilder: true, privateName: 'p'},
    }),
    {run, plan: {probeConfigDir: '/home/runner/.docker'}},
  )
  expect(calls.map((call) => call.line)).toEqual([
    'docker buildx version',
    'docker buildx inspect',
    'docker info --format {{json .DriverStatus}}',
  ])
  expect(calls[0].env.DOCKER_CONFIG).toBe('/home/runner/.docker')
  expect(selection.buildx).toMatchObject({kind: 'create', builder: 'p'})
  expect(selection.setup.map((command) => command.args.join(' '))).toEqual([
    'buildx create --name p --driver docker-container --bootstrap',
  ])
})

test('the docker driver and a cache to export: a private builder is created and every build names it', async () => {
  const {run, calls} = runnerOf(['docker buildx'])
  const selection = await selectBuilder(
    'auto',
    settingsWith({
      registryHost: '127.0.0.1:5000',
      insecureHosts: ['127.0.0.1:5000'],
      configDir: process.env.RUNNER_TEMP ?? '/tmp',
      buildx: {
        needs: {...NO_NEEDS, cacheExport: true},
        createBuilder: true,
        privateName: 'ocir-push-9-1',
      },
    }),
    {run},
  )
  expect(calls.at(-1)?.line).toMatch(
    /^docker buildx create --name ocir-push-9-1 --driver docker-container --driver-opt network=host --buildkitd-config \S+\/buildkitd\.toml --bootstrap$/,
  )
  expect(selection.settings.buildx).toEqual({builder: 'ocir-push-9-1', cacheExport: true})
})

test('a private builder that cannot be created: the docker driver without cache export, and a note', async () => {
  const run: ToolRunner = async (command, env) => {
    if (command.args[1] === 'create')
      throw new CommandError('docker', 'buildx', 1, 'ERROR: pull moby/buildkit failed')
    return runnerOf(['docker buildx']).run(command, env)
  }
  const selection = await selectBuilder(
    'buildx',
    settingsWith({
      buildx: {needs: {...NO_NEEDS, cacheExport: true}, createBuilder: true, privateName: 'p'},
    }),
    {run},
  )
  expect(selection.settings.buildx).toEqual({builder: 'default', cacheExport: false})
  expect(selection.notes.join('\n')).toMatch(
    /without cache export.*creating a docker-container builder failed: .*moby\/buildkit/,
  )
})

test('a BUILDX_BUILDER that does not exist is an error naming it, even with auto', async () => {
  const run: ToolRunner = async (command, env) => {
    if (command.args[1] === 'inspect')
      throw new CommandError('docker', 'buildx', 1, 'ERROR: no builder "ci" found')
    return runnerOf(['docker buildx', 'docker info']).run(command, env)
  }
  await expect(
    selectBuilder('auto', settingsWith({env: {BUILDX_BUILDER: 'ci'}}), {run}),
  ).rejects.toThrow(/buildx builder 'ci' \(BUILDX_BUILDER\) is not usable: .*no builder "ci" found/)
})

test('auto probes buildx and docker at once: docker is asked before buildx has answered', async () => {
  const started: string[] = []
  let answerBuildx: () => void = () => {}
  const run: ToolRunner = (command) => {
    const line = [command.tool, ...command.args].join(' ')
    started.push(line)
    if (line === 'docker buildx version')
      return new Promise((_, reject) => {
        answerBuildx = () => reject(new CommandError('docker', 'buildx', 1, 'unknown command'))
      })
    return Promise.resolve({stdout: '20.10.24'})
  }
  const selection = selectBuilder('auto', settingsWith(), {run})
  await new Promise((resolve) => setImmediate(resolve))
  expect(started).toEqual(['docker buildx version', 'docker info --format {{.ServerVersion}}'])
  answerBuildx()
  // The order still decides: docker only once buildx has been refused.
  expect((await selection).builder).toBe('docker')
  expect(started).not.toContain('buildah version')
})
