import {createHash} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, test} from 'vitest'
import {closeRawServers, serve, type RawServer} from '../fixtures/raw-server.js'
import {
  DEFAULT_REGISTRY_LIMITS,
  nextPage,
  parseChallenge,
  realmProblem,
  RegistryHttpClient,
  RegistryTrustError,
} from '../../src/adapters/registry-http.js'
import {RetrySession} from '../../src/adapters/retry.js'
import {describeFailure, RegistryError} from '../../src/errors.js'

const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
const INDEX = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: INDEX_TYPE,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${'1'.repeat(64)}`,
        size: 1,
      },
    ],
  }),
)
const digestOf = (body: Buffer): string =>
  `sha256:${createHash('sha256').update(body).digest('hex')}`

type Fault = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * A v2 registry in memory: Bearer (token endpoint on /token) or Basic auth, manifests by tag and
 * digest, tag listing that honours `n`/`last` with a Link header, and faults injected per request.
 */
class FakeRegistry {
  readonly manifests = new Map<string, {body: Buffer; type: string}>()
  readonly tags = new Map<string, string[]>()
  readonly requests: string[] = []
  readonly tokensIssued: string[] = []
  readonly revoked = new Set<string>()
  readonly blobs = new Map<string, Buffer>()
  /** How the upload Location header is written. */
  uploadLocation: (host: string, path: string) => string = (_host, path) => `${path}?_state=a%2Bb`
  faults: Fault[] = []
  private server?: Server
  host = ''

  constructor(readonly auth: 'bearer' | 'basic' | 'none') {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  stop(): Promise<void> {
    this.server?.closeAllConnections()
    return new Promise((resolve) => this.server?.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const url = new URL(req.url ?? '/', `http://${this.host}`)
    this.requests.push(`${req.method} ${url.pathname}${url.search}`)
    for (const [index, fault] of this.faults.entries()) {
      if (fault(req, res)) {
        this.faults.splice(index, 1)
        return
      }
    }
    if (url.pathname === '/token') {
      const scope = url.searchParams.get('scope') ?? ''
      const token = `tok-${this.tokensIssued.length + 1}-${scope}`
      this.tokensIssued.push(token)
      return json(res, 200, {token})
    }
    if (!this.authorized(req, res)) return
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname)
    if (manifest) {
      const [, repository, reference] = manifest
      if (req.method === 'PUT') {
        const digest = digestOf(body)
        this.manifests.set(`${repository}@${digest}`, {
          body,
          type: req.headers['content-type'] ?? '',
        })
        this.manifests.set(`${repository}:${reference}`, {
          body,
          type: req.headers['content-type'] ?? '',
        })
        this.tags.set(repository, [...new Set([...(this.tags.get(repository) ?? []), reference])])
        res.writeHead(201, {'docker-content-digest': digest}).end()
        return
      }
      const key = reference.startsWith('sha256:')
        ? `${repository}@${reference}`
        : `${repository}:${reference}`
      const found = this.manifests.get(key)
      if (!found)
        return json(res, 404, {errors: [{code: 'MANIFEST_UNKNOWN', message: 'manifest unknown'}]})
      res.writeHead(200, {
        'content-type': found.type,
        'docker-content-digest': digestOf(found.body),
      })
      res.end(req.method === 'HEAD' ? undefined : found.body)
      return
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname)
    if (blob) {
      const found = this.blobs.get(`${blob[1]}@${blob[2]}`)
      if (!found) return json(res, 404, {errors: [{code: 'BLOB_UNKNOWN'}]})
      res
        .writeHead(200, {'docker-content-digest': blob[2]})
        .end(req.method === 'HEAD' ? undefined : found)
      return
    }
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/(.*)$/.exec(url.pathname)
    if (upload && req.method === 'POST') {
      const path = `/v2/${upload[1]}/blobs/uploads/u${this.requests.length}`
      res.writeHead(202, {location: this.uploadLocation(this.host, path)}).end()
      return
    }
    if (upload && req.method === 'PUT') {
      const digest = url.searchParams.get('digest') ?? ''
      if (digest !== digestOf(body)) return json(res, 400, {errors: [{code: 'DIGEST_INVALID'}]})
      this.blobs.set(`${upload[1]}@${digest}`, body)
      res.writeHead(201, {'docker-content-digest': digest}).end()
      return
    }
    const list = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname)
    if (list) {
      const all = [...(this.tags.get(list[1]) ?? [])].sort()
      if (!this.tags.has(list[1]))
        return json(res, 404, {
          errors: [{code: 'NAME_UNKNOWN', message: 'repository name not known'}],
        })
      const n = Number(url.searchParams.get('n') ?? all.length)
      const last = url.searchParams.get('last')
      const rest = last ? all.filter((tag) => tag > last) : all
      const page = rest.slice(0, n)
      const headers: Record<string, string> = {}
      if (rest.length > n)
        headers.link = `</v2/${list[1]}/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`
      return json(res, 200, {name: list[1], tags: page}, headers)
    }
    json(res, 404, {})
  }

  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const given = req.headers.authorization ?? ''
    if (this.auth === 'none') return true
    if (this.auth === 'basic') {
      if (given === `Basic ${Buffer.from('u:p').toString('base64')}`) return true
      json(res, 401, {errors: [{code: 'UNAUTHORIZED'}]}, {'www-authenticate': 'Basic realm="fake"'})
      return false
    }
    const token = given.replace(/^Bearer /, '')
    if (this.tokensIssued.includes(token) && !this.revoked.has(token)) return true
    json(
      res,
      401,
      {errors: [{code: 'UNAUTHORIZED'}]},
      {'www-authenticate': `Bearer realm="http://${this.host}/token",service="fake"`},
    )
    return false
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {'content-type': 'application/json', ...headers}).end(JSON.stringify(body))
}

