import {afterAll, beforeAll, describe, expect, test, vi} from 'vitest'
import {createArtifactsClient, loadOciCommon, wrapOciError} from '../../src/adapters/oci-client.js'
import {parseOciApiKey, type OciKeyInputs} from '../../src/config/oci-key.js'
import {OciRequestError} from '../../src/errors.js'
import {makeApiKey, OciDouble, startOciDouble} from '../fixtures/oci-double.js'

const apiKeyOf = (inputs: OciKeyInputs) => parseOciApiKey(inputs, {regionRequired: false})

describe('wrapOciError', () => {
  test.each([
    {
      why: 'an OciError keeps status, code and request id',
      thrown: async () => {
        const common = await loadOciCommon()
        return new common.OciError(
          404,
          'NotAuthorizedOrNotFound',
          'not found',
          'REQ-1',
          'Artifacts',
          'GetContainerRepository',
          '',
          '',
          '',
        )
      },
      want: {statusCode: 404, serviceCode: 'NotAuthorizedOrNotFound', opcRequestId: 'REQ-1'},
      text: /not found \(status 404, code NotAuthorizedOrNotFound, opc-request-id REQ-1\)/,
    },
    {
      why: 'a plain object with the OciError fields (not an Error) keeps them',
      thrown: async () => ({
        statusCode: 503,
        serviceCode: 'ServiceUnavailable',
        opcRequestId: 'REQ-2',
        message: 'busy',
      }),
      want: {statusCode: 503, serviceCode: 'ServiceUnavailable', opcRequestId: 'REQ-2'},
      text: /busy \(status 503, code ServiceUnavailable, opc-request-id REQ-2\)/,
    },
    {
      why: "the SDK's network failure object keeps its code and endpoint",
      thrown: async () => ({
        code: 'ECONNREFUSED',
        message: 'fetch failed',
        requestEndpoint: 'GET http://127.0.0.1:9/n',
      }),
      want: {statusCode: undefined, serviceCode: 'ECONNREFUSED', opcRequestId: undefined},
      text: /fetch failed \(GET http:\/\/127\.0\.0\.1:9\/n\) \(status none, code ECONNREFUSED/,
    },
    {
      why: "the SDK's 'None' code (no code in the body) counts as no code",
      thrown: async () => ({
        statusCode: 502,
        serviceCode: 'None',
        message: 'Bad Gateway',
        opcRequestId: null,
      }),
      want: {statusCode: 502, serviceCode: undefined, opcRequestId: undefined},
      text: /Bad Gateway \(status 502, code none, opc-request-id none\)/,
    },
    {
      why: 'a thrown string becomes the detail',
      thrown: async () => 'The developerToolConfiguration configuration disabled this service',
      want: {statusCode: undefined, serviceCode: undefined, opcRequestId: undefined},
      text: /failed: The developerToolConfiguration/,
    },
    {
      why: 'a thrown undefined is named, not dropped',
      thrown: async () => undefined,
      want: {statusCode: undefined, serviceCode: undefined, opcRequestId: undefined},
      text: /unexpected undefined thrown/,
    },
    {
      why: 'a thrown null is named',
      thrown: async () => null,
      want: {statusCode: undefined, serviceCode: undefined, opcRequestId: undefined},
      text: /unexpected null thrown/,
    },
    {
      why: 'a thrown number is shown',
      thrown: async () => 42,
      want: {statusCode: undefined, serviceCode: undefined, opcRequestId: undefined},
      text: /unexpected number thrown: 42/,
    },
    {
      why: "an Error's cause is kept (fetch failed: connect ECONNREFUSED)",
      thrown: async () =>
        new TypeError('fetch failed', {cause: new Error('connect ECONNREFUSED 127.0.0.1:9')}),
      want: {statusCode: undefined, serviceCode: undefined, opcRequestId: undefined},
      text: /fetch failed: connect ECONNREFUSED/,
    },
  ])('$why', async ({thrown, want, text}) => {
    const error = wrapOciError('SomeOperation', await thrown())
    expect(error).toBeInstanceOf(OciRequestError)
    expect({
      statusCode: error.statusCode,
      serviceCode: error.serviceCode,
      opcRequestId: error.opcRequestId,
    }).toEqual(want)
    expect(error.message).toMatch(/^OCI SomeOperation failed: /)
    expect(error.message).toMatch(text)
    expect(error.hint).toBeTruthy()
  })

  test('an OciRequestError passes through unchanged', () => {
    const original = new OciRequestError('X', 400, 'InvalidParameter', 'R', 'bad')
    expect(wrapOciError('Y', original)).toBe(original)
  })

  test.each([
    {why: '401 points at the key pieces', status: 401, hint: /oci-fingerprint/},
    {why: '404 points at policies', status: 404, hint: /policy/},
    {why: '429 suggests retries', status: 429, hint: /retries/},
    {why: '5xx suggests a re-run', status: 500, hint: /re-run/},
    {why: 'no status points at the network', status: undefined, hint: /could not be reached/},
  ])('hint: $why', ({status, hint}) => {
    expect(wrapOciError('Op', {statusCode: status, message: 'x'}).hint).toMatch(hint)
  })
})

describe('SDK clients against the OCI double', () => {
  let setup: Awaited<ReturnType<typeof startOciDouble>>
  let double: OciDouble
  let credentials: OciKeyInputs

  beforeAll(async () => {
    // The SDK's retrier reports every failed attempt on console.warn; keep the test output readable.
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    setup = await startOciDouble({seedCount: 3})
    double = setup.double
    credentials = {
      user: setup.userId,
      tenancy: setup.tenancyId,
      fingerprint: setup.key.fingerprint,
      privateKey: setup.key.privateKeyPem,
      region: 'iad',
    }
  })
  afterAll(async () => {
    await double.stop()
  })

  const list = async (creds: OciKeyInputs, retries = 3): Promise<number> => {
    const client = await createArtifactsClient({
      apiKey: apiKeyOf(creds),
      retries,
      endpoint: double.url,
      retryBaseMs: 10,
    })
    const response = await client.listContainerRepositories({
      compartmentId: setup.tenancyId,
      compartmentIdInSubtree: true,
    })
    return response.containerRepositoryCollection.items.length
  }

  test('a correctly signed request is accepted', async () => {
    double.resetCalls()
    expect(await list(credentials)).toBe(3)
    expect(double.calls.ListContainerRepositories).toBe(1)
    expect(double.unauthenticated).toBe(0)
  })

  test('the region decides the endpoint when no override is given', async () => {
    const client = await createArtifactsClient({
      apiKey: apiKeyOf({...credentials, region: 'fra'}),
      retries: 0,
    })
    expect(client.endpoint).toBe('https://artifacts.eu-frankfurt-1.oci.oraclecloud.com/20160918')
  })

  test('an endpoint override gets the Artifacts version appended once, without a double slash', async () => {
    const client = await createArtifactsClient({
      apiKey: apiKeyOf(credentials),
      retries: 0,
      endpoint: `${double.url}/`,
    })
    expect(client.endpoint).toBe(`${double.url}/20160918`)
  })

  test('an API key OCI does not know is rejected with 401 and a hint about the key', async () => {
    const stranger = makeApiKey()
    double.resetCalls()
    const failure = await list({
      ...credentials,
      privateKey: stranger.privateKeyPem,
      fingerprint: stranger.fingerprint,
    }).catch((err: unknown) => wrapOciError('ListContainerRepositories', err))
    expect(failure).toBeInstanceOf(OciRequestError)
    expect(failure).toMatchObject({statusCode: 401, serviceCode: 'NotAuthenticated'})
    expect((failure as OciRequestError).opcRequestId).toMatch(/^DOUBLE-/)
    expect((failure as OciRequestError).hint).toMatch(
      /oci-user, oci-tenancy, oci-fingerprint and oci-private-key/,
    )
    expect(double.lastAuthFailure).toMatch(/no API key/)
    expect(double.unauthenticated).toBe(1) // 401 is not retried
  })

  test('a signature made with another key under a known keyId does not verify', async () => {
    const impostor = makeApiKey()
    // OCI has the impostor's fingerprint on file, but with our public key.
    const server = new OciDouble({
      tenancyId: setup.tenancyId,
      users: [
        {userId: setup.userId, fingerprint: impostor.fingerprint, publicKey: setup.key.publicKey},
      ],
    })
    await server.start()
    try {
      const client = await createArtifactsClient({
        apiKey: apiKeyOf({
          ...credentials,
          privateKey: impostor.privateKeyPem,
          fingerprint: impostor.fingerprint,
        }),
        retries: 0,
        endpoint: server.url,
      })
      await expect(
        client.listContainerRepositories({compartmentId: setup.tenancyId}),
      ).rejects.toMatchObject({statusCode: 401})
      expect(server.lastAuthFailure).toBe('signature does not verify')
    } finally {
      await server.stop()
    }
  })

  test('an unsigned request is rejected', async () => {
    const response = await fetch(
      `${double.url}/20160918/container/repositories?compartmentId=${setup.tenancyId}`,
    )
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({code: 'NotAuthenticated'})
  })

  test('429 is retried and then succeeds', async () => {
    double.resetCalls()
    double.throttle('ListContainerRepositories', 2)
    expect(await list(credentials, 3)).toBe(3)
    expect(double.calls.ListContainerRepositories).toBe(3)
  })

  test('retries bound the attempts: retries + 1, then the 429 is reported', async () => {
    double.resetCalls()
    double.throttle('ListContainerRepositories', 5)
    const failure = await list(credentials, 1).catch((err: unknown) =>
      wrapOciError('ListContainerRepositories', err),
    )
    expect(failure).toMatchObject({statusCode: 429, serviceCode: 'TooManyRequests'})
    expect(double.calls.ListContainerRepositories).toBe(2)
    double.clearFaults()
  })

  test('the circuit breaker is off: many failures in a row do not block the next call', async () => {
    const client = await createArtifactsClient({
      apiKey: apiKeyOf(credentials),
      retries: 0,
      endpoint: double.url,
    })
    for (let index = 0; index < 15; index++) {
      await expect(
        client.getContainerRepository({repositoryId: `ocid1.containerrepo.oc1..missing${index}`}),
      ).rejects.toMatchObject({
        statusCode: 404,
      })
    }
    double.resetCalls()
    const response = await client.listContainerRepositories({
      compartmentId: setup.tenancyId,
      compartmentIdInSubtree: true,
    })
    expect(response.containerRepositoryCollection.items).toHaveLength(3)
    expect(double.calls.ListContainerRepositories).toBe(1)
  })

  test('a request the server never answers times out instead of hanging the run', async () => {
    double.stall('ListContainerRepositories', 1)
    const started = Date.now()
    const client = await createArtifactsClient({
      apiKey: apiKeyOf(credentials),
      retries: 0,
      endpoint: double.url,
      requestTimeoutSeconds: 0.5,
    })
    const failure = await client
      .listContainerRepositories({compartmentId: setup.tenancyId})
      .catch((err: unknown) => wrapOciError('ListContainerRepositories', err))
    expect(failure).toBeInstanceOf(OciRequestError)
    expect((failure as OciRequestError).statusCode).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(3_000)
    // The deadline is per request: a later request on the same client is not born expired.
    await new Promise((resolve) => setTimeout(resolve, 600))
    const response = await client.listContainerRepositories({
      compartmentId: setup.tenancyId,
      compartmentIdInSubtree: true,
    })
    expect(response.containerRepositoryCollection.items).toHaveLength(3)
  })

  test('an endpoint nobody listens on fails fast with a network error, not minutes of retries', async () => {
    const started = Date.now()
    const client = await createArtifactsClient({
      apiKey: apiKeyOf(credentials),
      retries: 2,
      endpoint: 'http://127.0.0.1:9',
      retryBaseMs: 10,
    })
    const failure = await client
      .listContainerRepositories({compartmentId: setup.tenancyId})
      .catch((err: unknown) => wrapOciError('ListContainerRepositories', err))
    expect(failure).toBeInstanceOf(OciRequestError)
    expect((failure as OciRequestError).statusCode).toBeUndefined()
    expect((failure as OciRequestError).message).toMatch(/127\.0\.0\.1:9/)
    expect(Date.now() - started).toBeLessThan(5_000)
  })
})
