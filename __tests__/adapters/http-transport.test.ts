import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {Readable} from 'node:stream'
import {brotliCompressSync, deflateSync, gzipSync} from 'node:zlib'
import {afterEach, describe, expect, test} from 'vitest'
import {httpTransport, nodeBodyOf} from '../../src/adapters/http-transport.js'

/** What the server saw of one request. */
interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
  port: number
}

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A server that reads each request whole, records it, then answers with `answer`. */
async function serve(
  answer: (seen: Seen, res: ServerResponse) => void,
): Promise<{origin: string; seen: Seen[]}> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const pieces: Buffer[] = []
    req.on('data', (piece: Buffer) => pieces.push(piece))
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(pieces),
        port: req.socket.remotePort ?? 0,
      }
      seen.push(request)
      answer(request, res)
    })
  })
  return {origin: await listen(server), seen}
}

async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function* slowly(pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    await new Promise((resolve) => setTimeout(resolve, 5))
    yield Buffer.from(piece)
  }
}

describe('httpTransport: a request over node:http, answered as fetch answers', () => {
  test('status, headers and body come back as a Response; the connection is reused', async () => {
    const server = await serve((_, res) => {
      res.setHeader('docker-content-digest', 'sha256:abc')
      res.setHeader('link', ['<a>; rel="next"', '<b>; rel="prev"'])
      res.writeHead(201, 'Made').end('{"ok":true}')
    })
    const first = await httpTransport(`${server.origin}/v2/x`, {
      method: 'PUT',
      headers: {'content-type': 'application/json'},
      body: '{"a":1}',
    })
    expect(first.status).toBe(201)
    expect(first.ok).toBe(true)
    expect(first.statusText).toBe('Made')
    expect(first.headers.get('docker-content-digest')).toBe('sha256:abc')
    expect(first.headers.get('link')).toBe('<a>; rel="next", <b>; rel="prev"')
    expect(await first.json()).toEqual({ok: true})
    const second = await httpTransport(`${server.origin}/v2/y`, {method: 'GET'})
    await second.arrayBuffer()
    expect(server.seen.map(({method, url, body}) => [method, url, body.toString()])).toEqual([
      ['PUT', '/v2/x', '{"a":1}'],
      ['GET', '/v2/y', ''],
    ])
    expect(server.seen[0].headers['content-length']).toBe('7')
    expect(server.seen[0].headers['content-type']).toBe('application/json')
    expect(server.seen[0].headers.accept).toBe('*/*')
    expect(server.seen[0].headers['user-agent']).toBe('ocir-push')
    expect(server.seen[1].port).toBe(server.seen[0].port)
  })

  test.each([
    {why: 'a HEAD', method: 'HEAD', status: 200},
    {why: 'a 204', method: 'DELETE', status: 204},
    {why: 'a 304', method: 'GET', status: 304},
  ])('$why has no body, as in fetch', async ({method, status}) => {
    const server = await serve((_, res) => {
      res.writeHead(status, {'content-length': '5'}).end()
    })
    const response = await httpTransport(`${server.origin}/v2/`, {method})
    expect(response.status).toBe(status)
    expect(response.body).toBeNull()
    expect(response.headers.get('content-length')).toBe('5')
  })

  test.each([
    {
      why: 'a Buffer: sent whole, with its length',
      body: () => Buffer.from('bytes of a blob'),
      length: '15',
      chunked: false,
    },
    {
      why: 'a ReadableStream: streamed, chunked',
      body: () => Readable.toWeb(Readable.from([Buffer.from('bytes of '), Buffer.from('a blob')])),
      length: undefined,
      chunked: true,
    },
    {
      why: 'an async iterable: streamed, chunked',
      body: () => slowly(['bytes ', 'of a ', 'blob']),
      length: undefined,
      chunked: true,
    },
    {
      why: 'an iterable of pieces, with the length the caller set',
      body: () => [Buffer.from('bytes of '), Buffer.from('a blob')],
      length: '15',
      chunked: false,
      headers: {'content-length': '15'},
    },
  ])('a request body as $why', async ({body, length, chunked, headers}) => {
    const server = await serve((_, res) => res.writeHead(201).end())
    const response = await httpTransport(`${server.origin}/upload`, {
      method: 'PUT',
      headers,
      body: body() as RequestInit['body'],
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(201)
    const [seen] = server.seen
    expect(seen.body.toString()).toBe('bytes of a blob')
    expect(seen.headers['content-length']).toBe(length)
    expect(seen.headers['transfer-encoding'] === 'chunked').toBe(chunked)
  })

  test.each([
    {coding: 'gzip', encode: gzipSync},
    {coding: 'deflate', encode: deflateSync},
    {coding: 'br', encode: brotliCompressSync},
  ])('a $coding body is decoded, as fetch does; none is asked for', async ({coding, encode}) => {
    const server = await serve((_, res) => {
      res.writeHead(200, {'content-encoding': coding}).end(encode(Buffer.from('{"token":"t"}')))
    })
    const response = await httpTransport(`${server.origin}/token`, {method: 'GET'})
    expect(await response.json()).toEqual({token: 't'})
    expect(server.seen[0].headers['accept-encoding']).toBeUndefined()
  })

  test('a refused connection rejects with its code, as the retry policy reads it', async () => {
    const server = createServer()
    const origin = await listen(server)
    server.close()
    await new Promise((resolve) => setTimeout(resolve, 10))
    await expect(httpTransport(`${origin}/v2/`, {method: 'GET'})).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      message: expect.stringMatching(/ECONNREFUSED/),
    })
  })

  test('the signal aborts the wait for the answer with its reason', async () => {
    const server = await serve(() => {
      // never answers
    })
    const started = Date.now()
    await expect(
      httpTransport(`${server.origin}/slow`, {method: 'GET', signal: AbortSignal.timeout(50)}),
    ).rejects.toMatchObject({name: 'TimeoutError'})
    expect(Date.now() - started).toBeLessThan(2000)
    const aborted = new AbortController()
    aborted.abort(new Error('gave up before starting'))
    await expect(
      httpTransport(`${server.origin}/slow`, {method: 'GET', signal: aborted.signal}),
    ).rejects.toThrow('gave up before starting')
  })

  test('the signal aborts a body still arriving, and the body fails with its reason', async () => {
    const server = await serve((_, res) => {
      res.writeHead(200, {'content-length': '1000'})
      res.write('x'.repeat(10))
    })
    const controller = new AbortController()
    const response = await httpTransport(`${server.origin}/blob`, {
      method: 'GET',
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(new Error('no more of it')), 20)
    await expect(response.arrayBuffer()).rejects.toThrow('no more of it')
  })

  test('an answer before the body is sent (401, 413) resolves; the rest is not sent', async () => {
    const server = createServer((req, res) => {
      res.writeHead(413, {connection: 'close'}).end('too large')
      req.resume()
    })
    const origin = await listen(server)
    let pulled = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++
        await new Promise((resolve) => setTimeout(resolve, 5))
        yield Buffer.alloc(64 * 1024)
      }
    }
    const response = await httpTransport(`${origin}/upload`, {
      method: 'PUT',
      body: endless(),
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(await response.text()).toBe('too large')
    await new Promise((resolve) => setTimeout(resolve, 100))
    const after = pulled
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(pulled).toBe(after)
  })

  test('a body that fails while it is sent fails the request with its error', async () => {
    const server = await serve((_, res) => res.writeHead(201).end())
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('part')
      throw new Error('the source went away')
    }
    await expect(
      httpTransport(`${server.origin}/upload`, {
        method: 'PUT',
        body: failing(),
        duplex: 'half',
      } as RequestInit),
    ).rejects.toThrow('the source went away')
  })

  test('an https URL goes over TLS; any other scheme is refused', async () => {
    await expect(httpTransport('ftp://127.0.0.1/x', {method: 'GET'})).rejects.toThrow(
      /ftp: is not http or https/,
    )
    const server = await serve((_, res) => res.writeHead(200).end())
    const tls = server.origin.replace('http:', 'https:')
    // A plain HTTP server cannot complete a TLS handshake: the failure is TLS's, not ours.
    await expect(httpTransport(`${tls}/v2/`, {method: 'GET'})).rejects.toThrow(
      /SSL|TLS|wrong version|EPROTO/i,
    )
  })
})

