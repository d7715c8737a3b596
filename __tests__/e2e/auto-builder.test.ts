/**
 * `builder: auto` through `node dist/index.js`, on runners made of shims: PATH holds only the
 * recording shims of the builders a row installs (so the others are really missing), and
 * ARGV_SHIM_FAIL breaks the parts a row says are broken. The shims' log shows which builder was
 * asked, in which order, and which one built and pushed.
 */
import {existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {PROJECT_ROOT, runAction} from '../fixtures/run-action.js'

const SHIM = join(PROJECT_ROOT, '__tests__/fixtures/argv-shims/shim')
/** The one reference each row pushes (tags: type=sha, the default commit). */
const REF = '127.0.0.1:5999/auto/todo-frontend:sha-0123456'

/** A runner with these tools installed and nothing else on PATH. */
function runnerWith(tools: string[]): {path: string; log: string} {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'auto-'))
  for (const tool of tools) symlinkSync(SHIM, join(dir, tool))
  const log = join(dir, 'argv.log')
  writeFileSync(log, '')
  return {path: dir, log}
}

/** Each recorded call as `tool subcommand` (`docker buildx build` for buildx). */
function calls(log: string): string[] {
  return readFileSync(log, 'utf8')
    .split('\x1e')
    .filter((record) => record !== '')
    .map((record) => {
      const [tool, first, second] = record.split('\x1f')
      return [tool, first, first === 'buildx' ? second : undefined].filter(Boolean).join(' ')
    })
}

/**
 * What each push the shims ran answered: the tool, the reference and the digest (a digest of
 * its own per call), from `$ARGV_LOG.pushed`.
 */
function pushes(log: string): {tool: string; ref: string; digest: string}[] {
  if (!existsSync(`${log}.pushed`)) return []
  return readFileSync(`${log}.pushed`, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [tool, ref, digest] = line.split(' ')
      return {tool, ref, digest}
    })
}

async function runAuto(tools: string[], broken: string[]) {
  const runner = runnerWith(tools)
  const run = await runAction({
    inputs: {
      // Nothing listens here and nothing needs to: the shims push, and immutable tags only
      // means no copy inside the registry.
      registry: '127.0.0.1:5999',
      namespace: 'auto',
      images: '- todo-frontend: frontend',
      builder: 'auto',
      tags: 'type=sha',
      flavor: 'latest=false',
      retries: '0',
    },
    env: {PATH: runner.path, ARGV_LOG: runner.log, ARGV_SHIM_FAIL: broken.join(',')},
  })
  return {run, calls: calls(runner.log), pushes: pushes(runner.log)}
}

test.each([
  {
    why: "buildx when the plugin answers, without asking buildah or podman (docker's engine is asked at the same time as buildx, its answer unused; on a private builder: the default one has the docker driver, which cannot export the cache)",
    tools: ['docker', 'buildah', 'podman'],
    broken: [],
    probes: [
      'docker buildx version',
      'docker info',
      'docker buildx inspect',
      'docker info',
      'docker buildx create',
    ],
    built: ['docker buildx build'],
  },
  {
    why: 'classic docker when the buildx plugin is missing but the engine answers',
    tools: ['docker', 'buildah', 'podman'],
    broken: ['docker buildx'],
    probes: ['docker buildx version', 'docker info'],
    // `docker image inspect`: the image's layers, so that pushes side by side share an upload.
    built: ['docker build', 'docker image', 'docker push'],
  },
  {
    why: 'buildah when docker is installed but its engine does not answer',
    tools: ['docker', 'buildah', 'podman'],
    broken: ['docker buildx', 'docker info'],
    probes: ['docker buildx version', 'docker info', 'buildah version'],
    built: ['buildah bud', 'buildah push'],
  },
  {
    why: 'buildah when docker is not installed at all',
    tools: ['buildah', 'podman'],
    broken: [],
    probes: ['buildah version'],
    built: ['buildah bud', 'buildah push'],
  },
  {
    why: 'podman when it is the only builder installed',
    tools: ['podman'],
    broken: [],
    probes: ['podman version'],
    built: ['podman build', 'podman push'],
  },
  {
    why: 'podman when buildah is installed but broken',
    tools: ['buildah', 'podman'],
    broken: ['buildah version'],
    probes: ['buildah version', 'podman version'],
    built: ['podman build', 'podman push'],
  },
])('auto picks $why', async ({tools, broken, probes, built}) => {
  const {run, calls: recorded, pushes: pushed} = await runAuto(tools, broken)
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  // buildx's and docker's probes start together, so either may be recorded first.
  const inOrder =
    recorded[0] === 'docker info' && recorded[1] === 'docker buildx version'
      ? [recorded[1], recorded[0], ...recorded.slice(2)]
      : recorded
  expect(inOrder).toEqual([...probes, ...built])
  // The picked builder pushed the run's one reference, once; the action reports the digest that
  // push answered (each shim call answers a digest of its own), not one it made up or another's.
  const builder = built[0].split(' ')[0]
  expect(pushed.map(({tool, ref}) => ({tool, ref}))).toEqual([{tool: builder, ref: REF}])
  const [{digest}] = pushed
  expect(JSON.parse(run.outputs.images)).toMatchObject([
    {name: 'todo-frontend', status: 'pushed', pushed: true, digest},
  ])
  expect(JSON.parse(run.outputs.digests)).toEqual({'todo-frontend': digest})
})

test('auto with no working builder fails before building, naming each builder it tried and why', async () => {
  // docker is installed but neither its plugin nor its engine works; buildah and podman are absent.
  const {run, calls: recorded} = await runAuto(['docker'], ['docker buildx', 'docker info'])
  expect(run.exitCode).not.toBe(0)
  expect(run.errors).toHaveLength(1)
  const [error] = run.errors
  expect(error).toMatch(/no image builder works on this runner: /)
  expect(error).toMatch(/buildx \(`docker buildx version`: .*'buildx' does not work here/)
  expect(error).toMatch(
    /docker \(`docker info --format \{\{\.ServerVersion\}\}`: .*'info' does not/,
  )
  expect(error).toMatch(/buildah \(`buildah version`: Unable to locate executable file: buildah\b/)
  expect(error).toMatch(/podman \(`podman version`: Unable to locate executable file: podman\b/)
  expect(error).toMatch(/install Docker .*buildah or podman/)
  // buildx and docker are asked at the same time: either may be recorded first.
  expect([...recorded].sort()).toEqual(['docker buildx version', 'docker info'])
})
