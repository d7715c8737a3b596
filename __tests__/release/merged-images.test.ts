import {createHash} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import type {ManifestRef, RegistryClient} from '../../src/ports.js'
import type {ImageSpec} from '../../src/model/action-config.js'
import {RegistryError} from '../../src/errors.js'
import {RetrySession} from '../../src/adapters/retry.js'
import {planLegs, type ImageLegs} from '../../src/plan/platform-legs.js'
import {planPushes} from '../../src/plan/push-plan.js'
import type {ComputedTag, TagPlan} from '../../src/plan/tags/tag-types.js'
import {mergedImages} from '../../src/release/merged-images.js'
import {
  releaseImages,
  type ReleaseInput,
  type ReleaseResult,
} from '../../src/release/release-order.js'

const DOCKER_IMAGE = 'application/vnd.docker.distribution.manifest.v2+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const PLATFORMS = ['linux/amd64', 'linux/arm64']

const TAGS: ComputedTag[] = [
  {name: 'main', moving: true, isLatest: false},
  {name: 'sha-0123456', moving: false, isLatest: false},
  {name: 'latest', moving: true, isLatest: true},
]

const sha256 = (body: Buffer): string => `sha256:${createHash('sha256').update(body).digest('hex')}`

const imageOf = (name: string, platforms = PLATFORMS, labels = {}): ImageSpec => ({
  name,
  context: name,
  file: `${name}/Dockerfile`,
  buildArgs: {},
  platforms,
  labels,
})

/** A registry in memory: manifests per `repository:reference`, and every call, in order. */
class FakeStore implements Pick<
  RegistryClient,
  'getManifest' | 'putManifest' | 'listTags' | 'copyManifest'
> {
  readonly manifests = new Map<string, {body: Buffer; mediaType: string}>()
  readonly events: string[] = []
  /** `repository:reference` whose GET or PUT throws. */
  failing = new Map<string, Error>()

  seed(repository: string, tag: string, mediaType = DOCKER_IMAGE): string {
    const body = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType, repository, tag}))
    this.manifests.set(`${repository}:${tag}`, {body, mediaType})
    return sha256(body)
  }

  digestOf(repository: string, reference: string): string | undefined {
    const manifest = this.manifests.get(`${repository}:${reference}`)
    return manifest && sha256(manifest.body)
  }

  index(repository: string, reference: string): {manifests: {digest: string; platform: object}[]} {
    const manifest = this.manifests.get(`${repository}:${reference}`)
    return JSON.parse(manifest?.body.toString() ?? 'null') as {
      manifests: {digest: string; platform: object}[]
    }
  }

  async getManifest(ref: ManifestRef) {
    this.events.push(`GET ${ref.repository}:${ref.reference}`)
    const failure = this.failing.get(`${ref.repository}:${ref.reference}`)
    if (failure) throw failure
    const manifest = ref.reference.startsWith('sha256:')
      ? [...this.manifests.entries()].find(
          ([key, candidate]) =>
            key.startsWith(`${ref.repository}:`) && sha256(candidate.body) === ref.reference,
        )?.[1]
      : this.manifests.get(`${ref.repository}:${ref.reference}`)
    return manifest && {...manifest, digest: sha256(manifest.body)}
  }

  async putManifest(repository: string, reference: string, body: Buffer, mediaType: string) {
    this.events.push(`PUT ${repository}:${reference}`)
    const failure = this.failing.get(`${repository}:${reference}`)
    if (failure) throw failure
    this.manifests.set(`${repository}:${reference}`, {body, mediaType})
    return sha256(body)
  }

  async copyManifest(from: ManifestRef, toTags: readonly string[]): Promise<string> {
    const manifest = await this.getManifest(from)
    if (!manifest) throw new RegistryError(`manifest ${from.reference} not found`, 404)
    for (const tag of toTags)
      await this.putManifest(from.repository, tag, manifest.body, manifest.mediaType)
    return manifest.digest
  }

  async listTags(repository: string): Promise<string[]> {
    this.events.push(`LIST ${repository}`)
    return [...this.manifests.keys()]
      .filter((key) => key.startsWith(`${repository}:`) && !key.includes('@'))
      .map((key) => key.slice(repository.length + 1))
  }
}

interface MergeInput {
  images: ImageLegs[]
  registry: FakeStore
  labels: Record<string, string>
  tagPlan: ReleaseInput['tagPlan']
}