let registry: FakeRegistry | undefined
afterEach(async () => {
  await registry?.stop()
  registry = undefined
})

async function start(auth: 'bearer' | 'basic' | 'none'): Promise<FakeRegistry> {
  registry = new FakeRegistry(auth)
  await registry.start()
  return registry
}

function client(fake: FakeRegistry, retries = 3): RegistryHttpClient {
  return new RegistryHttpClient({
    host: fake.host,
    insecure: true,
    username: 'u',
    password: 'p',
    retry: {retries, baseMs: 5},
  })
}

const manifestRequests = (fake: FakeRegistry): string[] =>
  fake.requests.filter((request) => request.includes('/manifests/'))

describe('copyManifest', () => {
  test('copies an OCI index byte for byte with its media type: one GET, then one PUT per tag', async () => {
    const fake = await start('bearer')
    fake.manifests.set('ns/app:sha-1', {body: INDEX, type: INDEX_TYPE})
    const registryClient = client(fake)
    const digest = await registryClient.copyManifest({repository: 'ns/app', reference: 'sha-1'}, [
      'latest',
    ])
    expect(digest).toBe(digestOf(INDEX))
    expect(fake.manifests.get('ns/app:latest')).toEqual({body: INDEX, type: INDEX_TYPE})
    fake.requests.length = 0
    await registryClient.copyManifest({repository: 'ns/app', reference: 'sha-1'}, ['main', '1'])
    // The token for pull,push is cached: no challenge, no token request the second time.
    expect(fake.requests).toEqual([
      'GET /v2/ns/app/manifests/sha-1',
      'PUT /v2/ns/app/manifests/main',
      'PUT /v2/ns/app/manifests/1',
    ])
    expect(fake.manifests.get('ns/app:1')).toEqual({body: INDEX, type: INDEX_TYPE})
  })

  test('a missing source is a RegistryError naming it', async () => {
    const fake = await start('none')
    await expect(
      client(fake).copyManifest({repository: 'ns/app', reference: 'nope'}, ['latest']),
    ).rejects.toThrow(/manifest ns\/app:nope not found/)
  })
})

describe('authentication', () => {
  test('Bearer: one token per scope, cached, and a new one when the registry refuses the cached token', async () => {
    const fake = await start('bearer')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    const registryClient = client(fake)
    expect(await registryClient.manifestDigest({repository: 'ns/app', reference: '1'})).toBe(
      digestOf(INDEX),
    )
    expect(await registryClient.manifestDigest({repository: 'ns/app', reference: '1'})).toBe(
      digestOf(INDEX),
    )
    expect(fake.tokensIssued).toEqual(['tok-1-repository:ns/app:pull'])
    fake.revoked.add('tok-1-repository:ns/app:pull')
    expect(await registryClient.manifestDigest({repository: 'ns/app', reference: '1'})).toBe(
      digestOf(INDEX),
    )
    expect(fake.tokensIssued).toEqual([
      'tok-1-repository:ns/app:pull',
      'tok-2-repository:ns/app:pull',
    ])
    await registryClient.listTags('ns/other')
    expect(fake.tokensIssued.at(-1)).toBe('tok-3-repository:ns/other:pull')
  })

  test('Bearer: once the token service is known, a new scope gets its token up front, with no 401 first', async () => {
    const fake = await start('bearer')
    fake.manifests.set('ns/a:1', {body: INDEX, type: INDEX_TYPE})
    fake.manifests.set('ns/b:1', {body: INDEX, type: INDEX_TYPE})
    const registryClient = client(fake)
    await registryClient.manifestDigest({repository: 'ns/a', reference: '1'})
    // The first scope learns the challenge the hard way: a 401, then the token.
    expect(fake.requests.filter((r) => r.startsWith('HEAD /v2/ns/a/'))).toHaveLength(2)
    fake.requests.length = 0
    expect(await registryClient.manifestDigest({repository: 'ns/b', reference: '1'})).toBe(
      digestOf(INDEX),
    )
    expect(fake.requests.filter((r) => r.includes('/v2/'))).toEqual(['HEAD /v2/ns/b/manifests/1'])
    expect(fake.tokensIssued.at(-1)).toBe('tok-2-repository:ns/b:pull')
    // A token the registry refuses is still replaced through its 401.
    fake.revoked.add('tok-2-repository:ns/b:pull')
    await registryClient.manifestDigest({repository: 'ns/b', reference: '1'})
    expect(fake.tokensIssued.at(-1)).toBe('tok-3-repository:ns/b:pull')
  })

  test('Basic: asked once, then sent with every request', async () => {
    const fake = await start('basic')
    fake.manifests.set('ns/a:1', {body: INDEX, type: INDEX_TYPE})
    fake.manifests.set('ns/b:1', {body: INDEX, type: INDEX_TYPE})
    const registryClient = client(fake)
    await registryClient.manifestDigest({repository: 'ns/a', reference: '1'})
    fake.requests.length = 0
    await registryClient.manifestDigest({repository: 'ns/b', reference: '1'})
    expect(fake.requests).toEqual(['HEAD /v2/ns/b/manifests/1'])
  })

  test('wrong Basic credentials fail at once with the status', async () => {
    const fake = await start('basic')
    const registryClient = new RegistryHttpClient({
      host: fake.host,
      insecure: true,
      username: 'u',
      password: 'wrong',
      retry: {retries: 3, baseMs: 5},
    })
    const error = await registryClient.listTags('ns/a').catch((err: unknown) => err)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).status).toBe(401)
    expect(fake.requests).toHaveLength(2)
  })
})

