/**
 * The streaming blob calls of RegistryHttpClient (openBlob, uploadBlob, mountBlob) against real
 * registries, and against bare HTTP servers for what a real registry never does (an upload
 * Location on another origin, a Range ignored, bytes that are not their digest, a stream cut).
 */
import {randomBytes} from 'node:crypto'
import {Readable} from 'node:stream'
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest'
import {RegistryTrustError} from '../../../src/adapters/registry-http.js'
import {ImageCopier} from '../../../src/replication/copy-image.js'
import {closeRawServers, serve} from '../../fixtures/raw-server.js'
import {testEnvironment, uniqueNamespace} from '../../fixtures/test-env.js'
import {
  client,
  digestOf,
  endpoint,
  putImage,
  startThrowaway,
  type ThrowawayRegistry,
} from './registries.js'

const MiB = 1024 * 1024

afterEach(closeRawServers)

const basic = `Basic ${Buffer.from('u:p').toString('base64')}`

async function readAll(stream: Readable | undefined): Promise<Buffer> {
  const pieces: Buffer[] = []
  for await (const piece of stream ?? []) pieces.push(piece as Buffer)
  return Buffer.concat(pieces)
}

const failureOf = (promise: Promise<unknown>): Promise<Error> =>
  promise.then(
    () => new Error('expected a failure'),
    (err: unknown) => err as Error,
  )

let registry: ThrowawayRegistry
beforeAll(async () => {
  registry = await startThrowaway('blobs')
})
afterAll(async () => {
  await registry?.stop()
})

describe('openBlob', () => {
  test('streams a blob whole, or from an offset with a Range the registry honours (206)', async () => {
    const repository = `${uniqueNamespace('open')}/app`
    const blob = randomBytes(3 * MiB + 17)
    const seen: string[] = []
    const registryClient = client(registry.host, {
      onRequest: (method, url, status) => seen.push(`${method} ${status}`),
    })
    await registryClient.putBlob(repository, blob)
    seen.length = 0
    const digest = digestOf(blob)
    expect((await readAll(await registryClient.openBlob(repository, digest))).equals(blob)).toBe(
      true,
    )
    const tail = await readAll(await registryClient.openBlob(repository, digest, 2 * MiB))
    expect(tail.equals(blob.subarray(2 * MiB))).toBe(true)
    expect(seen).toEqual(['GET 200', 'GET 206'])
    expect(await registryClient.openBlob(repository, digestOf(randomBytes(8)))).toBeUndefined()
  })

  test('a registry that ignores the Range (200) has the first bytes skipped', async () => {
    const blob = randomBytes(100_000)
    const server = await serve((_req, res) => res.writeHead(200).end(blob))
    const stream = await client(server.host).openBlob('ns/app', digestOf(blob), 12_345)
    expect((await readAll(stream)).equals(blob.subarray(12_345))).toBe(true)
    expect(server.seen[0].range).toBe('bytes=12345-')
  })

  test('bytes that are not the digest fail the stream at its end', async () => {
    const server = await serve((_req, res) => res.writeHead(200).end(randomBytes(50_000)))
    const stream = await client(server.host).openBlob('ns/app', digestOf(Buffer.from('other')))
    const failure = await failureOf(readAll(stream))
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect(failure.message).toMatch(/returned bytes whose digest is sha256:/)
  })

  test('a 206 for other bytes than asked for is refused', async () => {
    const server = await serve((_req, res) =>
      res.writeHead(206, {'content-range': 'bytes 0-9/10'}).end('0123456789'),
    )
    const failure = await failureOf(
      client(server.host).openBlob('ns/app', digestOf(Buffer.from('0123456789')), 5),
    )
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect(failure.message).toMatch(/answered the bytes 'bytes 0-9\/10', not those from byte 5/)
  })
})

