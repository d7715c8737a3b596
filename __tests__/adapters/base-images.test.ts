import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, expect, test} from 'vitest'
import {baseImageResolver, resolveBaseImages} from '../../src/adapters/base-images.js'
import {RetrySession} from '../../src/adapters/retry.js'
import {registryDigest} from '../fixtures/registry-probe.js'
import {testEnvironment} from '../fixtures/test-env.js'

const env = testEnvironment()
const D = `sha256:${'b'.repeat(64)}`
/** The run's policy as the action's defaults have it: 3 retries, 1 s backoff steps. */
const session = (): RetrySession => new RetrySession({retries: 3, baseMs: 1000})

let silent: Server | undefined
afterEach(async () => {
  silent?.closeAllConnections()
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()))
  silent = undefined
})

test('a tag on the local open registry resolves to the digest the registry reports', async () => {
  const want = await registryDigest(env.registries.open, 'ocir-push-test/busybox', 'latest')
  expect(want).toMatch(/^sha256:[0-9a-f]{64}$/)
  const [busybox, again] = await resolveBaseImages(
    [env.baseImageInRegistry, env.baseImageInRegistry],
    {retry: session()},
  )
  expect(busybox).toEqual({ref: env.baseImageInRegistry, digest: want})
  expect(again).toEqual({ref: env.baseImageInRegistry, digest: want})
})

test('a digest-pinned reference resolves without a request', async () => {
  const requests: string[] = []
  const result = await resolveBaseImages([`busybox@${D}`, `ghcr.io/a/b:1@${D}`], {
    retry: session(),
    onRequest: (method, url) => requests.push(`${method} ${url}`),
  })
  expect(result).toEqual([
    {ref: `busybox@${D}`, digest: D},
    {ref: `ghcr.io/a/b:1@${D}`, digest: D},
  ])
  expect(requests).toEqual([])
})

test('Docker Hub, unreachable here, gives a reason quickly: one attempt, no retries', async () => {
  const requests: string[] = []
  const started = Date.now()
  const [result] = await resolveBaseImages(['busybox:1.36'], {
    retry: session(),
    onRequest: (method, url, status) => requests.push(`${method} ${url} ${status}`),
  })
  expect(result.digest).toBeUndefined()
  expect(result.reason).toMatch(/^unreachable: .*registry-1\.docker\.io/)
  expect(requests).toEqual([
    'HEAD https://registry-1.docker.io/v2/library/busybox/manifests/1.36 error',
  ])
  expect(Date.now() - started).toBeLessThan(3000)
})

test('a closed port on a loopback host is unreachable, not retried', async () => {
  // A port that was just free (fetch refuses low ports such as 1 before connecting).
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const requests: string[] = []
  const [result] = await resolveBaseImages([`127.0.0.1:${port}/x/y:1`], {
    retry: session(),
    onRequest: (method, url, status) => requests.push(`${method} ${url} ${status}`),
  })
  expect(result.reason).toMatch(/^unreachable: .*ECONNREFUSED/)
  expect(requests).toHaveLength(1)
})

