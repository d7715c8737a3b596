/**
 * Each engine runs exactly the command lines the pure builders produce (the ones a dry run
 * prints), layer cache included: shims on PATH record their argv instead of building.
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {BuildahEngine} from '../../src/adapters/buildah-engine.js'
import {BuildxEngine} from '../../src/adapters/buildx-engine.js'
import {DockerEngine} from '../../src/adapters/docker-engine.js'
import type {ContainerEngine} from '../../src/ports.js'
import {
  buildCommand,
  cachePullCommands,
  renderCommand,
  type BuilderSettings,
  type ConcreteBuilder,
} from '../../src/plan/builder-commands.js'
import type {BuildStep} from '../../src/plan/build-step.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

const SHIMS = join(PROJECT_ROOT, '__tests__/fixtures/argv-shims')
const workspace = join(PROJECT_ROOT, 'examples/todo-app')
const savedPath = process.env.PATH
const log = join(process.env.RUNNER_TEMP as string, 'engine-argv.log')

beforeAll(() => {
  process.env.PATH = `${SHIMS}:${savedPath ?? ''}`
  process.env.ARGV_LOG = log
})
afterAll(() => {
  process.env.PATH = savedPath
  delete process.env.ARGV_LOG
})

function recorded(): string[] {
  return readFileSync(log, 'utf8')
    .split('\x1e')
    .filter((record) => record !== '')
    .map((record) => {
      const [tool, ...args] = record.split('\x1f')
      return renderCommand({tool, args})
    })
}

function engineOf(settings: BuilderSettings): ContainerEngine {
  switch (settings.builder) {
    case 'docker':
      return new DockerEngine(settings, workspace)
    case 'buildx':
      return new BuildxEngine(settings, workspace, join(workspace, 'buildx'))
    case 'buildah':
    case 'podman':
      return new BuildahEngine(settings, workspace)
  }
}

test.each([
  {builder: 'docker', ghaCache: false},
  {builder: 'buildx', ghaCache: false},
  {builder: 'buildx', ghaCache: true},
  {builder: 'buildah', ghaCache: false},
  {builder: 'podman', ghaCache: false},
] as {builder: ConcreteBuilder; ghaCache: boolean}[])(
  '$builder (GitHub cache service: $ghaCache): the engine runs the pure argv, cache flags and pulls included',
  async ({builder, ghaCache}) => {
    writeFileSync(log, '')
    const settings: BuilderSettings = {
      builder,
      configDir: mkdtempSync(join(process.env.RUNNER_TEMP as string, 'argv-')),
      insecureHosts: ['127.0.0.1:5999'],
      provenance: false,
      ghaCache,
    }
    const step: BuildStep = {
      image: 'todo-backend',
      imageName: '127.0.0.1:5999/argv/todo-backend',
      context: 'backend',
      file: 'backend/Dockerfile',
      buildArgs: {GREETING: 'hello'},
      labels: {team: 'web ui'},
      platforms: [],
      refs: ['127.0.0.1:5999/argv/todo-backend:sha-0123456'],
      pushRefs: ['127.0.0.1:5999/argv/todo-backend:sha-0123456'],
      push: builder === 'buildx',
      cache: {
        images: [
          '127.0.0.1:5999/argv/todo-backend:1.2.2',
          '127.0.0.1:5999/argv/todo-backend:missing',
        ],
        imageName: '127.0.0.1:5999/argv/todo-backend-buildcache',
      },
    }
    const lines: string[] = []
    await engineOf(settings).build(step, (line) => lines.push(line))

    const planned = [...cachePullCommands(settings, step), buildCommand(settings, step)]
    expect(recorded()).toEqual(planned.map(renderCommand))
    expect(planned.at(-1)?.args.join(' ')).toMatch(/--cache-from/)
    if (builder === 'docker') {
      expect(planned).toHaveLength(3)
      // The pull of an image that does not exist is reported, and the build goes on.
      expect(lines.join('\n')).toMatch(/todo-backend:missing not pulled, built without its layers/)
    }
  },
)
