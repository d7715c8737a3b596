import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {DockerEngine} from '../../src/adapters/docker-engine.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

const workspace = join(PROJECT_ROOT, 'examples/todo-app')

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
    file: '../../__tests__/fixtures/escape/Dockerfile',
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
      context: 'frontend',
      file:
        file ?? (target ? '../../__tests__/fixtures/targets/Dockerfile' : 'frontend/Dockerfile'),
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
