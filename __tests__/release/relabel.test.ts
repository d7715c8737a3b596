/** relabelImage and annotations: what a reused image's new manifests and index carry. */
import {createHash} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import type {ManifestRef} from '../../src/ports.js'
import {relabelImage, type ReuseRegistry} from '../../src/release/relabel.js'

const digestOf = (body: Buffer): string =>
  `sha256:${createHash('sha256').update(body).digest('hex')}`
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const REPO = 'ns/app'

/** Manifests by reference and blobs by digest, in memory. */
class MemoryRegistry implements ReuseRegistry {
  readonly manifests = new Map<string, {body: Buffer; mediaType: string}>()
  readonly blobs = new Map<string, Buffer>()

  async getManifest({reference}: ManifestRef) {
    const found = this.manifests.get(reference)
    return found && {...found, digest: digestOf(found.body)}
  }
  async putManifest(_repository: string, reference: string, body: Buffer, mediaType: string) {
    this.manifests.set(reference, {body, mediaType})
    this.manifests.set(digestOf(body), {body, mediaType})
    return digestOf(body)
  }
  async getBlob(_repository: string, digest: string) {
    return this.blobs.get(digest)
  }
  async putBlob(_repository: string, body: Buffer) {
    this.blobs.set(digestOf(body), body)
    return digestOf(body)
  }

  /** A one-platform image of `mediaType`, with `annotations` when given; its digest. */
  image(mediaType: string, annotations?: Record<string, string>, layer = 'layer'): string {
    const config = json({architecture: 'amd64', config: {Labels: {}}, layer})
    this.blobs.set(digestOf(config), config)
    const body = json({
      schemaVersion: 2,
      mediaType,
      config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config)},
      layers: [],
      ...(annotations ? {annotations} : {}),
    })
    this.manifests.set(digestOf(body), {body, mediaType})
    return digestOf(body)
  }

  read(reference: string): {annotations?: Record<string, string>; [field: string]: unknown} {
    return JSON.parse(this.manifests.get(reference)!.body.toString()) as {
      annotations?: Record<string, string>
    }
  }
}

const LABELS = {
  'org.opencontainers.image.revision': 'new',
  'org.opencontainers.image.version': '2.0.0',
  'dev.ocir-push.build-key': 'sha256:key',
}
const NEW = {
  'org.opencontainers.image.revision': 'new',
  'org.opencontainers.image.version': '2.0.0',
}

function previousOf(registry: MemoryRegistry, digest: string) {
  const found = registry.manifests.get(digest)!
  return {tag: 'main', ...found}
}

/** A multi-platform previous release: an OCI index of two OCI manifests. */
function indexOf(registry: MemoryRegistry, annotations?: Record<string, string>) {
  const old = {
    'org.opencontainers.image.revision': 'old',
    'org.opencontainers.image.base.name': 'b',
  }
  const entries = ['amd64', 'arm64'].map((architecture) => ({
    mediaType: OCI_MANIFEST,
    digest: registry.image(OCI_MANIFEST, old, architecture),
    size: 1,
    platform: {os: 'linux', architecture},
  }))
  const body = json({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: entries,
    ...(annotations ? {annotations} : {}),
  })
  registry.manifests.set('main', {body, mediaType: OCI_INDEX})
  return {tag: 'main', body, mediaType: OCI_INDEX}
}

describe('relabelImage: annotations of a reused image', () => {
  test('an index, levels unset: the new index carries the index annotations, as a merge does', async () => {
    const registry = new MemoryRegistry()
    await relabelImage(registry, REPO, indexOf(registry), LABELS, ['1'])
    const index = registry.read('1') as {annotations?: object; manifests: {digest: string}[]}
    expect(index.annotations).toEqual(NEW)
    // Its manifests get no new annotation, but none keeps describing the previous release.
    for (const entry of index.manifests)
      expect(registry.read(entry.digest).annotations).toEqual({
        'org.opencontainers.image.revision': 'new',
        'org.opencontainers.image.base.name': 'b',
      })
  })

  test('index,manifest,manifest-descriptor: the index, each manifest, each descriptor', async () => {
    const registry = new MemoryRegistry()
    const previous = indexOf(registry, {'org.opencontainers.image.version': '1.0.0', other: 'x'})
    await relabelImage(
      registry,
      REPO,
      previous,
      LABELS,
      ['1'],
      ['index', 'manifest', 'manifest-descriptor'],
    )
    const index = registry.read('1') as {
      annotations?: object
      manifests: {digest: string; annotations?: object}[]
    }
    expect(index.annotations).toEqual({...NEW, other: 'x'})
    for (const entry of index.manifests) {
      expect(entry.annotations).toEqual(NEW)
      expect(registry.read(entry.digest).annotations).toEqual({
        ...NEW,
        'org.opencontainers.image.base.name': 'b',
      })
    }
  })

  test('manifest only: an index that had none keeps none; the old index key is brought up to date', async () => {
    const registry = new MemoryRegistry()
    const previous = indexOf(registry, {'org.opencontainers.image.version': '1.0.0'})
    await relabelImage(registry, REPO, previous, LABELS, ['1'], ['manifest'])
    expect(registry.read('1').annotations).toEqual({'org.opencontainers.image.version': '2.0.0'})
  })

  test('one OCI manifest, manifest level: annotated', async () => {
    const registry = new MemoryRegistry()
    const previous = previousOf(registry, registry.image(OCI_MANIFEST))
    await relabelImage(registry, REPO, previous, LABELS, ['1'], ['manifest'])
    expect(registry.read('1').annotations).toEqual(NEW)
  })

  test('one Docker manifest: no annotations field added (it has no place for one)', async () => {
    const registry = new MemoryRegistry()
    const previous = previousOf(registry, registry.image(DOCKER_MANIFEST))
    await relabelImage(registry, REPO, previous, LABELS, ['1'], ['manifest'])
    expect(registry.read('1')).not.toHaveProperty('annotations')
  })
})
