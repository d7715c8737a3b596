/**
 * ImageCopier between real registries: throwaway `docker-registry serve` instances with their
 * access logs, and the fault proxy in front of a target.
 */
import {randomBytes} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import type {RegistryHttpClient} from '../../../src/adapters/registry-http.js'
import {ImageCopier, type CopyStats} from '../../../src/replication/copy-image.js'
import {describeFailure} from '../../../src/errors.js'
import {startFaultProxy, type FaultProxy} from '../../fixtures/fault-proxy.js'
import {uniqueNamespace} from '../../fixtures/test-env.js'
import {
  accessLog,
  client,
  digestOf,
  endpoint,
  putImage,
  putIndexWithSignature,
  startThrowaway,
  type ThrowawayRegistry,
} from './registries.js'

const MiB = 1024 * 1024
const UPLOAD_KINDS = new Set(['upload start', 'upload chunk', 'upload finish', 'blob mount'])

let sourceRegistry: ThrowawayRegistry
let targetRegistry: ThrowawayRegistry
const started: {close(): Promise<void>}[] = []

beforeAll(async () => {
  ;[sourceRegistry, targetRegistry] = await Promise.all([
    startThrowaway('source'),
    startThrowaway('target'),
  ])
})
afterAll(async () => {
  for (const one of started) await one.close()
  await Promise.all([sourceRegistry?.stop(), targetRegistry?.stop()])
})

function copier(lines: string[] = [], chunkBytes = 8 * MiB, maxParallel = 4): ImageCopier {
  return new ImageCopier({
    maxParallel,
    chunkBytes,
    retry: {retries: 2, baseMs: 5},
    log: (line) => lines.push(line),
  })
}