describe('httpTransport and the end of a run', () => {
  /** Client sockets keeping the process alive (the server's own are unref'd below). */
  const liveSockets = (): number =>
    process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length

  test('an answer nobody reads does not keep the process alive; one being read does', async () => {
    let finish: (() => void) | undefined
    const server = createServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200, {'content-length': '8'})
        res.write('half')
        finish = () => res.end('done')
      } else res.writeHead(401, {'content-type': 'application/json'}).end('{"errors":[]}')
    })
    server.on('connection', (socket) => socket.unref())
    const origin = await listen(server)
    server.unref()
    // Sockets of the tests before may still be closing: wait until the count holds still.
    let before = -1
    while (before !== liveSockets()) {
      before = liveSockets()
      await new Promise((resolve) => setTimeout(resolve, 30))
    }

    const unread = await httpTransport(`${origin}/v2/`, {method: 'GET'})
    expect(unread.status).toBe(401)
    expect(liveSockets()).toBe(before)

    const slow = await httpTransport(`${origin}/slow`, {method: 'GET'})
    const text = slow.text()
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(liveSockets()).toBe(before + 1)
    finish?.()
    expect(await text).toBe('halfdone')
    expect(liveSockets()).toBe(before)
  })
})

describe('nodeBodyOf: the body as the Node stream it came on', () => {
  test('gives the bytes without a web stream; the web body then fails', async () => {
    const server = await serve((_, res) => res.writeHead(200).end('blob bytes'))
    const response = await httpTransport(`${server.origin}/blob`, {method: 'GET'})
    const stream = nodeBodyOf(response)
    expect(stream).toBeInstanceOf(Readable)
    const pieces: Buffer[] = []
    for await (const piece of stream as Readable) pieces.push(piece as Buffer)
    expect(Buffer.concat(pieces).toString()).toBe('blob bytes')
    expect(nodeBodyOf(response)).toBeUndefined()
    await expect(response.text()).rejects.toThrow(/taken as a Node stream/)
  })

  test('is undefined once the body was read as a web stream, or for fetch answers', async () => {
    const server = await serve((_, res) => res.writeHead(200).end('manifest'))
    const response = await httpTransport(`${server.origin}/m`, {method: 'GET'})
    expect(await response.text()).toBe('manifest')
    expect(nodeBodyOf(response)).toBeUndefined()
    expect(nodeBodyOf(await fetch(`${server.origin}/m`))).toBeUndefined()
  })
})
