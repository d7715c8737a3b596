import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {DockerEngine} from '../../src/adapters/docker-engine.js'
import {engineGet, engineSocketOf, imageInspectPath} from '../../src/adapters/docker-socket.js'
import type {BuildCache} from '../../src/plan/build-step.js'
import {registryLayers} from '../fixtures/registry-probe.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

// The project root, so that the fixture Dockerfiles are files of the workspace (files outside it
// are refused).
const workspace = PROJECT_ROOT

function inspectLabels(ref: string): Record<string, string> {
  return JSON.parse(
    execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', ref], {
      encoding: 'utf8',
    }),
  ) as Record<string, string>
}

test.each([
  {
    why: 'one LABEL step carries every label, with quotes, dollars and backslashes kept as written',
    target: undefined,
    labelSteps: 1,
  },
  {
    why: 'a --target build keeps one --label per label (the line would land in the last stage)',
    target: 'frontend-target',
    labelSteps: 4,
  },
  {
    why: 'a Dockerfile with a backtick escape directive gets one LABEL step quoted its way',
    target: undefined,
    file: '__tests__/fixtures/escape/Dockerfile',
    labelSteps: 1,
  },
])('$why', async ({target, labelSteps, file}) => {
  const configDir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'dc-'))
  const engine = new DockerEngine(
    {builder: 'docker', configDir, insecureHosts: [], provenance: false, ghaCache: false},
    workspace,
  )
  const ref = `ocir-push-test/labels:${target ?? (file ? 'escape' : 'plain')}`
  const labels = {
    'org.opencontainers.image.title': 'todo "frontend"',
    'org.opencontainers.image.description': 'costs $5 \\ month',
    'org.opencontainers.image.created': '2024-01-02T03:04:05.000Z',
    'com.example.empty': '',
  }
  const lines: string[] = []
  await engine.build(
    {
      image: 'frontend',
      imageName: 'ocir-push-test/labels',
      context: 'examples/todo-app/frontend',
      file:
        file ??
        (target
          ? '__tests__/fixtures/targets/Dockerfile'
          : 'examples/todo-app/frontend/Dockerfile'),
      target,
      buildArgs: {},
      labels,
      platforms: [],
      refs: [ref],
      pushRefs: [],
      push: false,
    },
    (line) => lines.push(line),
  )
  expect(inspectLabels(ref)).toMatchObject(labels)
  // Our label steps: the Dockerfile's own `LABEL …title="todo-frontend"` is not one of them.
  const ourLabelSteps = lines.filter(
    (line) => /^Step \d+\/\d+ : LABEL /.test(line) && !line.includes('title="todo-frontend"'),
  )
  expect(ourLabelSteps).toHaveLength(labelSteps)
  // The labelled copy of the Dockerfile lives in the config dir only while the build runs.
  expect(readdirSync(configDir)).toEqual([])
})

