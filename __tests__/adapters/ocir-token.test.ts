import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {RetrySession} from '../../src/adapters/retry.js'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {
  fetchOcirToken,
  ocirTokenUrl,
  TokenSource,
  type OcirToken,
} from '../../src/adapters/ocir-token.js'
import {parseOciApiKey, type OciKeyInputs} from '../../src/config/oci-key.js'
import {isLoopbackHost} from '../../src/plan/registry-target.js'
import {OciRequestError} from '../../src/errors.js'
import {makeApiKey, startOciDouble, type OciDouble} from '../fixtures/oci-double.js'

const apiKeyOf = (inputs: OciKeyInputs) => parseOciApiKey(inputs, {regionRequired: false})

describe('isLoopbackHost / ocirTokenUrl', () => {
  test.each([
    {why: 'localhost with a port', host: 'localhost:5000', want: true},
    {why: 'LOCALHOST in capitals', host: 'LOCALHOST', want: true},
    {why: '127.0.0.1', host: '127.0.0.1:5001', want: true},
    {why: 'anything in 127/8', host: '127.10.20.30', want: true},
    {why: 'IPv6 loopback in brackets with a port', host: '[::1]:5000', want: true},
    {why: 'bare IPv6 loopback', host: '::1', want: true},
    {why: 'an OCIR host', host: 'iad.ocir.io', want: false},
    {why: 'a private address is not loopback', host: '10.0.0.5:5000', want: false},
    {why: 'a name that starts like localhost', host: 'localhost.example.com', want: false},
    {why: 'a name that starts like 127.', host: '127.example.com', want: false},
  ])('$why', ({host, want}) => {
    expect(isLoopbackHost(host)).toBe(want)
  })

  test.each([
    {
      why: 'OCIR over https',
      host: 'iad.ocir.io',
      want: 'https://iad.ocir.io/20180419/docker/token',
    },
    {
      why: 'loopback over http',
      host: '127.0.0.1:8080',
      want: 'http://127.0.0.1:8080/20180419/docker/token',
    },
  ])('$why', ({host, want}) => {
    expect(ocirTokenUrl(host)).toBe(want)
  })
})

describe('fetchOcirToken against the OCI double', () => {
  let double: OciDouble
  let credentials: OciKeyInputs

  beforeAll(async () => {
    const setup = await startOciDouble({tokenLifetimeSeconds: 600})
    double = setup.double
    credentials = {
      user: setup.userId,
      tenancy: setup.tenancyId,
      fingerprint: setup.key.fingerprint,
      privateKey: setup.key.privateKeyPem,
      region: '',
    }
  })
  afterAll(async () => {
    await double.stop()
  })

  test('a signed GET returns the token and when it expires', async () => {
    double.resetCalls()
    const now = Date.now()
    const token = await fetchOcirToken({
      registry: double.host,
      apiKey: apiKeyOf(credentials),
      retry: {retries: 0, baseMs: 10},
      now: () => now,
    })
    expect(token.token).toBe(double.issuedTokens.at(-1))
    expect(token.expiresAt.getTime()).toBe(now + 600_000)
    expect(double.calls.GetDockerToken).toBe(1)
    expect(double.unauthenticated).toBe(0)
  })

  test('429 is retried', async () => {
    double.resetCalls()
    double.throttle('GetDockerToken', 2, 0.01)
    const token = await fetchOcirToken({
      registry: double.host,
      apiKey: apiKeyOf(credentials),
      retry: {retries: 2, baseMs: 10},
    })
    expect(token.token).toBeTruthy()
    expect(double.calls.GetDockerToken).toBe(3)
  })

  test("429 waits as long as Retry-After asks, through the run's session", async () => {
    double.resetCalls()
    double.throttle('GetDockerToken', 1, 3)
    const waits: number[] = []
    const session = new RetrySession(
      {retries: 2, baseMs: 10},
      {wait: async (ms) => void waits.push(ms)},
    )
    const token = await fetchOcirToken({
      registry: double.host,
      apiKey: apiKeyOf(credentials),
      retry: session,
    })
    expect(token.token).toBeTruthy()
    expect(waits).toEqual([3000])
    expect(session.sawTransientFault).toBe(true)
  })

  test('a 429 that does not stop fails after retries+1 attempts, saying so', async () => {
    double.resetCalls()
    double.throttle('GetDockerToken', 5, 0.01)
    const failure = await fetchOcirToken({
      registry: double.host,
      apiKey: apiKeyOf(credentials),
      retry: {retries: 1, baseMs: 10},
    }).catch((err: unknown) => err)
    expect(failure).toMatchObject({statusCode: 429})
    expect((failure as OciRequestError).hint).toMatch(/^gave up after 2 attempts; OCIR throttled/)
    expect(double.calls.GetDockerToken).toBe(2)
  })

  test('an API key the registry does not know is a 401 OciRequestError that names the key inputs', async () => {
    const stranger = makeApiKey()
    const failure = await fetchOcirToken({
      registry: double.host,
      apiKey: apiKeyOf({
        ...credentials,
        privateKey: stranger.privateKeyPem,
        fingerprint: stranger.fingerprint,
      }),
      retry: {retries: 3, baseMs: 10},
    }).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(OciRequestError)
    expect(failure).toMatchObject({
      statusCode: 401,
      serviceCode: 'NotAuthenticated',
      operation: 'GetDockerToken',
    })
    expect((failure as OciRequestError).hint).toMatch(/oci-fingerprint/)
  })

  test('the token is handed to onSecret the moment it is obtained', async () => {
    double.clearFaults()
    const secrets: string[] = []
    const token = await fetchOcirToken({
      registry: double.host,
      apiKey: apiKeyOf(credentials),
      retry: {retries: 0, baseMs: 10},
      onSecret: (secret) => secrets.push(secret),
    })
    expect(secrets).toEqual([token.token])
  })

  /** A stand-in registry host on 127.0.0.1 for one test; what it was asked is recorded. */
  async function withRegistry(
    handle: (req: IncomingMessage, res: ServerResponse) => void,
    run: (host: string, asked: string[]) => Promise<void>,
  ): Promise<void> {
    const asked: string[] = []
    const server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`)
      handle(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      await run(`127.0.0.1:${(server.address() as AddressInfo).port}`, asked)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  test('a redirect is not followed: the signed request goes nowhere else', async () => {
    double.clearFaults()
    double.resetCalls()
    await withRegistry(
      (_req, res) =>
        res.writeHead(302, {location: `http://${double.host}/20180419/docker/token`}).end(),
      async (host, asked) => {
        const failure = await fetchOcirToken({
          registry: host,
          apiKey: apiKeyOf(credentials),
          retry: {retries: 2, baseMs: 10},
          onSecret: () => {},
        }).catch((err: unknown) => err)
        expect(failure).toBeInstanceOf(OciRequestError)
        expect((failure as Error).message).toMatch(
          /redirected to http:\/\/127\.0\.0\.1:\d+\/20180419\/docker\/token; a request signed with the API key is not followed elsewhere/,
        )
        // Not retried, and the target of the redirect never saw the request.
        expect(asked).toEqual(['GET /20180419/docker/token'])
        expect(double.calls.GetDockerToken ?? 0).toBe(0)
      },
    )
  })

  test('a token answer over 1 MiB is not read to its end', async () => {
    await withRegistry(
      (_req, res) => {
        res.writeHead(200, {'content-type': 'application/json'})
        res.on('error', () => undefined)
        res.end(JSON.stringify({token: 'x'.repeat(2 * 1024 * 1024)}))
      },
      async (host) => {
        await expect(
          fetchOcirToken({
            registry: host,
            apiKey: apiKeyOf(credentials),
            retry: {retries: 1, baseMs: 10},
            onSecret: () => {},
          }),
        ).rejects.toThrow(
          /GetDockerToken\): the answer is (\d+|more than 1048576) bytes, over the cap of 1048576 bytes/,
        )
      },
    )
  })

  test('a registry that is not listening fails with the URL in the message', async () => {
    const failure = await fetchOcirToken({
      registry: '127.0.0.1:9',
      apiKey: apiKeyOf(credentials),
      retry: {retries: 1, baseMs: 10},
    }).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(OciRequestError)
    expect((failure as OciRequestError).hint).toContain('http://127.0.0.1:9/20180419/docker/token')
  })
})

