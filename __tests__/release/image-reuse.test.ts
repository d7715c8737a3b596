import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import type {ManifestRef} from '../../src/ports.js'
import type {ImageSpec} from '../../src/model/action-config.js'
import {planPushes, type ImagePlan} from '../../src/plan/push-plan.js'
import {buildKey, decideReuse} from '../../src/release/image-reuse.js'
import {
  BUILD_KEY_LABEL,
  readCandidate,
  relabelImage,
  type ReuseRegistry,
} from '../../src/release/relabel.js'

const digestOf = (body: Buffer): string =>
  `sha256:${createHash('sha256').update(body).digest('hex')}`
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const INDEX = 'application/vnd.oci.image.index.v1+json'

/** A registry in memory: manifests by reference, blobs by digest, and every write. */
class MemoryRegistry implements ReuseRegistry {
  readonly manifests = new Map<string, {body: Buffer; mediaType: string}>()
  readonly blobs = new Map<string, Buffer>()
  readonly writes: string[] = []

  async getManifest({repository, reference}: ManifestRef) {
    const found = this.manifests.get(`${repository}@${reference}`)
    return found && {...found, digest: digestOf(found.body)}
  }
  async putManifest(repository: string, reference: string, body: Buffer, mediaType: string) {
    this.writes.push(`manifest ${reference}`)
    this.manifests.set(`${repository}@${reference}`, {body, mediaType})
    this.manifests.set(`${repository}@${digestOf(body)}`, {body, mediaType})
    return digestOf(body)
  }
  async getBlob(_repository: string, digest: string) {
    return this.blobs.get(digest)
  }
  async putBlob(_repository: string, body: Buffer) {
    this.writes.push(`blob ${digestOf(body)}`)
    this.blobs.set(digestOf(body), body)
    return digestOf(body)
  }

  /** An image whose config carries `labels`, under `tag`; returns its manifest digest. */
  image(repository: string, tag: string, labels: Record<string, string>, layer = 'layer'): string {
    const config = json({architecture: 'amd64', config: {Labels: labels}, rootfs: {type: 'layers'}})
    this.blobs.set(digestOf(config), config)
    const manifest = json({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          digest: digestOf(Buffer.from(layer)),
          size: 5,
        },
      ],
    })
    this.manifests.set(`${repository}@${tag}`, {body: manifest, mediaType: MANIFEST})
    this.manifests.set(`${repository}@${digestOf(manifest)}`, {body: manifest, mediaType: MANIFEST})
    return digestOf(manifest)
  }
}

const imageSpec = (context: string): ImageSpec => ({
  name: 'app',
  context,
  file: join(context, 'Dockerfile'),
  buildArgs: {},
  platforms: [],
  labels: {},
})

function planOf(context: string): ImagePlan {
  return planPushes([imageSpec(context)], 'r.example', 'ns', [
    {name: 'sha-0123456', moving: false, isLatest: false},
    {name: 'main', moving: true, isLatest: false},
  ])[0]
}

function workspaceWith(dockerfile: string): string {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'reuse-'))
  mkdirSync(join(dir, 'app'))
  writeFileSync(join(dir, 'app/Dockerfile'), dockerfile)
  writeFileSync(join(dir, 'app/file.txt'), 'hello\n')
  return dir
}

const noBases = async (refs: readonly string[]) => refs.map((ref) => ({ref, reason: 'offline'}))