describe('uploadBlob', () => {
  test('bytes in hand: one POST and one PUT that carries them; bytes that are not the digest are refused before any request', async () => {
    const blob = randomBytes(3 * MiB)
    let put: Buffer | undefined
    const server = await serve((req, res) => {
      if (req.method === 'POST') return void res.writeHead(202, {location: '/up/1'}).end()
      res.writeHead(500).end()
    })
    server.onBody = (req, body, res) => {
      if (req.method !== 'PUT') return false
      put = body
      res.writeHead(201).end()
      return true
    }
    const digest = digestOf(blob)
    expect(await client(server.host).uploadBlob('ns/app', digest, blob.length, blob)).toBe(digest)
    expect(server.seen.map((request) => request.method)).toEqual(['POST', 'PUT'])
    expect(put?.equals(blob)).toBe(true)

    const other = digestOf(randomBytes(1000))
    await expect(
      client(server.host).uploadBlob('ns/app', other, 1000, blob.subarray(0, 1000)),
    ).rejects.toThrow(/digest/)
    expect(server.seen).toHaveLength(2)
  })

  test("bytes sent as they arrive: one POST and one PUT that streams them; a size that is not the blob's is refused before any request", async () => {
    const blob = randomBytes(3 * MiB)
    let put: {body: Buffer; length?: string} | undefined
    const server = await serve((req, res) => {
      if (req.method === 'POST') return void res.writeHead(202, {location: '/up/1'}).end()
      res.writeHead(500).end()
    })
    server.onBody = (req, body, res) => {
      if (req.method !== 'PUT') return false
      put = {body, length: req.headers['content-length']}
      res.writeHead(201).end()
      return true
    }
    const digest = digestOf(blob)
    const arriving = {
      size: blob.length,
      async *read() {
        for (let at = 0; at < blob.length; at += MiB) yield blob.subarray(at, at + MiB)
      },
    }
    expect(await client(server.host).uploadBlob('ns/app', digest, blob.length, arriving)).toBe(
      digest,
    )
    expect(server.seen.map((request) => request.method)).toEqual(['POST', 'PUT'])
    expect(put?.body.equals(blob)).toBe(true)
    expect(put?.length).toBe(String(blob.length))
    await expect(
      client(server.host).uploadBlob('ns/app', digest, blob.length + 1, arriving),
    ).rejects.toThrow(/3145728 bytes to send, not the blob's 3145729/)
    expect(server.seen).toHaveLength(2)
  })

  test('a source stream cut in the middle is re-opened at its offset; the blob arrives whole', async () => {
    const blob = randomBytes(5 * MiB)
    let cuts = 0
    const source = await serve((req, res) => {
      const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0)
      if (from === 0 && cuts++ === 0) {
        // 3 MiB, then the connection drops.
        res.writeHead(200, {'content-length': String(blob.length)})
        res.write(blob.subarray(0, 3 * MiB), () => res.destroy())
        return
      }
      res
        .writeHead(from ? 206 : 200, from ? {'content-range': `bytes ${from}-/${blob.length}`} : {})
        .end(blob.subarray(from))
    })
    const repository = `${uniqueNamespace('cut')}/app`
    const sourceClient = client(source.host)
    const target = client(registry.host)
    const digest = digestOf(blob)
    const opened = async (offset: number): Promise<Readable> =>
      (await sourceClient.openBlob('ns/app', digest, offset)) as Readable
    expect(await target.uploadBlob(repository, digest, blob.length, opened, 2 * MiB)).toBe(digest)
    expect(source.seen.map((request) => request.range ?? 'whole')).toEqual([
      'whole',
      `bytes=${2 * MiB}-`,
    ])
    expect((await readAll(await target.openBlob(repository, digest))).equals(blob)).toBe(true)
  })

  test('a PATCH whose answer is lost after the registry stored it: the upload goes on after it, nothing sent twice', async () => {
    const blob = randomBytes(500_000)
    const stored: Buffer[] = []
    const size = (): number => stored.reduce((sum, piece) => sum + piece.length, 0)
    let patches = 0
    const server = await serve((req, res) => {
      if (req.method === 'POST') return void res.writeHead(202, {location: '/up/1'}).end()
      if (req.method === 'GET')
        return void res.writeHead(204, {range: `0-${size() - 1}`, location: '/up/2'}).end()
      if (req.method === 'PUT') {
        const ok = Buffer.concat(stored).equals(blob)
        return void res.writeHead(ok ? 201 : 400).end()
      }
      res.writeHead(500).end()
    })
    // The bodies: PATCHes are stored here (serve() drops bodies), the second one's answer lost.
    server.onBody = (req, body, res) => {
      if (req.method !== 'PATCH') return false
      const start = Number(/^(\d+)-/.exec(req.headers['content-range'] ?? '')?.[1])
      if (start !== size()) return (void res.writeHead(416).end(), true)
      stored.push(body)
      if (++patches === 2) return (res.destroy(), true)
      res.writeHead(202, {location: `/up/after-${size()}`, range: `0-${size() - 1}`}).end()
      return true
    }
    const digest = digestOf(blob)
    const uploaded = await client(server.host).uploadBlob(
      'ns/app',
      digest,
      blob.length,
      async (offset) => Readable.from([blob.subarray(offset)]),
      200_000,
    )
    expect(uploaded).toBe(digest)
    expect(server.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /v2/ns/app/blobs/uploads/',
      'PATCH /up/1',
      'PATCH /up/after-200000',
      'GET /up/after-200000',
      'PATCH /up/2',
      `PUT /up/after-500000?digest=${encodeURIComponent(digest)}`,
    ])
  })

  test('an upload Location on another origin gets the chunks and the PUT without Authorization', async () => {
    let received = 0
    const elsewhere = await serve((req, res, self) => {
      if (req.method === 'PATCH') {
        received += Number(req.headers['content-length'])
        return void res
          .writeHead(202, {
            location: `${self.origin}/upload/next?n=${received}`,
            range: `0-${received - 1}`,
          })
          .end()
      }
      const digest = new URL(req.url ?? '/', 'http://x').searchParams.get('digest') ?? ''
      res.writeHead(201, {'docker-content-digest': digest}).end()
    })
    const registryServer = await serve((req, res, self) => {
      if (req.headers.authorization !== basic)
        return void res.writeHead(401, {'www-authenticate': `Basic realm="${self.host}"`}).end()
      res.writeHead(202, {location: `${elsewhere.origin}/upload/first?_state=s`}).end()
    })
    const blob = randomBytes(300_000)
    const registryClient = client(registryServer.host, {username: 'u', password: 'p'})
    const digest = await registryClient.uploadBlob(
      'ns/app',
      digestOf(blob),
      blob.length,
      async (offset) => Readable.from([blob.subarray(offset)]),
      128 * 1024,
    )
    expect(digest).toBe(digestOf(blob))
    expect(registryServer.seen.some((request) => request.authorization === basic)).toBe(true)
    expect(elsewhere.seen.map((request) => request.method)).toEqual([
      'PATCH',
      'PATCH',
      'PATCH',
      'PUT',
    ])
    expect(elsewhere.seen.filter((request) => request.authorization)).toEqual([])
    expect(received).toBe(blob.length)
  })

  test('an upload Location on another origin that answers 401 gets no credentials', async () => {
    const elsewhere = await serve((_req, res, self) =>
      res.writeHead(401, {'www-authenticate': `Basic realm="${self.host}"`}).end(),
    )
    const registryServer = await serve((req, res, self) => {
      if (req.headers.authorization !== basic)
        return void res.writeHead(401, {'www-authenticate': `Basic realm="${self.host}"`}).end()
      res.writeHead(202, {location: `${elsewhere.origin}/upload/first`}).end()
    })
    const blob = randomBytes(300_000)
    const failure = await failureOf(
      client(registryServer.host, {username: 'u', password: 'p'}).uploadBlob(
        'ns/app',
        digestOf(blob),
        blob.length,
        async (offset) => Readable.from([blob.subarray(offset)]),
        128 * 1024,
      ),
    )
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect(failure.message).toMatch(
      /answered with a basic challenge; credentials go to the registry's own origin .* only, so none were sent/,
    )
    expect(elsewhere.seen).toEqual([{method: 'PATCH', url: '/upload/first'}])
  })
})

