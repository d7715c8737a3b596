import {cpSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {DEFAULT_SHA, PROJECT_ROOT, runAction, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace, type RegistryInfo} from '../fixtures/test-env.js'

const env = testEnvironment()
const THREE_IMAGES = `- todo-frontend: frontend
- name: todo-backend
  context: backend
  build-args:
    APP_VERSION: "2.0"
- todo-recurring: recurring`
const NAMES = ['todo-frontend', 'todo-backend', 'todo-recurring']
const SHORT = `sha-${DEFAULT_SHA.slice(0, 7)}`

interface ImageOutput {
  name: string
  repository: string
  tags: string[]
  digest: string
  pushed: boolean
  status: string
}

/** Every output tag exists, each image's tags share one digest, and the outputs say which. */
async function expectOutputsMatchRegistry(
  run: ActionRun,
  registry: RegistryInfo,
  namespace: string,
): Promise<void> {
  const digests = JSON.parse(run.outputs.digests) as Record<string, string>
  const images = JSON.parse(run.outputs.images) as ImageOutput[]
  expect(images.map((image) => image.name)).toEqual(NAMES)
  expect(Object.keys(digests).sort()).toEqual([...NAMES].sort())
  for (const image of images) {
    expect(image).toMatchObject({
      repository: `${registry.host}/${namespace}/${image.name}`,
      status: 'pushed',
      pushed: true,
      digest: digests[image.name],
    })
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const repository = `${namespace}/${image.name}`
    expect((await registryTags(registry, repository)).sort()).toEqual([...image.tags].sort())
    for (const tag of image.tags)
      expect(await registryDigest(registry, repository, tag), `${repository}:${tag}`).toBe(
        image.digest,
      )
  }
  expect(run.outputs.tags.split('\n')).toHaveLength(9)
  for (const name of NAMES)
    expect(run.summary).toContain(
      `docker pull ${registry.host}/${namespace}/${name}@${digests[name]}`,
    )
}

describe.each([
  {builder: 'docker', registry: env.registries.htpasswd, username: 'tester', why: 'htpasswd'},
  {builder: 'docker', registry: env.registries.token, username: 'tester', why: 'token auth'},
  {builder: 'buildah', registry: env.registries.htpasswd, username: 'tester', why: 'htpasswd'},
  {builder: 'buildah', registry: env.registries.token, username: 'tester', why: 'token auth'},
  {builder: 'podman', registry: env.registries.htpasswd, username: 'tester', why: 'htpasswd'},
  {builder: 'podman', registry: env.registries.token, username: 'tester', why: 'token auth'},
])('$builder pushes a three-image app to the $why registry', ({builder, registry, username}) => {
  test('every tag exists, tags of an image share one digest, outputs match the registry', async () => {
    const namespace = uniqueNamespace()
    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace,
        username,
        'auth-token': registry.password as string,
        images: THREE_IMAGES,
        builder,
        'max-parallel': '3',
      },
      // A fixed build time: the second registry's run reuses the first one's cached layers.
      env: {SOURCE_DATE_EPOCH: '1700000000'},
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs['tag-names'].split('\n')).toEqual(['main', SHORT, 'latest'])
    await expectOutputsMatchRegistry(run, registry, namespace)
    // One group per image, printed whole.
    for (const name of NAMES) expect(run.stdout).toMatch(new RegExp(`::group::${name}: pushed in`))
  })
})

test.each([{builder: 'docker'}, {builder: 'podman'}])(
  '$builder, one broken Dockerfile: the step fails naming it and the builder, the good images push their immutable tags, no latest moves',
  async ({builder}) => {
    const registry = env.registries.htpasswd
    const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'broken-'))
    cpSync(join(PROJECT_ROOT, 'examples/todo-app'), workspace, {recursive: true})
    writeFileSync(
      join(workspace, 'backend/Broken.Dockerfile'),
      'FROM scratch\nCOPY missing.txt /x\n',
    )
    const namespace = uniqueNamespace()
    const inputs = {
      registry: registry.host,
      namespace,
      username: 'tester',
      'auth-token': registry.password as string,
      builder,
      'max-parallel': '3',
    }

    const seed = await runAction({inputs: {...inputs, images: THREE_IMAGES}, workspace})
    expect(seed.errors).toEqual([])
    const seeded = JSON.parse(seed.outputs.digests) as Record<string, string>

    const nextSha = '89abcdef0123456789abcdef0123456789abcdef'
    const broken = THREE_IMAGES.replace(
      'context: backend',
      'context: backend\n  file: backend/Broken.Dockerfile',
    )
    const run = await runAction({inputs: {...inputs, images: broken}, workspace, sha: nextSha})
    expect(run.exitCode).not.toBe(0)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(
      new RegExp(`image 'todo-backend' failed: ${builder} build failed .*missing\\.txt`),
    )
    expect(run.errors[0]).toMatch(/No moving tag .* was changed/)

    const images = JSON.parse(run.outputs.images) as ImageOutput[]
    expect(images.map((image) => [image.name, image.status, image.pushed])).toEqual([
      ['todo-frontend', 'pushed', true],
      ['todo-backend', 'failed', false],
      ['todo-recurring', 'pushed', true],
    ])
    const nextTag = `sha-${nextSha.slice(0, 7)}`
    for (const name of NAMES) {
      const repository = `${namespace}/${name}`
      // latest and main still name the seed run's image, for every image.
      expect(await registryDigest(registry, repository, 'latest'), `${name}:latest`).toBe(
        seeded[name],
      )
      expect(await registryDigest(registry, repository, 'main'), `${name}:main`).toBe(seeded[name])
      const pushed = await registryDigest(registry, repository, nextTag)
      if (name === 'todo-backend') {
        expect(pushed).toBeUndefined()
      } else {
        // The new build (another revision label) is there under its immutable tag only.
        expect(pushed).toBe(images.find((image) => image.name === name)?.digest)
        expect(pushed).not.toBe(seeded[name])
      }
    }
    expect(run.summary).toContain(`docker pull ${registry.host}/${namespace}/todo-frontend@`)
    expect(run.summary).not.toContain(`${namespace}/todo-backend@`)
  },
)

test('parallel legacy builds whose Dockerfiles share first steps give the same digests run after run', async () => {
  const registry = env.registries.open
  const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'shared-'))
  // A RUN step no earlier build has cached, the same in all three Dockerfiles.
  const nonce = uniqueNamespace('n')
  for (const name of ['one', 'two', 'three']) {
    mkdirSync(join(workspace, name))
    writeFileSync(join(workspace, name, `${name}.txt`), name)
    writeFileSync(
      join(workspace, name, 'Dockerfile'),
      `ARG BASE\nFROM $BASE\nRUN echo ${nonce} > /shared\nCOPY ${name}.txt /app/\n`,
    )
  }
  const images = ['one', 'two', 'three']
    .map((name) => `- name: ${name}\n  context: ${name}\n  build-args:\n    BASE: ${env.baseImage}`)
    .join('\n')
  const digestsOfRun = async (): Promise<Record<string, string>> => {
    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace: uniqueNamespace(),
        images,
        builder: 'docker',
        'max-parallel': '3',
      },
      workspace,
      env: {SOURCE_DATE_EPOCH: '1700000000'},
    })
    expect(run.errors).toEqual([])
    return JSON.parse(run.outputs.digests) as Record<string, string>
  }
  const first = await digestsOfRun()
  const second = await digestsOfRun()
  expect(Object.keys(first).sort()).toEqual(['one', 'three', 'two'])
  expect(second).toEqual(first)
})