describe('TokenSource', () => {
  function fakeFetcher(lifetimeMs: number, clock: {now: number}) {
    let issued = 0
    const fetchToken = async (): Promise<OcirToken> => {
      issued++
      await new Promise((resolve) => setTimeout(resolve, 5))
      return {token: `token-${issued}`, expiresAt: new Date(clock.now + lifetimeMs)}
    }
    return {fetchToken, issued: () => issued}
  }

  test.each([
    {
      why: 'reuses a token far from expiry',
      lifetimeMs: 300_000,
      advanceMs: 200_000,
      want: 'token-1',
    },
    {
      why: 'renews a minute before expiry',
      lifetimeMs: 300_000,
      advanceMs: 241_000,
      want: 'token-2',
    },
    {why: 'renews an expired token', lifetimeMs: 300_000, advanceMs: 400_000, want: 'token-2'},
    {
      why: 'a short-lived token is renewed at half its life',
      lifetimeMs: 60_000,
      advanceMs: 31_000,
      want: 'token-2',
    },
    {
      why: 'a short-lived token is reused before half its life',
      lifetimeMs: 60_000,
      advanceMs: 20_000,
      want: 'token-1',
    },
  ])('$why', async ({lifetimeMs, advanceMs, want}) => {
    const clock = {now: 1_000_000}
    const fetcher = fakeFetcher(lifetimeMs, clock)
    const source = new TokenSource(fetcher.fetchToken, () => clock.now)
    expect(await source.token()).toBe('token-1')
    clock.now += advanceMs
    expect(await source.token()).toBe(want)
  })

  test('concurrent callers share one fetch', async () => {
    const clock = {now: 0}
    const fetcher = fakeFetcher(300_000, clock)
    const source = new TokenSource(fetcher.fetchToken, () => clock.now)
    const tokens = await Promise.all([source.token(), source.token(), source.token()])
    expect(tokens).toEqual(['token-1', 'token-1', 'token-1'])
    expect(fetcher.issued()).toBe(1)
  })

  test('a failed renewal is reported and the next call tries again', async () => {
    let calls = 0
    const source = new TokenSource(async () => {
      calls++
      if (calls === 1)
        throw new OciRequestError('GetDockerToken', 503, undefined, undefined, 'busy')
      return {token: 'ok', expiresAt: new Date(Date.now() + 300_000)}
    })
    await expect(source.token()).rejects.toThrow(/busy/)
    expect(await source.token()).toBe('ok')
  })
})
