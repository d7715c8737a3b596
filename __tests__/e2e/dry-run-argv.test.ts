/**
 * A dry run prints the command lines a real run gives the builders, word for word. Both runs go
 * through dist/index.js; the real one meets shims on PATH that record their argv instead of
 * building (so buildx, which cannot run here, is covered too). Two things a dry run cannot know
 * are normalised: the private config dir's random suffix, and the build key label (a dry run asks
 * no registry for base image digests, so it has no key).
 */
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {renderCommand} from '../../src/plan/builder-commands.js'
import {PROJECT_ROOT, runAction, type ActionRun} from '../fixtures/run-action.js'

const SHIMS = join(PROJECT_ROOT, '__tests__/fixtures/argv-shims')
const PROBES =
  /^(docker buildx version|docker buildx inspect|docker info|buildah version|podman version)\b/

/** The commands a run's summary lists, without comments, paths normalised. */
function dryRunCommands(run: ActionRun): string[] {
  const block = /Commands this run would make:[\s\S]*?<code>([\s\S]*?)<\/code>/.exec(run.summary)
  expect(block, run.summary).not.toBeNull()
  const text = (block?.[1] ?? '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => normalise(line, run))
}

/** What the shims recorded, as shell lines, without the builder probes. */
function recordedCommands(log: string, run: ActionRun): string[] {
  return readFileSync(log, 'utf8')
    .split('\x1e')
    .filter((record) => record !== '')
    .map((record) => {
      const [tool, ...args] = record.split('\x1f')
      return renderCommand({tool, args})
    })
    .filter((line) => !PROBES.test(line))
    .map((line) => normalise(line, run))
}

function normalise(line: string, run: ActionRun): string {
  return line
    .split(run.env.RUNNER_TEMP)
    .join('$RUNNER_TEMP')
    .replace(/ocir-push-docker-[A-Za-z0-9]{6}/g, 'ocir-push-docker-XXXXXX')
    .replace(/ --label dev\.ocir-push\.build-key=(sha256:[0-9a-f]{64})?(?= |$)/g, '')
}

test.each([
  {builder: 'docker', stage: 'all'},
  {builder: 'buildx', stage: 'all'},
  {builder: 'buildah', stage: 'all'},
  {builder: 'podman', stage: 'all'},
  {builder: 'docker', stage: 'platform'},
  {builder: 'buildx', stage: 'platform'},
  {builder: 'podman', stage: 'platform'},
])(
  '$builder, stage $stage: the dry run lists exactly the argv the real run gives the builder',
  async ({builder, stage}) => {
    const inputs = {
      registry: '127.0.0.1:5999',
      namespace: 'argv',
      username: 'tester',
      'auth-token': 'not-a-real-token',
      builder,
      stage,
      images: [
        '- name: todo-frontend',
        '  context: frontend',
        '  labels: {team: "web ui"}',
        '- name: todo-backend',
        '  context: backend',
        '  target: runtime',
        '  build-args: {GREETING: hello, HTTP_PROXY: "http://proxy.invalid:3128"}',
      ].join('\n'),
      platforms: stage === 'platform' ? 'linux/amd64' : '',
      // Immutable tags only: moving tags are copies inside a registry, and there is none here.
      tags: 'type=sha',
      flavor: 'latest=false',
      // One image at a time, so the real run's order is the plan's.
      'max-parallel': '1',
    }
    const env = {SOURCE_DATE_EPOCH: '1700000000', PATH: `${SHIMS}:${process.env.PATH ?? ''}`}
    const dry = await runAction({inputs: {...inputs, 'dry-run': 'true'}, env})
    expect(dry.errors).toEqual([])

    const log = join(process.env.RUNNER_TEMP as string, `argv-${builder}-${stage}.log`)
    writeFileSync(log, '')
    const real = await runAction({inputs, env: {...env, ARGV_LOG: log}})
    expect(real.errors).toEqual([])
    expect(real.exitCode).toBe(0)

    const planned = dryRunCommands(dry)
    expect(planned.length).toBeGreaterThanOrEqual(3)
    // Build-arg values never reach argv, in either run.
    expect(planned.join('\n')).not.toContain('hello')
    expect(recordedCommands(log, real)).toEqual(planned)
  },
)