describe('mountBlob', () => {
  test('a registry that opens an upload instead (202) has it cancelled, and false comes back', async () => {
    const digest = `sha256:${'a'.repeat(64)}`
    const server = await serve((req, res) => {
      if (req.method === 'POST')
        return void res.writeHead(202, {location: '/v2/ns/two/blobs/uploads/u1?_state=s'}).end()
      res.writeHead(204).end()
    })
    expect(await client(server.host).mountBlob('ns/two', digest, 'ns/one')).toBe(false)
    expect(server.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST /v2/ns/two/blobs/uploads/?mount=sha256%3A${'a'.repeat(64)}&from=ns%2Fone`,
      'DELETE /v2/ns/two/blobs/uploads/u1?_state=s',
    ])
  })
})

describe('mountBlob on the token registry (Bearer)', () => {
  test('a blob copied into one repository is mounted into the next with a token for both', async () => {
    const env = testEnvironment().registries.token
    const namespace = uniqueNamespace('mount')
    const seen: string[] = []
    const tokenClient = client(env.host, {
      username: env.username,
      password: env.password,
      onRequest: (method, url, status) => seen.push(`${method} ${url} ${status}`),
    })
    const source = client(registry.host)
    const image = await putImage(source, `${namespace}/src`, [randomBytes(2 * MiB)])
    const copier = new ImageCopier({maxParallel: 2, retry: {retries: 1, baseMs: 5}, log: () => {}})
    const request = {
      source: endpoint('src', source),
      sourceRepository: `${namespace}/src`,
      target: endpoint('token', tokenClient),
      digest: image.digest,
    }
    const first = await copier.copy({...request, targetRepository: `${namespace}/one`})
    const second = await copier.copy({...request, targetRepository: `${namespace}/two`})
    expect(first.stats).toMatchObject({uploaded: 2, mounted: 0})
    expect(second.stats).toMatchObject({uploaded: 0, mounted: 2})
    // (Each first meets a 401: the token for push here and pull from `one` is a new scope.)
    const mounts = seen.filter((line) => line.includes('mount=') && !line.endsWith(' 401'))
    expect(mounts).toEqual([
      expect.stringMatching(new RegExp(`^POST .*/${namespace}/two/blobs/uploads/\\?mount=.* 201$`)),
      expect.stringMatching(new RegExp(`^POST .*/${namespace}/two/blobs/uploads/\\?mount=.* 201$`)),
    ])
  })
})