describe('relabelImage', () => {
  test('a new config with the labels merged, the same layers, under the immutable tags', async () => {
    const registry = new MemoryRegistry()
    registry.image('ns/app', 'main', {'org.opencontainers.image.revision': 'old', keep: 'me'})
    const previous = (await readCandidate(registry, 'ns/app', 'main'))!
    const digest = await relabelImage(
      registry,
      'ns/app',
      previous,
      {'org.opencontainers.image.revision': 'new'},
      ['sha-0123456'],
    )
    const stored = (await registry.getManifest({repository: 'ns/app', reference: 'sha-0123456'}))!
    expect(stored.digest).toBe(digest)
    const before = JSON.parse(previous.body.toString()) as {
      layers: unknown
      config: {digest: string}
    }
    const after = JSON.parse(stored.body.toString()) as {layers: unknown; config: {digest: string}}
    expect(after.layers).toEqual(before.layers)
    expect(after.config.digest).not.toBe(before.config.digest)
    const config = JSON.parse(registry.blobs.get(after.config.digest)!.toString()) as {
      config: {Labels: object}
    }
    expect(config.config.Labels).toEqual({'org.opencontainers.image.revision': 'new', keep: 'me'})
    // One config blob and one manifest: no layer moved.
    expect(registry.writes).toEqual([`blob ${after.config.digest}`, 'manifest sha-0123456'])
  })

  test('an index: each platform relabelled, a new index naming them, attestations left out', async () => {
    const registry = new MemoryRegistry()
    const amd = registry.image('ns/app', 'amd', {v: '1'}, 'amd layer')
    const arm = registry.image('ns/app', 'arm', {v: '1'}, 'arm layer')
    const index = json({
      schemaVersion: 2,
      mediaType: INDEX,
      manifests: [
        {mediaType: MANIFEST, digest: amd, size: 1, platform: {os: 'linux', architecture: 'amd64'}},
        {mediaType: MANIFEST, digest: arm, size: 1, platform: {os: 'linux', architecture: 'arm64'}},
        {
          mediaType: MANIFEST,
          digest: amd,
          size: 1,
          platform: {os: 'unknown', architecture: 'unknown'},
        },
      ],
    })
    registry.manifests.set('ns/app@main', {body: index, mediaType: INDEX})
    const previous = (await readCandidate(registry, 'ns/app', 'main'))!
    expect(previous.key).toBeUndefined()
    await relabelImage(registry, 'ns/app', previous, {v: '2'}, ['sha-0123456'])
    const stored = JSON.parse(
      (await registry.getManifest({
        repository: 'ns/app',
        reference: 'sha-0123456',
      }))!.body.toString(),
    ) as {manifests: {digest: string; platform: {architecture: string}}[]}
    expect(stored.manifests.map((entry) => entry.platform.architecture)).toEqual(['amd64', 'arm64'])
    for (const entry of stored.manifests) {
      expect([amd, arm]).not.toContain(entry.digest)
      const child = JSON.parse(
        (await registry.getManifest({
          repository: 'ns/app',
          reference: entry.digest,
        }))!.body.toString(),
      ) as {config: {digest: string}}
      expect(
        (
          JSON.parse(registry.blobs.get(child.config.digest)!.toString()) as {
            config: {Labels: object}
          }
        ).config.Labels,
      ).toEqual({v: '2'})
    }
  })
})

describe('decideReuse', () => {
  test('the same inputs give the same key; a candidate with that key is reused', async () => {
    const workspace = workspaceWith('FROM scratch\nCOPY file.txt /file.txt\n')
    const plan = planOf('app')
    const settings = {
      reuse: true,
      workspace,
      facts: {eventName: 'push', payload: {}, revision: '0'.repeat(40)},
      resolveBaseImages: noBases,
    }
    const {key} = await buildKey(settings, plan)
    expect(key).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect((await buildKey(settings, plan)).key).toBe(key)

    const registry = new MemoryRegistry()
    registry.image('ns/app', 'main', {[BUILD_KEY_LABEL]: key!})
    const decision = await decideReuse({...settings, registry}, plan, () => {})
    expect(decision).toMatchObject({kind: 'reuse', key, previous: {tag: 'main'}})
  })

  test.each([
    {
      why: 'a changed file',
      change: (dir: string) => writeFileSync(join(dir, 'app/file.txt'), 'bye\n'),
      reason: /inputs changed since main/,
    },
    {
      why: 'a base image that cannot be resolved',
      dockerfile: 'FROM busybox\nCOPY file.txt /\n',
      reason: /base image busybox could not be resolved \(offline\)/,
    },
    {
      why: 'ADD of a URL',
      dockerfile: 'FROM scratch\nADD https://example.com/x /x\n',
      reason: /ADD/,
    },
  ])('built when $why', async ({change, dockerfile, reason}) => {
    const workspace = workspaceWith('FROM scratch\nCOPY file.txt /file.txt\n')
    const plan = planOf('app')
    const settings = {
      reuse: true,
      workspace,
      facts: {eventName: 'push', payload: {}, revision: '0'.repeat(40)},
      resolveBaseImages: noBases,
    }
    const registry = new MemoryRegistry()
    registry.image('ns/app', 'main', {[BUILD_KEY_LABEL]: (await buildKey(settings, plan)).key!})
    change?.(workspace)
    if (dockerfile) writeFileSync(join(workspace, 'app/Dockerfile'), dockerfile)
    const decision = await decideReuse({...settings, registry}, plan, () => {})
    expect(decision.kind).toBe('build')
    expect(decision.kind === 'build' && decision.reason).toMatch(reason)
    // The release found is still the layer cache's source.
    expect(decision.kind === 'build' && decision.previous?.tag).toBe('main')
  })

  test.each([
    {why: 'with the layer cache: the release found is only the cache source', layerCache: true},
    {why: 'without the layer cache: no registry is read', layerCache: false},
  ])('reuse false builds, and still has the key to store, $why', async ({layerCache}) => {
    const workspace = workspaceWith('FROM scratch\nCOPY file.txt /file.txt\n')
    const plan = planOf('app')
    const settings = {
      reuse: false,
      layerCache,
      workspace,
      facts: {eventName: 'push', payload: {}, revision: '0'.repeat(40)},
      resolveBaseImages: noBases,
    }
    const {key} = await buildKey(settings, plan)
    const registry = new MemoryRegistry()
    registry.image('ns/app', 'main', {[BUILD_KEY_LABEL]: key!})
    let reads = 0
    const counting: ReuseRegistry = {
      getManifest: (ref) => (reads++, registry.getManifest(ref)),
      putManifest: (...args) => registry.putManifest(...args),
      getBlob: (repository, digest) => registry.getBlob(repository, digest),
      putBlob: (repository, body) => registry.putBlob(repository, body),
    }
    const decision = await decideReuse({...settings, registry: counting}, plan, () => {})
    expect(decision).toMatchObject({kind: 'build', key, reason: 'reuse is false'})
    expect(decision.kind === 'build' && decision.previous?.tag).toBe(
      layerCache ? 'main' : undefined,
    )
    expect(reads > 0).toBe(layerCache)
  })

  test('reuse false with a doubt: no key, and the reason names the doubt', async () => {
    const workspace = workspaceWith('FROM busybox\nCOPY file.txt /\n')
    const decision = await decideReuse(
      {
        reuse: false,
        layerCache: false,
        workspace,
        facts: {eventName: 'push', payload: {}, revision: '0'.repeat(40)},
        resolveBaseImages: noBases,
        registry: new MemoryRegistry(),
      },
      planOf('app'),
      () => {},
    )
    expect(decision.key).toBeUndefined()
    expect(decision.kind === 'build' && decision.reason).toBe(
      'reuse is false (no build key: base image busybox could not be resolved (offline))',
    )
  })
})