describe('a manifest push refused after a transient fault', () => {
  /** Basic auth that takes 'u:p'; the client starts with a password the registry no longer takes. */
  const staleClient = (
    fake: FakeRegistry,
    relogins: string[],
  ): {registryClient: RegistryHttpClient; session: RetrySession} => {
    const session = new RetrySession({retries: 3, baseMs: 1})
    const registryClient = new RegistryHttpClient({
      host: fake.host,
      insecure: true,
      username: 'u',
      password: 'stale',
      retry: session,
    })
    session.setRelogin(async () => {
      relogins.push('login')
      registryClient.setCredentials('u', 'p')
    })
    return {registryClient, session}
  }

  test('gets one fresh login and one more try', async () => {
    const fake = await start('basic')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    fake.faults = [(_req, res) => (res.writeHead(503).end(), true)]
    const relogins: string[] = []
    const {registryClient} = staleClient(fake, relogins)
    const digest = await registryClient.copyManifest({repository: 'ns/app', reference: '1'}, [
      'latest',
    ])
    expect(digest).toBe(digestOf(INDEX))
    expect(relogins).toEqual(['login'])
    expect(fake.manifests.get('ns/app:latest')?.body).toEqual(INDEX)
  })

  test('without an earlier transient fault, the 401 fails at once', async () => {
    const fake = await start('basic')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    const relogins: string[] = []
    const {registryClient, session} = staleClient(fake, relogins)
    const error = await registryClient
      .copyManifest({repository: 'ns/app', reference: '1'}, ['latest'])
      .catch((err: unknown) => err)
    expect((error as RegistryError).status).toBe(401)
    expect(relogins).toEqual([])
    expect(session.sawTransientFault).toBe(false)
    expect(fake.manifests.has('ns/app:latest')).toBe(false)
  })

  test('a login that is still refused after the fresh login fails with the 401', async () => {
    const fake = await start('basic')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    fake.faults = [(_req, res) => (res.writeHead(500).end(), true)]
    const relogins: string[] = []
    const session = new RetrySession(
      {retries: 3, baseMs: 1},
      {relogin: async () => void relogins.push('login')},
    )
    const registryClient = new RegistryHttpClient({
      host: fake.host,
      insecure: true,
      username: 'u',
      password: 'wrong',
      retry: session,
    })
    const error = await registryClient
      .putManifest('ns/app', 'latest', INDEX, INDEX_TYPE)
      .catch((err: unknown) => err)
    expect((error as RegistryError).status).toBe(401)
    expect(relogins).toEqual(['login'])
  })
})

describe('listTags', () => {
  test('follows Link pagination when the registry honours n', async () => {
    const fake = await start('none')
    const many = Array.from({length: 2500}, (_, i) => `t${String(i).padStart(4, '0')}`)
    fake.tags.set('ns/app', many)
    expect(await client(fake).listTags('ns/app')).toEqual(many)
    expect(fake.requests.filter((r) => r.includes('tags/list'))).toEqual([
      'GET /v2/ns/app/tags/list?n=1000',
      'GET /v2/ns/app/tags/list?n=1000&last=t0999',
      'GET /v2/ns/app/tags/list?n=1000&last=t1999',
    ])
  })

  test('an unknown repository has no tags', async () => {
    const fake = await start('bearer')
    expect(await client(fake).listTags('ns/none')).toEqual([])
  })

  test.each([
    {
      why: 'a relative next link',
      link: '</v2/a/tags/list?n=2&last=b>; rel="next"',
      want: '/v2/a/tags/list?n=2&last=b',
    },
    {
      why: 'an absolute next link',
      link: '<https://r.example/v2/a/tags/list?last=b>; rel=next',
      want: '/v2/a/tags/list?last=b',
    },
    {why: 'no next link', link: '</v2/a/tags/list?n=2>; rel="prev"', want: undefined},
    {why: 'no header', link: null, want: undefined},
  ])('nextPage: $why', ({link, want}) => {
    expect(nextPage(link)).toBe(want)
  })
})