describe('ImageCopier', () => {
  test('an index with two platform manifests and a .sig tag arrives byte for byte', async () => {
    const repository = `${uniqueNamespace('idx')}/app`
    const source = client(sourceRegistry.host)
    const target = client(targetRegistry.host)
    const {index, children, signature} = await putIndexWithSignature(source, repository)

    const {digest, stats} = await copier().copy({
      source: endpoint('src', source),
      sourceRepository: repository,
      target: endpoint('fra', target),
      targetRepository: `${repository}-copy`,
      digest: index.digest,
      tags: ['v1', '1.0.0'],
    })

    expect(digest).toBe(index.digest)
    for (const manifest of [index, ...children, signature]) {
      const copied = await target.getManifest({
        repository: `${repository}-copy`,
        reference: manifest.digest,
      })
      expect(copied?.body.equals(manifest.body)).toBe(true)
      expect(copied?.mediaType).toBe(manifest.mediaType)
    }
    const sigTag = `${index.digest.replace(':', '-')}.sig`
    expect(await target.manifestDigest({repository: `${repository}-copy`, reference: sigTag})).toBe(
      signature.digest,
    )
    expect((await target.listTags(`${repository}-copy`)).sort()).toEqual(
      ['1.0.0', sigTag, 'v1'].sort(),
    )
    // 2 children (config + 3 layers) and the signature's config + payload.
    expect(stats).toMatchObject({uploaded: 7, mounted: 0, skipped: 0})
    // index + 2 children + signature by digest, its tag, and the two tags.
    expect(stats.manifests).toBe(7)
    for (const layer of JSON.parse(children[0].body.toString()).layers as {digest: string}[])
      expect(await target.hasBlob(`${repository}-copy`, layer.digest)).toBe(true)
  })

  test('moveTag puts the manifest under a moving tag with no blob traffic; a digest not there fails naming the target', async () => {
    const repository = `${uniqueNamespace('move')}/app`
    const source = client(sourceRegistry.host)
    const target = client(targetRegistry.host)
    const image = await putImage(source, repository, [randomBytes(50_000)])
    const shared = copier()
    const fra = endpoint('fra', target)
    const from = {endpoint: endpoint('src', source), repository}
    await shared.copy({
      source: from.endpoint,
      sourceRepository: repository,
      target: fra,
      targetRepository: repository,
      digest: image.digest,
    })
    let before = (await accessLog(targetRegistry)).length
    await shared.moveTag(fra, repository, 'latest', image.digest, from)
    const requests = (await accessLog(targetRegistry)).slice(before)
    expect(await target.manifestDigest({repository, reference: 'latest'})).toBe(image.digest)
    expect(requests.filter((line) => line.target.includes('/blobs/'))).toEqual([])
    // The manifest's bytes are those the copy read: the target is only written to.
    expect(requests.map((line) => `${line.method} ${line.status}`)).toEqual(['PUT 201'])
    // A copier that did not copy it reads the bytes from the target.
    before = (await accessLog(targetRegistry)).length
    await copier().moveTag(fra, repository, 'stable', image.digest, from)
    expect(
      (await accessLog(targetRegistry))
        .slice(before)
        .map((line) => `${line.method} ${line.status}`),
    ).toEqual(['GET 200', 'PUT 201'])
    expect(await target.manifestDigest({repository, reference: 'stable'})).toBe(image.digest)

    const other = await putImage(source, `${repository}-other`, [randomBytes(100)])
    await expect(
      shared.moveTag(fra, `${repository}-other`, 'latest', other.digest, {
        endpoint: from.endpoint,
        repository,
      }),
    ).rejects.toThrow(
      `copy to fra: tag latest of ${repository}-other: ${other.digest} is in neither fra/${repository}-other nor src/${repository}`,
    )
  })

  describe('four images sharing a 20 MiB base layer', () => {
    const namespace = uniqueNamespace('base')
    const repositories = ['one', 'two', 'three', 'four'].map((name) => `${namespace}/${name}`)
    const base = randomBytes(20 * MiB)
    const baseDigest = digestOf(base)
    const images: string[] = []
    let source: RegistryHttpClient
    let target: RegistryHttpClient
    const shared = copier([], 8 * MiB, 4)
    const copyAll = (by = shared): Promise<{digest: string; stats: CopyStats}[]> =>
      Promise.all(
        repositories.map((repository, n) =>
          by.copy({
            source: endpoint('src', source),
            sourceRepository: repository,
            target: endpoint('fra', target),
            targetRepository: repository,
            digest: images[n],
            tags: ['v1'],
          }),
        ),
      )

    beforeAll(async () => {
      source = client(sourceRegistry.host)
      target = client(targetRegistry.host)
      for (const repository of repositories)
        images.push((await putImage(source, repository, [base, randomBytes(4096)])).digest)
    })

    test('copied in parallel to one target, the base layer goes up once; the others mount it', async () => {
      const before = (await accessLog(targetRegistry)).length
      const results = await copyAll()
      expect(results.map((result) => result.digest)).toEqual(images)
      const requests = (await accessLog(targetRegistry)).slice(before)
      const finishes = requests.filter(
        (line) => line.kind === 'upload finish' && line.target.includes(baseDigest.slice(7)),
      )
      expect(finishes).toHaveLength(1)
      // In 8 MiB chunks, all of one upload session: 8 + 8 + 4 MiB.
      const chunks = requests.filter((line) => line.kind === 'upload chunk')
      expect(chunks.map((line) => line.status)).toEqual([202, 202, 202])
      expect(new Set(chunks.map((line) => line.target.split('?')[0])).size).toBe(1)
      const mounts = requests.filter(
        (line) => line.kind === 'blob mount' && line.target.includes(baseDigest.slice(7)),
      )
      expect(mounts.map((line) => line.status)).toEqual([201, 201, 201])
      // Mounted without asking first: the base is checked (HEAD) in the first repository only.
      const baseChecks = requests.filter(
        (line) => line.kind === 'blob check' && line.target.includes(baseDigest.slice(7)),
      )
      expect(baseChecks).toHaveLength(1)
      // Each manifest was missing and PUT by digest, so its tag goes up without a HEAD first.
      const tagRequests = requests.filter((line) => line.target.endsWith('/manifests/v1'))
      expect(tagRequests.map((line) => `${line.method} ${line.status}`)).toEqual(
        repositories.map(() => 'PUT 201'),
      )
      const total = (key: keyof CopyStats): number =>
        results.reduce((sum, result) => sum + result.stats[key], 0)
      expect(total('mounted')).toBe(3)
      // The base once, and each image's own config and small layer.
      expect(total('uploaded')).toBe(1 + 4 * 2)
      expect(total('bytes')).toBeGreaterThanOrEqual(20 * MiB)
      for (const repository of repositories)
        expect(await target.hasBlob(repository, baseDigest)).toBe(true)
    })

    test('a second copy by the same copier (after signing) checks no blob again; a re-run skips every blob, uploading none', async () => {
      let before = (await accessLog(targetRegistry)).length
      const second = await copyAll()
      let requests = (await accessLog(targetRegistry)).slice(before)
      expect(requests.filter((line) => line.target.includes('/blobs/'))).toEqual([])
      expect(requests.filter((line) => line.method === 'PUT')).toEqual([])
      for (const {stats} of second)
        expect(stats).toEqual({uploaded: 0, mounted: 0, skipped: 0, bytes: 0, manifests: 0})

      before = (await accessLog(targetRegistry)).length
      const rerun = await copyAll(copier())
      requests = (await accessLog(targetRegistry)).slice(before)
      expect(requests.filter((line) => UPLOAD_KINDS.has(line.kind))).toEqual([])
      expect(requests.filter((line) => line.method === 'PUT')).toEqual([])
      for (const {stats} of rerun)
        expect(stats).toEqual({uploaded: 0, mounted: 0, skipped: 3, bytes: 0, manifests: 0})
    })
  })

  test('a copy without attached tags looks for none in the source; the copy after signing does', async () => {
    const repository = `${uniqueNamespace('early')}/app`
    const source = client(sourceRegistry.host)
    const {digest: image} = await putImage(source, repository, [randomBytes(4096)])
    const shared = copier()
    const request = {
      source: endpoint('src', source),
      sourceRepository: repository,
      target: endpoint('fra', client(targetRegistry.host)),
      targetRepository: repository,
      digest: image,
    }
    const lookups = async (copy: () => Promise<unknown>): Promise<string[]> => {
      const before = (await accessLog(sourceRegistry)).length
      await copy()
      return (await accessLog(sourceRegistry))
        .slice(before)
        .filter((line) => /\/manifests\/sha256-[0-9a-f]{64}\./.test(line.target))
        .map((line) => line.target.split('.').pop() ?? '')
    }
    expect(await lookups(() => shared.copy({...request, attached: false}))).toEqual([])
    expect((await lookups(() => shared.copy({...request, tags: ['v1']}))).sort()).toEqual([
      'att',
      'sbom',
      'sig',
    ])
    expect(await client(targetRegistry.host).manifestDigest({repository, reference: 'v1'})).toBe(
      image,
    )
  })

  test('one image to two targets at once: a blob under one chunk is read from the source once', async () => {
    const second = await startThrowaway('second-target')
    try {
      const repository = `${uniqueNamespace('fanout')}/app`
      const source = client(sourceRegistry.host)
      const layer = randomBytes(6 * MiB)
      const {digest: image} = await putImage(source, repository, [layer])
      const before = (await accessLog(sourceRegistry)).length
      const shared = copier([], 8 * MiB, 4)
      const results = await Promise.all(
        [targetRegistry, second].map((registry, n) =>
          shared.copy({
            source: endpoint('src', source),
            sourceRepository: repository,
            target: endpoint(`target-${n}`, client(registry.host)),
            targetRepository: repository,
            digest: image,
          }),
        ),
      )
      expect(results.map((result) => result.digest)).toEqual([image, image])
      const reads = (await accessLog(sourceRegistry))
        .slice(before)
        .filter((line) => line.method === 'GET' && line.target.includes(digestOf(layer)))
      expect(reads).toHaveLength(1)
      for (const registry of [targetRegistry, second])
        expect(await client(registry.host).hasBlob(repository, digestOf(layer))).toBe(true)
    } finally {
      await second.stop()
    }
  })

  describe('chunked upload through a fault proxy', () => {
    const blob = randomBytes(10 * MiB)
    let repository: string
    let image: string

    beforeAll(async () => {
      repository = `${uniqueNamespace('fault')}/app`
      image = (await putImage(client(sourceRegistry.host), repository, [blob])).digest
    })

    async function copyThrough(proxy: FaultProxy) {
      const targetRepository = `${repository}-${Math.random().toString(36).slice(2, 6)}`
      const result = await copier([], 4 * MiB).copy({
        source: endpoint('src', client(sourceRegistry.host)),
        sourceRepository: repository,
        target: endpoint('fra', client(proxy.host, {retry: {retries: 3, baseMs: 5}})),
        targetRepository,
        digest: image,
      })
      return {result, targetRepository}
    }

    test.each([
      {why: 'a 500', fault: '500' as const},
      {why: 'a dropped connection', fault: 'reset' as const},
    ])(
      '$why on the second PATCH: the upload resumes at its offset and completes',
      async ({fault}) => {
        const proxy = await startFaultProxy(targetRegistry.host, [
          {name: 'patch', method: 'PATCH', path: /\/blobs\/uploads\//, fault, times: 1, after: 1},
        ])
        started.push(proxy)
        const {result, targetRepository} = await copyThrough(proxy)
        expect(proxy.injected.patch).toBe(1)
        expect(result.digest).toBe(image)
        expect(result.stats.uploaded).toBe(2)
        const uploads = proxy.log
          .filter((line) => line.url.includes('/blobs/uploads/'))
          .map((line) => `${line.method} ${line.outcome}`)
        // The config monolithic (POST, PUT), the layer's 10 MiB in 4 MiB chunks: after the fault,
        // the upload's state asked (GET on its Location), then the remaining 6 MiB in two PATCHes.
        expect(uploads.filter((line) => /^(PATCH|GET)/.test(line))).toEqual([
          'PATCH 202',
          `PATCH ${fault}`,
          'GET 204',
          'PATCH 202',
          'PATCH 202',
        ])
        expect(uploads.filter((line) => /^(POST|PUT)/.test(line)).sort()).toEqual([
          'POST 202',
          'POST 202',
          'PUT 201',
          'PUT 201',
        ])
        const stream = await client(targetRegistry.host).openBlob(targetRepository, digestOf(blob))
        const pieces: Buffer[] = []
        for await (const piece of stream ?? []) pieces.push(piece as Buffer)
        expect(Buffer.concat(pieces).equals(blob)).toBe(true)
      },
    )

    test('a PATCH that always fails: the error names the target, the layer and the attempts', async () => {
      const proxy = await startFaultProxy(targetRegistry.host, [
        {name: 'patch', method: 'PATCH', path: /\/blobs\/uploads\//, fault: '500', times: 100},
      ])
      started.push(proxy)
      const failure = await copyThrough(proxy).then(
        () => new Error('expected a failure'),
        (err: unknown) => err as Error,
      )
      expect(failure.message).toMatch(
        new RegExp(
          `^copy to fra: layer ${digestOf(blob)} of ${repository}-\\w+: PATCH http://${proxy.host}/v2/.+ answered HTTP 500 after 4 attempts$`,
        ),
      )
      expect(describeFailure(failure)).toContain('copy to fra')
      expect(proxy.injected.patch).toBe(4)
    })
  })
})