test('a registry that never answers times out after timeoutMs, with one retry', async () => {
  silent = createServer(() => {})
  await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`
  const started = Date.now()
  const [result] = await resolveBaseImages([`${host}/x/y:1`], {
    retry: new RetrySession({retries: 3, baseMs: 10}),
    timeoutMs: 200,
  })
  expect(result.reason).toMatch(/^timeout: /)
  expect(Date.now() - started).toBeLessThan(1500)
})

test.each([
  {
    why: 'without credentials the htpasswd registry refuses',
    credentials: undefined,
    want: /^refused \(HTTP 401\): /,
  },
  {
    why: 'with credentials a missing tag is not found',
    credentials: {
      username: env.registries.htpasswd.username!,
      password: env.registries.htpasswd.password!,
    },
    want: /^not found: 127\.0\.0\.1:5001 has no manifest nobody\/here:1$/,
  },
])('$why', async ({credentials, want}) => {
  const hosts: string[] = []
  const [result] = await resolveBaseImages([`${env.registries.htpasswd.host}/nobody/here:1`], {
    retry: session(),
    credentialsFor: (host) => (hosts.push(host), credentials),
  })
  expect(result.reason).toMatch(want)
  expect(hosts).toEqual([env.registries.htpasswd.host])
})

test('a reference docker would reject gets a reason naming it', async () => {
  expect(await resolveBaseImages(['node:${VERSION}'], {retry: session()})).toEqual([
    {ref: 'node:${VERSION}', reason: "'node:${VERSION}' is not a valid image reference"},
  ])
})

test('the token registry with credentials: a missing tag is not found, not a refusal; the bearer token is masked', async () => {
  const token = env.registries.token
  const secrets: string[] = []
  const [result] = await resolveBaseImages([`${token.host}/nobody/here:1`], {
    retry: session(),
    credentialsFor: () => ({username: token.username!, password: token.password!}),
    onSecret: (secret) => secrets.push(secret),
  })
  expect(result.reason).toMatch(/^not found: /)
  // The Basic pair sent to the realm, then the registry's JWT.
  expect(secrets).toEqual([
    Buffer.from(`${token.username}:${token.password}`).toString('base64'),
    expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
  ])
})

test.each([
  {
    why: 'an http:// realm on a host that is not loopback',
    challenge: () => 'Bearer realm="http://auth.example.com/token",service="r"',
    reason: /^the token realm http:\/\/auth\.example\.com\/token of 127\.0\.0\.1:\d+ is plain HTTP/,
  },
  {
    why: 'a challenge from another origin, reached through a redirect',
    redirectTo: true,
    challenge: (host: string) => `Basic realm="${host}"`,
    reason:
      /answered with a basic challenge; credentials go to the registry's own origin http:\/\/127\.0\.0\.1:\d+ only/,
  },
])(
  'a base image registry with $why gets no credentials',
  async ({challenge, redirectTo, reason}) => {
    const seen: string[] = []
    const elsewhere = createServer((req, res) => {
      seen.push(`elsewhere ${req.method} ${req.url} ${req.headers.authorization ?? '-'}`)
      res.writeHead(401, {'www-authenticate': challenge(`127.0.0.1:${elsewherePort}`)}).end()
    })
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
    const elsewherePort = (elsewhere.address() as AddressInfo).port
    silent = createServer((req, res) => {
      seen.push(`registry ${req.method} ${req.url} ${req.headers.authorization ?? '-'}`)
      if (redirectTo)
        res.writeHead(307, {location: `http://127.0.0.1:${elsewherePort}${req.url}`}).end()
      else res.writeHead(401, {'www-authenticate': challenge('')}).end()
    })
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve))
    const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`
    try {
      const [result] = await resolveBaseImages([`${host}/x/y:1`], {
        retry: session(),
        credentialsFor: () => ({username: 'me', password: 'secret'}),
        onSecret: () => {},
      })
      expect(result.reason).toMatch(reason)
      expect(seen.filter((line) => !line.endsWith(' -'))).toEqual([])
    } finally {
      elsewhere.closeAllConnections()
      await new Promise((resolve) => elsewhere.close(resolve))
    }
  },
)

test('one resolver per run looks each base image up once, however many images share it', async () => {
  const requests: string[] = []
  const resolve = baseImageResolver({
    retry: session(),
    onRequest: (method, url) => requests.push(`${method} ${url}`),
  })
  const [first, second] = await Promise.all([
    resolve([env.baseImageInRegistry]),
    resolve([env.baseImageInRegistry]),
  ])
  expect(second).toEqual(first)
  expect(first[0].digest).toBe(
    await registryDigest(env.registries.open, 'ocir-push-test/busybox', 'latest'),
  )
  expect(requests.filter((request) => request.startsWith('HEAD'))).toHaveLength(1)
})