describe('retries', () => {
  test('503 with Retry-After, 429 and a reset connection are retried, honouring Retry-After', async () => {
    const fake = await start('none')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    const faults: Fault[] = [
      (req, res) =>
        req.method === 'GET' ? (res.writeHead(503, {'retry-after': '1'}).end(), true) : false,
      (req, res) => (req.method === 'PUT' ? (res.writeHead(429).end(), true) : false),
      (req) => (req.method === 'PUT' ? (req.socket.destroy(), true) : false),
    ]
    fake.faults = faults
    const started = Date.now()
    await client(fake).copyManifest({repository: 'ns/app', reference: '1'}, ['latest'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(manifestRequests(fake)).toEqual([
      'GET /v2/ns/app/manifests/1',
      'GET /v2/ns/app/manifests/1',
      'PUT /v2/ns/app/manifests/latest',
      'PUT /v2/ns/app/manifests/latest',
      'PUT /v2/ns/app/manifests/latest',
    ])
    expect(fake.manifests.get('ns/app:latest')?.body).toEqual(INDEX)
  })

  test('Retry-After is capped at 30 s, like every other wait', async () => {
    const fake = await start('none')
    fake.tags.set('ns/app', ['1'])
    fake.faults = [(_req, res) => (res.writeHead(503, {'retry-after': '3600'}).end(), true)]
    const waits: number[] = []
    const session = new RetrySession(
      {retries: 1, baseMs: 5},
      {wait: async (ms) => void waits.push(ms)},
    )
    const registryClient = new RegistryHttpClient({host: fake.host, insecure: true, retry: session})
    expect(await registryClient.listTags('ns/app')).toEqual(['1'])
    expect(waits).toEqual([30_000])
    expect(session.sawTransientFault).toBe(true)
  })

  test('retries=3 is at most 4 attempts, then a RegistryError with the status', async () => {
    const fake = await start('none')
    fake.faults = Array.from(
      {length: 10},
      () => (_req: IncomingMessage, res: ServerResponse) => (res.writeHead(502).end(), true),
    )
    const error = await client(fake, 3)
      .listTags('ns/app')
      .catch((err: unknown) => err)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as RegistryError).status).toBe(502)
    expect(fake.requests).toHaveLength(4)
  })

  test('a registry that keeps dropping the connection fails after retries+1 attempts', async () => {
    const fake = await start('none')
    fake.faults = Array.from(
      {length: 10},
      () => (req: IncomingMessage) => (req.socket.destroy(), true),
    )
    const error = await client(fake, 1)
      .listTags('ns/app')
      .catch((err: unknown) => err)
    expect(describeFailure(error)).toMatch(
      /GET http:\/\/.*\/v2\/ns\/app\/tags\/list\?n=1000 failed: .*gave up after 2 attempts; check that 127\.0\.0\.1:\d+ is reachable/,
    )
    expect(fake.requests).toHaveLength(2)
  })

  test('onRequest is called once per HTTP attempt, faults included', async () => {
    const fake = await start('none')
    fake.tags.set('ns/app', ['1'])
    fake.faults = [
      (_req, res) => (res.writeHead(503, {'retry-after': '0'}).end(), true),
      (req) => (req.socket.destroy(), true),
    ]
    const seen: string[] = []
    const registryClient = new RegistryHttpClient({
      host: fake.host,
      insecure: true,
      retry: {retries: 3, baseMs: 5},
      onRequest: (method, url, status) => seen.push(`${method} ${new URL(url).pathname} ${status}`),
    })
    expect(await registryClient.listTags('ns/app')).toEqual(['1'])
    expect(seen).toEqual([
      'GET /v2/ns/app/tags/list 503',
      'GET /v2/ns/app/tags/list error',
      'GET /v2/ns/app/tags/list 200',
    ])
  })

  test('a 404 or 400 is not retried', async () => {
    const fake = await start('none')
    expect(
      await client(fake).manifestDigest({repository: 'ns/app', reference: 'x'}),
    ).toBeUndefined()
    expect(fake.requests).toHaveLength(1)
  })
})

test.each([
  {
    why: 'a Bearer challenge',
    header:
      'Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"',
    want: {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry',
        scope: 'repository:a:pull',
      },
    },
  },
  {
    why: 'a Basic challenge',
    header: 'Basic realm="x"',
    want: {scheme: 'basic', params: {realm: 'x'}},
  },
])('parseChallenge: $why', ({header, want}) => {
  expect(parseChallenge(header)).toEqual(want)
})

