/**
 * Rebuild only what changed: through dist/index.js, the classic docker builder and the open
 * registry. Each run is a push to main at a new commit whose `before` is the previous one; an
 * image whose build inputs did not change is relabelled in the registry instead of rebuilt.
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, expect, test} from 'vitest'
import {registryDigest, registryLabels, registryLayers} from '../fixtures/registry-probe.js'
import {runAction, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const open = env.registries.open
const namespace = uniqueNamespace('reuse')
const base = `${open.host}/${namespace}/base:1`
let workspace: string
let commit = 0
let before = '0'.repeat(40)

const shaOf = (n: number): string => n.toString(16).padStart(7, '0').padEnd(40, 'a')

interface ImageOutput {
  name: string
  tags: string[]
  digest: string
  built: boolean
  'reused-from': string
}

function write(path: string, text: string): void {
  mkdirSync(join(workspace, path, '..'), {recursive: true})
  writeFileSync(join(workspace, path), text)
}

/** A new base image under the same tag: its digest changes. */
function pushBase(content: string): void {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'base-'))
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${env.baseImage}\nCOPY version /base-version\n`)
  writeFileSync(join(dir, 'version'), content)
  execFileSync('docker', ['build', '-q', '-t', base, dir], {stdio: 'ignore'})
  execFileSync('docker', ['push', base], {stdio: 'ignore'})
}

/** One push to main at the next commit, with `before` the commit of the run before. */
async function release(
  images: string,
  inputs: Record<string, string> = {},
): Promise<{run: ActionRun; images: Record<string, ImageOutput>}> {
  commit++
  const sha = shaOf(commit)
  const run = await runAction({
    inputs: {registry: open.host, namespace, images, builder: 'docker', ...inputs},
    sha,
    workspace,
    event: {
      ref: 'refs/heads/main',
      before,
      after: sha,
      head_commit: {id: sha, timestamp: `2026-11-0${commit % 9 || 1}T10:00:00Z`},
      repository: {default_branch: 'main', html_url: 'https://github.com/acme/todo'},
    },
  })
  before = sha
  expect(run.errors).toEqual([])
  const outputs = JSON.parse(run.outputs.images ?? '[]') as ImageOutput[]
  return {run, images: Object.fromEntries(outputs.map((image) => [image.name, image]))}
}

const IMAGES = [
  '- name: app-a',
  '  context: a',
  '- name: app-b',
  '  context: b',
  '  target: two',
].join('\n')

beforeAll(() => {
  workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'reuse-'))
  pushBase('one')
  write('a/Dockerfile', `FROM ${base}\nARG GREETING=hello\nCOPY app.txt /app.txt\n`)
  write('a/app.txt', 'a 1\n')
  write(
    'b/Dockerfile',
    `FROM ${base} AS one\nCOPY app.txt /app.txt\nFROM one AS two\nCOPY extra.txt /extra.txt\n`,
  )
  write('b/app.txt', 'b 1\n')
  write('b/extra.txt', 'extra 1\n')
  write('b/.dockerignore', 'ignored.txt\n')
  write('b/ignored.txt', 'ignored 1\n')
})

const layersOf = (name: string, tag: string): Promise<string[]> =>
  registryLayers(open, `${namespace}/${name}`, tag)

test('unchanged images are relabelled, not rebuilt; each input that matters triggers a rebuild', async () => {
  // 1. The first release: nothing to compare with, both are built.
  const first = await release(IMAGES)
  expect([first.images['app-a'].built, first.images['app-b'].built]).toEqual([true, true])
  const firstSha = shaOf(commit).slice(0, 7)

  // 2. Nothing changed: both are reused from main, with this commit's labels and the same layers.
  const second = await release(IMAGES)
  const sha = shaOf(commit)
  for (const name of ['app-a', 'app-b']) {
    const image = second.images[name]
    expect(image.built, name).toBe(false)
    expect(image['reused-from']).toBe(`${open.host}/${namespace}/${name}:main`)
    expect(await layersOf(name, `sha-${sha.slice(0, 7)}`)).toEqual(
      await layersOf(name, `sha-${firstSha}`),
    )
    const labels = await registryLabels(open, `${namespace}/${name}`, `sha-${sha.slice(0, 7)}`)
    expect(labels['org.opencontainers.image.revision']).toBe(sha)
    expect(labels['dev.ocir-push.build-key']).toMatch(/^sha256:[0-9a-f]{64}$/)
    // latest and main moved to the relabelled image.
    for (const tag of ['main', 'latest'])
      expect(await registryDigest(open, `${namespace}/${name}`, tag)).toBe(image.digest)
  }
  expect(second.run.summary).toContain('reused from main (inputs unchanged)')
  expect(second.run.stdout).not.toMatch(/^Step \d+\/\d+ :/m)
  // The reused image runs, and is this commit's image.
  const ref = `${open.host}/${namespace}/app-a:sha-${sha.slice(0, 7)}`
  execFileSync('docker', ['pull', '-q', ref], {stdio: 'ignore'})
  expect(execFileSync('docker', ['run', '--rm', ref, 'cat', '/app.txt'], {encoding: 'utf8'})).toBe(
    'a 1\n',
  )

  // 3. A file of b's context changed: a is reused, b is built.
  write('b/app.txt', 'b 2\n')
  let run = await release(IMAGES)
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([false, true])
  expect(run.run.stdout).toMatch(/building: inputs changed since main/)

  // 4. Only a .dockerignored file changed: both are reused.
  write('b/ignored.txt', 'ignored 2\n')
  run = await release(IMAGES)
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([false, false])

  // 5. A build argument changed: a is built.
  const withArg = IMAGES.replace('  context: a', '  context: a\n  build-args: {GREETING: hi}')
  run = await release(withArg)
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([true, false])

  // 6. The Dockerfile changed: a is built.
  write('a/Dockerfile', `FROM ${base}\nARG GREETING=hello\nCOPY app.txt /app.txt\nENV X=1\n`)
  run = await release(withArg)
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([true, false])

  // 7. The target changed: b is built.
  const otherTarget = withArg.replace('target: two', 'target: one')
  run = await release(otherTarget)
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([false, true])

  // 8. The base image's digest changed in its registry: both are built.
  pushBase('two')
  run = await release(otherTarget)
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([true, true])

  // 9. reuse: false and cache: none build everything, as before.
  run = await release(otherTarget, {reuse: 'false', cache: 'none'})
  expect([run.images['app-a'].built, run.images['app-b'].built]).toEqual([true, true])
  expect(run.run.stdout).not.toMatch(/docker pull|--cache-from/)
})

test('a pull request that changes one service builds it and reuses the others from the base branch', async () => {
  // main as the pull request's base: built with reuse on, so its images carry their build keys.
  const onMain = await release(IMAGES.replace('target: two', 'target: one'))
  expect(onMain.images['app-a'].built).toBe(true)
  // The pull request's change: one file of b.
  write('b/app.txt', 'b from the pull request\n')
  const sha = 'feedface'.padEnd(40, '0')
  const run = await runAction({
    inputs: {
      registry: open.host,
      namespace,
      images: IMAGES.replace('target: two', 'target: one'),
      builder: 'docker',
    },
    sha,
    workspace,
    eventName: 'pull_request',
    ref: 'refs/pull/7/merge',
    event: {
      number: 7,
      pull_request: {number: 7, head: {sha}, base: {ref: 'main'}},
      repository: {default_branch: 'main', html_url: 'https://github.com/acme/todo'},
    },
  })
  expect(run.errors).toEqual([])
  const images = JSON.parse(run.outputs.images) as ImageOutput[]
  expect(images.map((image) => [image.name, image.built, image['reused-from']])).toEqual([
    ['app-a', false, `${open.host}/${namespace}/app-a:main`],
    ['app-b', true, ''],
  ])
  expect(run.stdout).toMatch(/building: inputs changed since main/)
})

test('on a cold engine, a changed image takes its unchanged dependency layer from the previous release', async () => {
  const name = 'app-deps'
  const repository = `${namespace}/${name}`
  const token = `${Date.now()}-${Math.random()}`
  write(
    'deps/Dockerfile',
    `FROM ${base}\nRUN echo "deps ${token}" > /deps && sleep 1\nCOPY app.txt /app.txt\n`,
  )
  write('deps/app.txt', 'deps 1\n')
  const images = `- name: ${name}\n  context: deps`
  const first = await release(images)
  expect(first.images[name].built).toBe(true)
  const firstLayers = await layersOf(name, 'main')

  // Cold: this image's local copies are gone, as on a new runner (the base image stays).
  const local = execFileSync(
    'docker',
    ['images', '--format', '{{.Repository}}:{{.Tag}}', `${open.host}/${repository}`],
    {encoding: 'utf8'},
  )
    .split('\n')
    .filter(Boolean)
  execFileSync('docker', ['rmi', '-f', ...local], {stdio: 'ignore'})

  write('deps/app.txt', 'deps 2\n')
  const second = await release(images)
  expect(second.images[name].built).toBe(true)
  // The previous release was pulled and served the RUN step; only the last layer is new.
  expect(second.run.stdout).toMatch(/Using cache/)
  const secondLayers = await layersOf(name, 'main')
  expect(secondLayers.slice(0, -1)).toEqual(firstLayers.slice(0, -1))
  expect(secondLayers.at(-1)).not.toBe(firstLayers.at(-1))
})

test('after a reuse: false release on main, a pull request that changes one of four services builds only that one', async () => {
  const services = ['svc-1', 'svc-2', 'svc-3', 'svc-4']
  for (const name of services) {
    write(`${name}/Dockerfile`, `FROM ${base}\nCOPY app.txt /app.txt\n`)
    write(`${name}/app.txt`, `${name} 1\n`)
  }
  const images = services.map((name) => `- name: ${name}\n  context: ${name}`).join('\n')

  // main, with reuse off: everything is built, and every image still stores its build key.
  const onMain = await release(images, {reuse: 'false'})
  expect(services.map((name) => onMain.images[name].built)).toEqual([true, true, true, true])
  expect(onMain.run.stdout).toMatch(/building: reuse is false/)
  const mainSha = `sha-${shaOf(commit).slice(0, 7)}`
  for (const name of services) {
    const labels = await registryLabels(open, `${namespace}/${name}`, mainSha)
    expect(labels['dev.ocir-push.build-key'], name).toMatch(/^sha256:[0-9a-f]{64}$/)
  }

  // A pull request from the same repository that changes one file of svc-3.
  write('svc-3/app.txt', 'svc-3 from the pull request\n')
  const sha = 'beadfeed'.padEnd(40, '0')
  const repo = {full_name: 'acme/todo'}
  const run = await runAction({
    inputs: {registry: open.host, namespace, images, builder: 'docker'},
    sha,
    workspace,
    eventName: 'pull_request',
    ref: 'refs/pull/9/merge',
    event: {
      action: 'synchronize',
      number: 9,
      pull_request: {number: 9, head: {sha, repo}, base: {ref: 'main', repo}},
      repository: {...repo, default_branch: 'main', html_url: 'https://github.com/acme/todo'},
    },
  })
  expect(run.errors).toEqual([])
  const outputs = JSON.parse(run.outputs.images) as ImageOutput[]
  expect(outputs.map((image) => [image.name, image.built, image['reused-from']])).toEqual(
    services.map((name) => [
      name,
      name === 'svc-3',
      name === 'svc-3' ? '' : `${open.host}/${namespace}/${name}:main`,
    ]),
  )
  expect(run.stdout).toMatch(/building: inputs changed since main/)
})