describe('buildKey reads only files of the checkout', () => {
  const settings = (workspace: string) => ({workspace, resolveBaseImages: noBases})
  const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj'

  test('a Dockerfile linked to a key outside the workspace: no key, a doubt naming paths only', async () => {
    const workspace = workspaceWith('FROM scratch\n')
    const outside = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'outside-'))
    writeFileSync(
      join(outside, 'key.pem'),
      `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
    )
    rmSync(join(workspace, 'app/Dockerfile'))
    symlinkSync(join(outside, 'key.pem'), join(workspace, 'app/Dockerfile'))
    const {key, doubts} = await buildKey(settings(workspace), planOf('app'))
    expect(key).toBeUndefined()
    expect(doubts).toEqual([expect.stringMatching(/key\.pem, outside the workspace/)])
    expect(doubts.join('\n')).not.toContain(body)
  })

  test('a Dockerfile that is a named pipe: a doubt at once, nothing waits on it', async () => {
    const workspace = workspaceWith('FROM scratch\n')
    rmSync(join(workspace, 'app/Dockerfile'))
    execFileSync('mkfifo', [join(workspace, 'app/Dockerfile')])
    const {doubts} = await buildKey(settings(workspace), planOf('app'))
    expect(doubts).toEqual([expect.stringMatching(/is a named pipe \(FIFO\), not a regular file/)])
  })

  test('a <Dockerfile>.dockerignore counts, as it does for BuildKit', async () => {
    const workspace = workspaceWith('FROM scratch\nCOPY . /\n')
    writeFileSync(join(workspace, 'app/.dockerignore'), 'file.txt\n')
    const before = (await buildKey(settings(workspace), planOf('app'))).key
    writeFileSync(join(workspace, 'app/Dockerfile.dockerignore'), 'other.txt\n')
    // file.txt is sent now (the Dockerfile's ignore file replaces the context's): it counts.
    const withOwn = (await buildKey(settings(workspace), planOf('app'))).key
    expect(withOwn).not.toBe(before)
    writeFileSync(join(workspace, 'app/file.txt'), 'changed\n')
    expect((await buildKey(settings(workspace), planOf('app'))).key).not.toBe(withOwn)
  })
})

describe('buildKey and build secrets', () => {
  test('ids enter the key, sorted; no secrets keeps the key runs without them had', async () => {
    const workspace = workspaceWith('FROM scratch\nCOPY file.txt /file.txt\n')
    const settings = {workspace, resolveBaseImages: noBases}
    const plain = (await buildKey(settings, planOf('app'))).key
    expect((await buildKey({...settings, secretIds: []}, planOf('app'))).key).toBe(plain)
    const withIds = (await buildKey({...settings, secretIds: ['npm', 'feed']}, planOf('app'))).key
    expect(withIds).not.toBe(plain)
    expect((await buildKey({...settings, secretIds: ['feed', 'npm']}, planOf('app'))).key).toBe(
      withIds,
    )
  })
})