describe('blobs', () => {
  test.each([
    {
      why: 'a relative Location with the upload state in its query',
      location: (_host: string, path: string) => `${path}?_state=a%2Bb%3D`,
      want: /^PUT \/v2\/ns\/app\/blobs\/uploads\/u\d+\?_state=a%2Bb%3D&digest=sha256%3A[0-9a-f]{64}$/,
    },
    {
      why: 'a relative Location without a query',
      location: (_host: string, path: string) => path,
      want: /^PUT \/v2\/ns\/app\/blobs\/uploads\/u\d+\?digest=sha256%3A[0-9a-f]{64}$/,
    },
    {
      why: 'an absolute Location with a query',
      location: (host: string, path: string) => `http://${host}${path}?_state=x`,
      want: /^PUT \/v2\/ns\/app\/blobs\/uploads\/u\d+\?_state=x&digest=sha256%3A[0-9a-f]{64}$/,
    },
  ])('putBlob follows $why', async ({location, want}) => {
    const fake = await start('bearer')
    fake.uploadLocation = location
    const body = Buffer.from('{"config":true}')
    expect(await client(fake).putBlob('ns/app', body)).toBe(digestOf(body))
    expect(fake.requests.filter((request) => request.startsWith('PUT'))).toEqual([
      expect.stringMatching(want),
    ])
    expect(fake.blobs.get(`ns/app@${digestOf(body)}`)).toEqual(body)
    // HEAD, POST and PUT share the one pull,push token.
    expect(fake.tokensIssued).toEqual(['tok-1-repository:ns/app:pull,push'])
  })

  test.each([
    {
      why: 'a 503 on the upload PUT is retried on the same upload',
      fault: (res: ServerResponse) => res.writeHead(503).end(),
      want: [
        'HEAD',
        'POST /v2/ns/app/blobs/uploads/',
        'PUT /v2/ns/app/blobs/uploads/u2',
        'PUT /v2/ns/app/blobs/uploads/u2',
      ],
    },
    {
      why: 'an upload the registry forgot (BLOB_UPLOAD_UNKNOWN) starts over from the HEAD',
      fault: (res: ServerResponse) =>
        json(res, 404, {
          errors: [{code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown to registry'}],
        }),
      want: [
        'HEAD',
        'POST /v2/ns/app/blobs/uploads/',
        'PUT /v2/ns/app/blobs/uploads/u2',
        'HEAD',
        'POST /v2/ns/app/blobs/uploads/',
        'PUT /v2/ns/app/blobs/uploads/u5',
      ],
    },
  ])('$why', async ({fault, want}) => {
    const fake = await start('none')
    fake.faults = [(req, res) => (req.method === 'PUT' ? (fault(res), true) : false)]
    const body = Buffer.from('retried')
    await client(fake).putBlob('ns/app', body)
    expect(
      fake.requests.map((request) => request.replace(/\?.*/, '').replace(/^HEAD .*/, 'HEAD')),
    ).toEqual(want)
    expect(fake.blobs.get(`ns/app@${digestOf(body)}`)).toEqual(body)
  })

  test('a blob whose bytes do not match its digest is an error naming both', async () => {
    const fake = await start('none')
    const wanted = digestOf(Buffer.from('wanted'))
    fake.blobs.set(`ns/app@${wanted}`, Buffer.from('something else'))
    await expect(client(fake).getBlob('ns/app', wanted)).rejects.toThrow(
      new RegExp(
        `${wanted} .*returned bytes whose digest is ${digestOf(Buffer.from('something else'))}`,
      ),
    )
  })
})

afterEach(closeRawServers)

function rawClient(
  host: string,
  extra: Partial<ConstructorParameters<typeof RegistryHttpClient>[0]> = {},
): RegistryHttpClient {
  return new RegistryHttpClient({
    host,
    insecure: true,
    username: 'u',
    password: 'p',
    retry: {retries: 0, baseMs: 1},
    ...extra,
  })
}

const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  )

describe('untrusted tag listings', () => {
  test('a Link header that leads back to a page already read fails, after two pages', async () => {
    const server = await serve((req, res) => {
      const last = new URL(req.url ?? '/', 'http://x').searchParams.get('last')
      // Page 1 links to page 2, page 2 links back to page 1.
      const next = last ? '/v2/ns/app/tags/list?n=1000' : '/v2/ns/app/tags/list?n=1000&last=a'
      json(res, 200, {tags: [last ? 'b' : 'a']}, {link: `<${next}>; rel="next"`})
    })
    const error = await failureOf(rawClient(server.host).listTags('ns/app'))
    expect(error).toBeInstanceOf(RegistryTrustError)
    expect((error as Error).message).toMatch(
      /the tag listing of ns\/app on 127\.0\.0\.1:\d+ loops: its Link header leads back to \/v2\/ns\/app\/tags\/list\?n=1000, a page already read \(after 2 pages\)/,
    )
    expect(server.seen).toHaveLength(2)
  })

  test('a Link header that names the page itself fails after one page', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, {tags: ['a']}, {link: '</v2/ns/app/tags/list?n=1000>; rel="next"'}),
    )
    await expect(rawClient(server.host).listTags('ns/app')).rejects.toThrow(/loops/)
    expect(server.seen).toHaveLength(1)
  })

  test(`a listing that never ends stops at ${DEFAULT_REGISTRY_LIMITS.tagPages} pages`, async () => {
    // In process (a thousand local HTTP round trips would take seconds): every page links to a new one.
    let pages = 0
    const endless: typeof fetch = async () => {
      pages++
      return new Response(JSON.stringify({tags: [`t${pages}`]}), {
        headers: {link: `</v2/ns/app/tags/list?n=1000&last=t${pages}>; rel="next"`},
      })
    }
    const registry = rawClient('registry.example', {insecure: false, fetch: endless})
    await expect(registry.listTags('ns/app')).rejects.toThrow(
      'the tag listing of ns/app on registry.example goes on past 1000 pages (1000 tags so far); stopped there',
    )
    expect(pages).toBe(1000)
  })

  test('a listing with more pages than the cap fails; within the cap it is read whole', async () => {
    const fake = await start('none')
    fake.tags.set(
      'ns/app',
      Array.from({length: 2500}, (_, i) => `t${i}`),
    )
    const capped = (tagPages: number) =>
      new RegistryHttpClient({
        host: fake.host,
        insecure: true,
        retry: {retries: 0, baseMs: 1},
        limits: {tagPages},
      })
    expect(await capped(3).listTags('ns/app')).toHaveLength(2500)
    await expect(capped(2).listTags('ns/app')).rejects.toThrow(/goes on past 2 pages/)
  })

  test('a Link to another path is not followed', async () => {
    const server = await serve((_req, res) =>
      json(res, 200, {tags: ['a']}, {link: '</v2/ns/app/../../token?x=1>; rel="next"'}),
    )
    await expect(rawClient(server.host).listTags('ns/app')).rejects.toThrow(
      /links to \/v2\/token\?x=1 as its next page, which is not a page of that listing/,
    )
    expect(server.seen).toHaveLength(1)
  })

  test('a page over the JSON cap fails, and the stream is not read to its end', async () => {
    const page = JSON.stringify({tags: Array.from({length: 20_000}, (_, i) => `tag-${i}`)})
    const server = await serve((_req, res) => {
      // Chunked, no Content-Length: the cap is met while streaming.
      res.writeHead(200, {'content-type': 'application/json'})
      res.write(page.slice(0, 100_000))
      setTimeout(() => res.end(page.slice(100_000)), 20)
    })
    const registry = rawClient(server.host, {limits: {jsonBytes: 64 * 1024}})
    await expect(registry.listTags('ns/app')).rejects.toThrow(
      /the tag listing of ns\/app on 127\.0\.0\.1:\d+: the answer is more than 65536 bytes, over the cap of 65536 bytes/,
    )
  })

  test('a listed name that is not a tag fails the listing; nothing is asked with it', async () => {
    const victim = `../../victim/manifests/sha256:${'a'.repeat(64)}`
    const server = await serve((_req, res) => json(res, 200, {tags: ['1.0', victim]}))
    await expect(rawClient(server.host).listTags('ns/app')).rejects.toThrow(
      /holds "\.\.\/\.\.\/victim\/manifests\/sha256:a+", which is not a tag/,
    )
    expect(server.seen.map((request) => request.url)).toEqual(['/v2/ns/app/tags/list?n=1000'])
  })
})