function inputOf(
  store: FakeStore,
  images: ImageSpec[],
  tags: ComputedTag[] = TAGS,
  tagPlan: Partial<Pick<TagPlan, 'latestVersion'>> = {},
): MergeInput {
  return {
    images: planLegs('merge', planPushes(images, 'r.example', 'ns', tags), 'sha-0123456'),
    registry: store,
    labels: {'org.opencontainers.image.revision': '0123456', team: 'a'},
    tagPlan: {tags, ...tagPlan},
  }
}

/** `stage: merge` as the pipeline runs it: the release order with merged images as the source. */
function runMergeStage(input: MergeInput): Promise<ReleaseResult> {
  return releaseImages({
    plans: input.images.map((image) => image.plan),
    source: mergedImages(input.images, input.registry, input.labels),
    registry: input.registry,
    retry: new RetrySession({retries: 0, baseMs: 1}),
    maxParallel: 2,
    push: true,
    tagPlan: input.tagPlan,
  })
}

/** A store with both legs of every named image pushed. */
function storeWithLegs(...names: string[]): FakeStore {
  const store = new FakeStore()
  for (const name of names)
    for (const platform of PLATFORMS)
      store.seed(`ns/${name}`, `sha-0123456-${platform.replace('/', '-')}`)
  return store
}

