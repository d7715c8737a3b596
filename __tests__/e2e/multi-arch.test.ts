/**
 * Multi-arch images against the real registry (README "Multi-arch images on native runners"):
 * two platform runs (linux/amd64 and linux/arm64, built by buildah without emulation: the images
 * are FROM scratch) push per-platform tags, and a merge run turns them into one OCI image index
 * per image.
 *
 * Every run is `node dist/index.js`, as the GitHub runner runs it: two platform runs, one merge.
 */
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import {
  pulledArchitecture,
  registryDigest,
  registryManifest,
  registryTags,
} from '../fixtures/registry-probe.js'
import {DEFAULT_SHA, PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.token
const WORKSPACE = join(PROJECT_ROOT, 'examples/todo-app')
const TWO_IMAGES = '- todo-frontend: frontend\n- todo-backend: backend'
const NAMES = ['todo-frontend', 'todo-backend']
const SHA_TAG = `sha-${DEFAULT_SHA.slice(0, 7)}`
const COMPUTED_TAGS = ['main', SHA_TAG, 'latest']
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DOCKER_IMAGE = 'application/vnd.docker.distribution.manifest.v2+json'

/** What a run leaves behind, in the shape of the action's outputs. */
interface StageRun {
  exitCode: number
  /** `::error::` annotations. */
  errors: string[]
  images: {name: string; repository: string; tags: string[]; digest: string; status: string}[]
}

/** One run of the bundled action (`node dist/index.js`) on a push to main, as the runner does it. */
async function runStage(inputs: Record<string, string>): Promise<StageRun> {
  const run = await runAction({inputs, workspace: WORKSPACE, env: {OCIR_PUSH_RETRY_BASE_MS: '10'}})
  await runPost(run)
  return {
    exitCode: run.exitCode,
    errors: run.errors,
    images: JSON.parse(run.outputs.images ?? '[]') as StageRun['images'],
  }
}

function inputsFor(namespace: string, stage: string, platforms: string, images = TWO_IMAGES) {
  return {
    registry: registry.host,
    namespace,
    username: registry.username as string,
    'auth-token': registry.password as string,
    images,
    builder: 'buildah',
    stage,
    platforms,
    'max-parallel': '2',
    retries: '1',
  }
}

/** Both platform runs of a matrix; `arm64Images` lets one image's arm64 leg go missing. */
async function platformRuns(namespace: string, arm64Images = TWO_IMAGES): Promise<void> {
  for (const [platforms, images] of [
    ['linux/amd64', TWO_IMAGES],
    ['linux/arm64', arm64Images],
  ]) {
    const run = await runStage(inputsFor(namespace, 'platform', platforms, images))
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    for (const image of run.images)
      expect(image.tags).toEqual([`${SHA_TAG}-${platforms.replace('/', '-')}`])
  }
}

/** A previous release's `latest`: here the amd64 leg, copied inside the registry. */
async function seedLatest(namespace: string): Promise<Record<string, string>> {
  const client = new RegistryHttpClient({
    host: registry.host,
    insecure: true,
    username: registry.username,
    password: registry.password,
    retry: {retries: 1, baseMs: 50},
  })
  const latest: Record<string, string> = {}
  for (const name of NAMES)
    latest[name] = await client.copyManifest(
      {repository: `${namespace}/${name}`, reference: `${SHA_TAG}-linux-amd64`},
      ['latest'],
    )
  return latest
}

describe('scale out: per-platform runs merged by digest into multi-arch images (buildah, token auth)', () => {
  test('every computed tag of every image names one OCI index of exactly the two platform manifests', async () => {
    const namespace = uniqueNamespace('ma')
    await platformRuns(namespace)
    const seeded = await seedLatest(namespace)

    const legs: Record<string, Record<string, string>> = {}
    for (const name of NAMES) {
      const repository = `${namespace}/${name}`
      // A platform run pushes its per-platform tag and nothing else (latest is our seed).
      expect((await registryTags(registry, repository)).sort()).toEqual(
        ['latest', `${SHA_TAG}-linux-amd64`, `${SHA_TAG}-linux-arm64`].sort(),
      )
      legs[name] = {}
      for (const arch of ['amd64', 'arm64']) {
        const manifest = await registryManifest(registry, repository, `${SHA_TAG}-linux-${arch}`)
        // buildah pushes Docker schema 2; distribution accepts such children in an OCI index.
        expect(manifest?.mediaType).toBe(DOCKER_IMAGE)
        legs[name][arch] = (await registryDigest(
          registry,
          repository,
          `${SHA_TAG}-linux-${arch}`,
        )) as string
      }
      expect(legs[name].amd64).not.toBe(legs[name].arm64)
    }

    const merge = await runStage(inputsFor(namespace, 'merge', 'linux/amd64,linux/arm64'))
    expect(merge.errors).toEqual([])
    expect(merge.exitCode).toBe(0)

    for (const image of merge.images) {
      const repository = `${namespace}/${image.name}`
      expect(image).toMatchObject({
        repository: `${registry.host}/${repository}`,
        status: 'pushed',
        digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      })
      expect(image.tags).toEqual([SHA_TAG, 'main', 'latest'])
      expect(image.digest).not.toBe(seeded[image.name])
      for (const tag of COMPUTED_TAGS)
        expect(await registryDigest(registry, repository, tag), `${repository}:${tag}`).toBe(
          image.digest,
        )

      const index = (await registryManifest(registry, repository, SHA_TAG)) as {
        mediaType: string
        manifests: {mediaType: string; digest: string; platform: Record<string, string>}[]
        annotations: Record<string, string>
      }
      expect(index.mediaType).toBe(OCI_INDEX)
      expect(index.manifests).toEqual([
        expect.objectContaining({
          mediaType: DOCKER_IMAGE,
          digest: legs[image.name].amd64,
          platform: {architecture: 'amd64', os: 'linux'},
        }),
        expect.objectContaining({
          mediaType: DOCKER_IMAGE,
          digest: legs[image.name].arm64,
          platform: {architecture: 'arm64', os: 'linux'},
        }),
      ])
      expect(index.annotations['org.opencontainers.image.revision']).toBe(DEFAULT_SHA)
      // A client resolves the index to the manifest of its own platform.
      for (const arch of ['amd64', 'arm64'])
        expect(
          pulledArchitecture(registry, `${registry.host}/${repository}:latest`, `linux/${arch}`),
        ).toBe(arch)
      // The per-platform tags stay; nothing else was added.
      expect((await registryTags(registry, repository)).sort()).toEqual(
        [...COMPUTED_TAGS, `${SHA_TAG}-linux-amd64`, `${SHA_TAG}-linux-arm64`].sort(),
      )
    }
  })

  test('a missing platform fails the merge naming the image and the platform; no tag of any image moves', async () => {
    const namespace = uniqueNamespace('ma')
    // The arm64 runner pushed todo-frontend only: todo-backend's arm64 leg is missing.
    await platformRuns(namespace, '- todo-frontend: frontend')
    const seeded = await seedLatest(namespace)

    const merge = await runStage(inputsFor(namespace, 'merge', 'linux/amd64,linux/arm64'))
    expect(merge.exitCode).not.toBe(0)
    expect(merge.errors).toHaveLength(1)
    expect(merge.errors[0]).toMatch(
      /image 'todo-backend' failed: platform linux\/arm64 is missing: .*todo-backend:sha-0123456-linux-arm64 does not exist/,
    )
    expect(merge.errors[0]).toMatch(/No moving tag .* was changed/)
    expect(merge.images.map((image) => [image.name, image.status])).toEqual([
      ['todo-frontend', 'skipped'],
      ['todo-backend', 'failed'],
    ])

    for (const name of NAMES) {
      const repository = `${namespace}/${name}`
      expect(await registryDigest(registry, repository, 'latest'), `${repository}:latest`).toBe(
        seeded[name],
      )
      expect(await registryDigest(registry, repository, 'main')).toBeUndefined()
      expect(await registryDigest(registry, repository, SHA_TAG)).toBeUndefined()
    }
  })
})