describe('names go into a URL only when they are names', () => {
  test.each([
    {
      why: 'a DELETE of a tag',
      call: (r: RegistryHttpClient) => r.deleteManifest('ns/app', 'latest'),
      error: /refusing to DELETE latest in ns\/app .*only a sha256 digest/,
    },
    {
      why: 'a DELETE of a path from a listing',
      call: (r: RegistryHttpClient) =>
        r.deleteManifest('ns/app', `../../victim/manifests/sha256:${'a'.repeat(64)}`),
      error: /refusing to DELETE \.\.\/\.\.\/victim/,
    },
    {
      why: 'a DELETE of a sha512 digest',
      call: (r: RegistryHttpClient) => r.deleteManifest('ns/app', `sha512:${'a'.repeat(128)}`),
      error: /only a sha256 digest/,
    },
    {
      why: 'a DELETE in a repository path with ..',
      call: (r: RegistryHttpClient) => r.deleteManifest('ns/../victim', `sha256:${'a'.repeat(64)}`),
      error: /'ns\/\.\.\/victim' is not a repository path/,
    },
    {
      why: 'a HEAD of a tag with a slash',
      call: (r: RegistryHttpClient) =>
        r.manifestDigest({repository: 'ns/app', reference: '../../x/manifests/1'}),
      error: /is neither a tag nor a sha256 digest/,
    },
    {
      why: 'a blob by an upper-case digest',
      call: (r: RegistryHttpClient) => r.getBlob('ns/app', `sha256:${'A'.repeat(64)}`),
      error: /is not a sha256 digest/,
    },
    {
      why: 'a tag listing of a repository with a query',
      call: (r: RegistryHttpClient) => r.listTags('ns/app?x=1'),
      error: /is not a repository path/,
    },
  ])('$why is refused before any request', async ({call, error}) => {
    const server = await serve((_req, res) => json(res, 202, {}))
    const failure = await failureOf(call(rawClient(server.host)))
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect((failure as Error).message).toMatch(error)
    expect(server.seen).toEqual([])
  })

  test('a DELETE by sha256 digest goes through', async () => {
    const server = await serve((_req, res) => res.writeHead(202).end())
    const digest = `sha256:${'a'.repeat(64)}`
    expect(await rawClient(server.host).deleteManifest('ns/app', digest)).toBe(true)
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      `DELETE /v2/ns/app/manifests/${digest}`,
    ])
  })
})

describe('manifest and blob bytes are checked against their digest', () => {
  const OTHER = Buffer.from(JSON.stringify({schemaVersion: 2, manifests: []}))

  test('read by tag: bytes that do not match the Docker-Content-Digest header are refused', async () => {
    const fake = await start('none')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    fake.faults = [
      (req, res) =>
        req.method === 'GET'
          ? (res
              .writeHead(200, {
                'content-type': INDEX_TYPE,
                'docker-content-digest': digestOf(INDEX),
              })
              .end(OTHER),
            true)
          : false,
    ]
    const failure = await failureOf(
      client(fake).getManifest({repository: 'ns/app', reference: '1'}),
    )
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect(describeFailure(failure)).toBe(
      `GET manifest ns/app:1 on ${fake.host} returned bytes whose digest is ${digestOf(OTHER)}, not the ${digestOf(INDEX)} its Docker-Content-Digest header names. the registry or a proxy in between altered the content; nothing was done with it`,
    )
  })

  test('read by tag: the digest returned is the one computed, and copies use it', async () => {
    const fake = await start('none')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    // No header at all: the computed digest is the only one there is.
    fake.faults = [
      (req, res) =>
        req.method === 'GET'
          ? (res.writeHead(200, {'content-type': INDEX_TYPE}).end(INDEX), true)
          : false,
    ]
    expect((await client(fake).getManifest({repository: 'ns/app', reference: '1'}))?.digest).toBe(
      digestOf(INDEX),
    )
  })

  test('read by digest: bytes that hash to another digest are refused, whatever the header says', async () => {
    const fake = await start('none')
    const wanted = digestOf(INDEX)
    fake.manifests.set(`ns/app@${wanted}`, {body: OTHER, type: INDEX_TYPE})
    fake.faults = [
      (_req, res) => (
        res
          .writeHead(200, {'content-type': INDEX_TYPE, 'docker-content-digest': wanted})
          .end(OTHER),
        true
      ),
    ]
    await expect(
      client(fake).getManifest({repository: 'ns/app', reference: wanted}),
    ).rejects.toThrow(
      `GET manifest ns/app@${wanted} on ${fake.host} returned bytes whose digest is ${digestOf(OTHER)}`,
    )
  })

  test('a copy whose source was altered puts nothing', async () => {
    const fake = await start('none')
    fake.manifests.set('ns/app:sha-1', {body: INDEX, type: INDEX_TYPE})
    fake.faults = [
      (req, res) =>
        req.method === 'GET'
          ? (res
              .writeHead(200, {
                'content-type': INDEX_TYPE,
                'docker-content-digest': digestOf(INDEX),
              })
              .end(OTHER),
            true)
          : false,
    ]
    await expect(
      client(fake).copyManifest({repository: 'ns/app', reference: 'sha-1'}, ['latest']),
    ).rejects.toThrow(/returned bytes whose digest is/)
    // Not retried (another attempt would meet the same answer), and no PUT.
    expect(manifestRequests(fake)).toEqual(['GET /v2/ns/app/manifests/sha-1'])
    expect(fake.manifests.has('ns/app:latest')).toBe(false)
  })

  test('a PUT answered with another Docker-Content-Digest fails; a matching one returns the computed digest', async () => {
    const fake = await start('none')
    const wrong = `sha256:${'0'.repeat(64)}`
    fake.faults = [
      (req, res) =>
        req.method === 'PUT'
          ? (res.writeHead(201, {'docker-content-digest': wrong}).end(), true)
          : false,
    ]
    await expect(client(fake).putManifest('ns/app', 'v1', INDEX, INDEX_TYPE)).rejects.toThrow(
      `PUT manifest ns/app:v1 on ${fake.host} answered Docker-Content-Digest ${wrong}, but the bytes sent hash to ${digestOf(INDEX)}`,
    )
    expect(await client(fake).putManifest('ns/app', 'v1', INDEX, INDEX_TYPE)).toBe(digestOf(INDEX))
  })

  test('a PUT by a digest the bytes do not have is refused before it is sent', async () => {
    const fake = await start('none')
    await expect(
      client(fake).putManifest('ns/app', `sha256:${'0'.repeat(64)}`, INDEX, INDEX_TYPE),
    ).rejects.toThrow(/the bytes to store hash to sha256:[0-9a-f]{64}, not to the digest/)
    expect(fake.requests).toEqual([])
  })

  test('a HEAD whose digest header is not a sha256 digest is checked by reading the manifest', async () => {
    const fake = await start('none')
    fake.manifests.set('ns/app:1', {body: INDEX, type: INDEX_TYPE})
    fake.faults = [
      (req, res) =>
        req.method === 'HEAD'
          ? (res.writeHead(200, {'docker-content-digest': '../../x'}).end(), true)
          : false,
    ]
    expect(await client(fake).manifestDigest({repository: 'ns/app', reference: '1'})).toBe(
      digestOf(INDEX),
    )
    expect(manifestRequests(fake)).toEqual([
      'HEAD /v2/ns/app/manifests/1',
      'GET /v2/ns/app/manifests/1',
    ])
  })
})