describe('runMergeStage', () => {
  test('reads every leg, pushes one index per image under the immutable tags, then the moving ones', async () => {
    const store = storeWithLegs('web', 'api')
    const {images, notices} = await runMergeStage(inputOf(store, [imageOf('web'), imageOf('api')]))
    expect(notices).toEqual([])

    const legReads = store.events.filter((event) => /^GET .*-linux-/.test(event))
    const puts = store.events.filter((event) => event.startsWith('PUT'))
    // Every leg is read before the first write; every immutable tag before any moving one,
    // which are copies of the index by digest (one GET, one PUT per tag).
    expect(legReads).toHaveLength(4)
    expect(store.events.slice(0, 4)).toEqual(expect.arrayContaining(legReads))
    expect(store.events.filter((event) => /^GET .*:sha256:/.test(event))).toHaveLength(2)
    expect(puts.slice(0, 2).sort()).toEqual(['PUT ns/api:sha-0123456', 'PUT ns/web:sha-0123456'])
    expect(puts.slice(2).sort()).toEqual([
      'PUT ns/api:latest',
      'PUT ns/api:main',
      'PUT ns/web:latest',
      'PUT ns/web:main',
    ])

    for (const image of images) {
      const repository = `ns/${image.name}`
      const legs = PLATFORMS.map((platform) =>
        store.digestOf(repository, `sha-0123456-${platform.replace('/', '-')}`),
      )
      expect(store.index(repository, 'sha-0123456')).toMatchObject({
        mediaType: OCI_INDEX,
        manifests: [
          {
            digest: legs[0],
            mediaType: DOCKER_IMAGE,
            platform: {os: 'linux', architecture: 'amd64'},
          },
          {
            digest: legs[1],
            mediaType: DOCKER_IMAGE,
            platform: {os: 'linux', architecture: 'arm64'},
          },
        ],
        annotations: {'org.opencontainers.image.revision': '0123456'},
      })
      expect(image).toMatchObject({
        status: 'pushed',
        pushed: true,
        digest: store.digestOf(repository, 'sha-0123456'),
        refs: [
          `r.example/${repository}:sha-0123456`,
          `r.example/${repository}:main`,
          `r.example/${repository}:latest`,
        ],
        platforms: [
          {platform: 'linux/amd64', digest: legs[0]},
          {platform: 'linux/arm64', digest: legs[1]},
        ],
      })
      for (const tag of ['main', 'latest'])
        expect(store.digestOf(repository, tag)).toBe(image.digest)
    }
  })

  test('a missing platform fails naming the image and the platform, and nothing is pushed at all', async () => {
    const store = storeWithLegs('web')
    store.seed('ns/api', 'sha-0123456-linux-amd64')
    const {images} = await runMergeStage(inputOf(store, [imageOf('web'), imageOf('api')]))
    expect(store.events.filter((event) => !event.startsWith('GET'))).toEqual([])
    expect(images.map((image) => [image.name, image.status])).toEqual([
      ['web', 'skipped'],
      ['api', 'failed'],
    ])
    expect(images[1].message).toMatch(
      /^platform linux\/arm64 is missing: r\.example\/ns\/api:sha-0123456-linux-arm64 does not exist; run stage: platform for linux\/arm64/,
    )
    expect(images[0].message).toMatch(
      /nothing pushed, and no tag moved.*'api' \(platform linux\/arm64 is missing/,
    )
  })

  test('every missing or unusable platform of an image is named', async () => {
    const store = new FakeStore()
    store.seed('ns/web', 'sha-0123456-linux-amd64', OCI_INDEX)
    const {images} = await runMergeStage(inputOf(store, [imageOf('web')]))
    expect(images[0].status).toBe('failed')
    expect(images[0].message).toMatch(
      /platform linux\/amd64 cannot be merged: .*multi-platform index.*provenance: false\); platform linux\/arm64 is missing/,
    )
  })

  test('a registry error while reading a leg fails the image, nothing is pushed', async () => {
    const store = storeWithLegs('web')
    store.failing.set(
      'ns/web:sha-0123456-linux-arm64',
      new RegistryError('GET manifest failed with HTTP 500', 500),
    )
    const {images} = await runMergeStage(inputOf(store, [imageOf('web')]))
    expect(images[0]).toMatchObject({status: 'failed', pushed: false})
    expect(images[0].message).toMatch(
      /platform linux\/arm64: reading .* failed: GET manifest failed with HTTP 500/,
    )
    expect(store.events.filter((event) => event.startsWith('PUT'))).toEqual([])
  })

  test('an index that cannot be pushed for one image: the others keep their immutable tags, no tag moves', async () => {
    const store = storeWithLegs('web', 'api')
    store.failing.set(
      'ns/api:sha-0123456',
      new RegistryError('PUT refused', 400, 'MANIFEST_INVALID'),
    )
    const {images} = await runMergeStage(inputOf(store, [imageOf('web'), imageOf('api')]))
    expect(store.events.filter((event) => event.startsWith('PUT')).sort()).toEqual([
      'PUT ns/api:sha-0123456',
      'PUT ns/web:sha-0123456',
    ])
    expect(images[0]).toMatchObject({
      status: 'pushed',
      refs: ['r.example/ns/web:sha-0123456'],
      message: "moving tags not applied because 'api' failed",
    })
    expect(images[1]).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/PUT refused/),
    })
  })

  test('latest never moves backwards: a backport release leaves latest of every image alone', async () => {
    const store = storeWithLegs('web', 'api')
    store.seed('ns/api', '1.2.3')
    const tags: ComputedTag[] = [
      {name: '1.1.9', moving: false, isLatest: false},
      {name: '1.1', moving: true, isLatest: false},
      {name: 'latest', moving: true, isLatest: true},
    ]
    const {images, notices} = await runMergeStage(
      inputOf(store, [imageOf('web'), imageOf('api')], tags, {latestVersion: '1.1.9'}),
    )
    expect(notices).toEqual([expect.stringMatching(/^latest not moved for any image.*1\.2\.3/)])
    expect(store.events.filter((event) => event.endsWith(':latest'))).toEqual([])
    expect(images.map((image) => image.refs.map((ref) => ref.split(':')[1]))).toEqual([
      ['1.1.9', '1.1'],
      ['1.1.9', '1.1'],
    ])
  })

  test('only moving tags: the index is stored by digest, then tagged', async () => {
    const store = storeWithLegs('web')
    const tags: ComputedTag[] = [{name: 'stable', moving: true, isLatest: false}]
    const {images} = await runMergeStage(inputOf(store, [imageOf('web')], tags))
    const digest = images[0].digest
    expect(digest).toMatch(/^sha256:/)
    expect(store.events.filter((event) => event.startsWith('PUT'))).toEqual([
      `PUT ns/web:${digest}`,
      'PUT ns/web:stable',
    ])
    expect(store.digestOf('ns/web', 'stable')).toBe(digest)
    expect(images[0]).toMatchObject({status: 'pushed', refs: ['r.example/ns/web:stable']})
  })

  test("an image's own OCI labels go into its index's annotations", async () => {
    const store = storeWithLegs('web')
    await runMergeStage(
      inputOf(store, [imageOf('web', PLATFORMS, {'org.opencontainers.image.title': 'Web'})]),
    )
    expect(store.index('ns/web', 'sha-0123456')).toMatchObject({
      annotations: {
        'org.opencontainers.image.revision': '0123456',
        'org.opencontainers.image.title': 'Web',
      },
    })
  })
})