describe('layer cache: a cold engine takes the unchanged layers of the previous release', () => {
  const registry = testEnvironment().registries.open
  const namespace = uniqueNamespace('cache')
  const repository = `${registry.host}/${namespace}/app`
  const created: string[] = []
  let workspace = ''
  let configDir = ''

  beforeAll(() => {
    workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'cache-ws-'))
    configDir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'cache-cfg-'))
    // A token no one else's build has, so no other cache can serve the dependency step.
    writeFileSync(
      join(workspace, 'Dockerfile'),
      [
        `FROM ${testEnvironment().baseImage}`,
        `RUN echo ${namespace} > /deps && sleep 1`,
        'COPY app.txt /app.txt',
      ].join('\n'),
    )
  })
  // Only what this test made: its tags, and (through them) the layers only it built.
  afterAll(() => {
    for (const ref of created) spawnSync('docker', ['rmi', ref], {stdio: 'ignore'})
  })

  async function release(
    version: string,
    cache: BuildCache | undefined,
  ): Promise<{lines: string[]}> {
    writeFileSync(join(workspace, 'app.txt'), `version ${version}\n`)
    const ref = `${repository}:${version}`
    const engine = new DockerEngine(
      {
        builder: 'docker',
        configDir,
        insecureHosts: [registry.host],
        provenance: false,
        ghaCache: false,
      },
      workspace,
    )
    const lines: string[] = []
    created.push(ref, ...(cache?.images ?? []))
    await engine.build(
      {
        image: 'app',
        imageName: repository,
        context: '.',
        file: 'Dockerfile',
        buildArgs: {},
        // Labels that differ per release, on the one LABEL line after the Dockerfile's steps.
        labels: {
          'org.opencontainers.image.version': version,
          'org.opencontainers.image.created': new Date().toISOString(),
        },
        platforms: [],
        refs: [ref],
        pushRefs: [ref],
        push: true,
        cache,
      },
      (line) => lines.push(line),
    )
    await engine.push(ref, () => undefined)
    // Cold again: nothing of this image is left in the engine.
    for (const image of [ref, ...(cache?.images ?? [])])
      spawnSync('docker', ['rmi', image], {stdio: 'ignore'})
    return {lines}
  }

  test('version 2 reuses the dependency layer of version 1; without the cache the step runs again', async () => {
    const cache = (images: string[]): BuildCache => ({
      images,
      imageName: `${repository}-buildcache`,
    })
    const first = await release('1', cache([]))
    expect(dependencyStep(first.lines)).toMatch(/Running in/)

    const second = await release('2', cache([`${repository}:1`]))
    expect(dependencyStep(second.lines)).toMatch(/^\s*---> Using cache$/m)
    expect(dependencyStep(second.lines)).not.toMatch(/Running in/)

    const third = await release('3', undefined)
    expect(dependencyStep(third.lines)).toMatch(/Running in/)

    const [one, two, three] = await Promise.all(['1', '2', '3'].map(layersOf))
    expect(one).toHaveLength(3)
    expect(two[0]).toBe(one[0]) // the base image
    expect(two[1]).toBe(one[1]) // the dependency step: taken from version 1
    expect(two[2]).not.toBe(one[2]) // app.txt changed
    expect(three[1]).not.toBe(one[1]) // run again: a layer of its own
  })

  const layersOf = (version: string): Promise<string[]> =>
    registryLayers(registry, `${namespace}/app`, version)
})

/** The build log of the Dockerfile's RUN step, up to the next step. */
function dependencyStep(lines: string[]): string {
  const start = lines.findIndex((line) => /^Step \d+\/\d+ : RUN /.test(line))
  const end = lines.findIndex((line, index) => index > start && /^Step \d+\/\d+ : /.test(line))
  return lines.slice(start, end).join('\n')
}

describe("the engine's socket answers what the CLI answers", () => {
  test('an image inspected over /var/run/docker.sock has the layers `docker image inspect` lists', async () => {
    const ref = testEnvironment().baseImage
    const socket = engineSocketOf({}, mkdtempSync(join(tmpdir(), 'no-context-')))
    expect(socket).toBe('/var/run/docker.sock')
    const viaSocket = (await engineGet(socket as string, imageInspectPath(ref))) as {
      Id: string
      RootFS: {Layers: string[]}
    }
    const viaCli = JSON.parse(
      execFileSync('docker', ['image', 'inspect', '--format', '{{json .}}', ref], {
        encoding: 'utf8',
      }),
    ) as {Id: string; RootFS: {Layers: string[]}}
    expect(viaSocket.Id).toBe(viaCli.Id)
    expect(viaSocket.RootFS.Layers).toEqual(viaCli.RootFS.Layers)
    expect(viaSocket.RootFS.Layers.length).toBeGreaterThan(0)
    await expect(
      engineGet(socket as string, imageInspectPath(`${ref}-no-such-tag`)),
    ).rejects.toThrow(/HTTP 404/)
  })
})