describe('size caps', () => {
  test.each([
    {
      why: `a manifest over ${DEFAULT_REGISTRY_LIMITS.manifestBytes} bytes (Content-Length)`,
      size: DEFAULT_REGISTRY_LIMITS.manifestBytes + 1,
      chunked: false,
      call: (r: RegistryHttpClient) => r.getManifest({repository: 'ns/app', reference: '1'}),
      error:
        /GET manifest ns\/app:1 on .*: the answer is 4194305 bytes, over the cap of 4194304 bytes/,
    },
    {
      why: 'a manifest over the cap, streamed without a length',
      size: DEFAULT_REGISTRY_LIMITS.manifestBytes + 1,
      chunked: true,
      call: (r: RegistryHttpClient) => r.getManifest({repository: 'ns/app', reference: '1'}),
      error: /GET manifest ns\/app:1 on .*: the answer is more than 4194304 bytes/,
    },
    {
      why: `a blob over ${DEFAULT_REGISTRY_LIMITS.blobBytes} bytes, streamed`,
      size: DEFAULT_REGISTRY_LIMITS.blobBytes + 1,
      chunked: true,
      call: (r: RegistryHttpClient) => r.getBlob('ns/app', `sha256:${'a'.repeat(64)}`),
      error: /GET blob ns\/app@sha256:a{64} on .*: the answer is more than 16777216 bytes/,
    },
  ])('$why fails', async ({size, chunked, call, error}) => {
    let written = 0
    const server = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        ...(chunked ? {} : {'content-length': String(size)}),
      })
      // Written in 256 KiB pieces, as long as the client reads.
      const piece = Buffer.alloc(256 * 1024, 0x20)
      const more = (): void => {
        while (written < size) {
          const part = piece.subarray(0, Math.min(piece.length, size - written))
          written += part.length
          if (!res.write(part)) return void res.once('drain', more)
        }
        res.end()
      }
      res.on('error', () => undefined)
      more()
    })
    const failure = await failureOf(call(rawClient(server.host)))
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect((failure as Error).message).toMatch(error)
  })
})

describe('credentials stay with their registry', () => {
  /** A registry (Basic auth) whose upload Location points at `elsewhere`. */
  async function registryUploadingTo(elsewhere: RawServer): Promise<RawServer> {
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`
    return serve((req, res, self) => {
      if (req.headers.authorization !== basic)
        return json(res, 401, {}, {'www-authenticate': `Basic realm="${self.host}"`})
      if (req.method === 'HEAD') return void res.writeHead(404).end()
      if (req.method === 'POST')
        return void res
          .writeHead(202, {location: `${elsewhere.origin}/v2/ns/app/blobs/uploads/u1?_state=s`})
          .end()
      json(res, 404, {})
    })
  }

  test.each([
    {why: 'a Basic challenge', challenge: (host: string) => `Basic realm="${host}"`},
    {
      why: 'a Bearer challenge (its realm on that host)',
      challenge: (host: string) => `Bearer realm="http://${host}/token",service="x"`,
    },
  ])(
    'an upload Location on another origin that answers 401 with $why gets no Authorization',
    async ({challenge}) => {
      const elsewhere = await serve((req, res, self) => {
        if (req.url?.startsWith('/token')) return json(res, 200, {token: 'stolen'})
        json(res, 401, {}, {'www-authenticate': challenge(self.host)})
      })
      const registry = await registryUploadingTo(elsewhere)
      const failure = await failureOf(rawClient(registry.host).putBlob('ns/app', Buffer.from('x')))
      expect(failure).toBeInstanceOf(RegistryTrustError)
      expect((failure as Error).message).toMatch(
        new RegExp(
          `PUT ${elsewhere.origin}/v2/ns/app/blobs/uploads/u1, where the registry ${registry.host} sent us, answered with a (basic|bearer) challenge; credentials go to the registry's own origin ${registry.origin} only, so none were sent`,
        ),
      )
      // The registry got the credentials; the other host only ever saw the one PUT, bare.
      expect(registry.seen.some((request) => request.authorization)).toBe(true)
      expect(elsewhere.seen).toEqual([
        {
          method: 'PUT',
          url: expect.stringMatching(/^\/v2\/ns\/app\/blobs\/uploads\/u1\?_state=s&digest=/),
        },
      ])
    },
  )

  test('an upload Location on another origin that takes the blob gets it without Authorization', async () => {
    const elsewhere = await serve((req, res) => {
      const digest = new URL(req.url ?? '/', 'http://x').searchParams.get('digest') ?? ''
      res.writeHead(201, {'docker-content-digest': digest}).end()
    })
    const registry = await registryUploadingTo(elsewhere)
    const body = Buffer.from('config')
    expect(await rawClient(registry.host).putBlob('ns/app', body)).toBe(digestOf(body))
    expect(elsewhere.seen).toHaveLength(1)
    expect(elsewhere.seen[0].authorization).toBeUndefined()
  })

  test('a redirect to another origin: the blob is fetched there without Authorization, and checked', async () => {
    const blob = Buffer.from('{"config":{}}')
    const storage = await serve((_req, res) => res.writeHead(200).end(blob))
    const basic = `Basic ${Buffer.from('u:p').toString('base64')}`
    const registry = await serve((req, res, self) => {
      if (req.headers.authorization !== basic)
        return json(res, 401, {}, {'www-authenticate': `Basic realm="${self.host}"`})
      res.writeHead(307, {location: `${storage.origin}/blob?sig=1`}).end()
    })
    expect(await rawClient(registry.host).getBlob('ns/app', digestOf(blob))).toEqual(blob)
    expect(storage.seen).toEqual([{method: 'GET', url: '/blob?sig=1'}])
  })

  test('a redirect to another origin that answers 401 with a challenge gets no credentials', async () => {
    const elsewhere = await serve((_req, res, self) =>
      json(res, 401, {}, {'www-authenticate': `Basic realm="${self.host}"`}),
    )
    const registry = await serve((_req, res) =>
      res.writeHead(302, {location: `${elsewhere.origin}/v2/ns/app/manifests/1`}).end(),
    )
    await expect(
      rawClient(registry.host).getManifest({repository: 'ns/app', reference: '1'}),
    ).rejects.toThrow(
      /answered with a basic challenge; credentials go to the registry's own origin/,
    )
    expect(elsewhere.seen).toEqual([{method: 'GET', url: '/v2/ns/app/manifests/1'}])
  })

  test('redirects are followed a few times at most', async () => {
    const registry = await serve((req, res) =>
      res.writeHead(302, {location: `${req.url ?? '/'}x`}).end(),
    )
    await expect(
      rawClient(registry.host).getManifest({repository: 'ns/app', reference: '1'}),
    ).rejects.toThrow(/was redirected more than 5 times/)
    expect(registry.seen).toHaveLength(DEFAULT_REGISTRY_LIMITS.redirects + 1)
  })

  test.each([
    {realm: 'https://auth.docker.io/token', registry: 'registry-1.docker.io', ok: true},
    {realm: 'http://127.0.0.1:5003/token', registry: '127.0.0.1:5002', ok: true},
    {realm: 'http://localhost/token', registry: '[::1]:5000', ok: true},
    {realm: 'http://auth.example.com/token', registry: 'registry.example.com', ok: false},
    {realm: 'http://auth.example.com/token', registry: '127.0.0.1:5000', ok: false},
    {realm: 'http://127.0.0.1:8080/token', registry: 'iad.ocir.io', ok: false},
    {realm: 'http://10.0.0.5/token', registry: '10.0.0.5:5000', ok: false},
    {realm: 'ftp://127.0.0.1/token', registry: '127.0.0.1:5000', ok: false},
    {realm: 'not a url', registry: '127.0.0.1:5000', ok: false},
  ])('realm $realm for the registry $registry: taken $ok', ({realm, registry, ok}) => {
    const problem = realmProblem(realm, registry)
    if (ok) expect(problem).toBeUndefined()
    else expect(problem).toMatch(/^the token realm .* no credentials were sent$/)
  })

  test('a Bearer challenge with an http:// realm on a non-loopback host is refused, naming the realm, before any token request', async () => {
    const registry = await serve((_req, res) =>
      json(
        res,
        401,
        {},
        {'www-authenticate': 'Bearer realm="http://auth.example.com/token",service="r"'},
      ),
    )
    const asked: string[] = []
    const failure = await failureOf(
      rawClient(registry.host, {onRequest: (_method, url) => asked.push(url)}).listTags('ns/app'),
    )
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect((failure as Error).message).toBe(
      `the token realm http://auth.example.com/token of ${registry.host} is plain HTTP, which only a loopback registry may use with a loopback realm; no credentials were sent`,
    )
    expect(asked.every((url) => url.startsWith(registry.origin))).toBe(true)
  })

  test('every bearer token and renewed password is handed to onSecret', async () => {
    const fake = await start('bearer')
    fake.tags.set('ns/app', ['1'])
    const secrets: string[] = []
    const registry = new RegistryHttpClient({
      host: fake.host,
      insecure: true,
      username: 'u',
      password: 'p',
      retry: {retries: 0, baseMs: 1},
      onSecret: (secret) => secrets.push(secret),
    })
    await registry.listTags('ns/app')
    registry.setCredentials('u', 'fresh-token')
    expect(secrets).toEqual([
      Buffer.from('u:p').toString('base64'),
      'tok-1-repository:ns/app:pull',
      'fresh-token',
    ])
  })
})
