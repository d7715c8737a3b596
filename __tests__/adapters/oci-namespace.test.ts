import {afterAll, beforeAll, describe, expect, test, vi} from 'vitest'
import {createObjectStorageClient} from '../../src/adapters/oci-client.js'
import {lookupNamespace} from '../../src/adapters/oci-namespace.js'
import {parseOciApiKey, type OciKeyInputs} from '../../src/config/oci-key.js'
import {OciRequestError} from '../../src/errors.js'
import {startOciDouble, type OciDouble} from '../fixtures/oci-double.js'

const apiKeyOf = (inputs: OciKeyInputs) => parseOciApiKey(inputs, {regionRequired: false})

describe('lookupNamespace', () => {
  let double: OciDouble
  let credentials: OciKeyInputs

  beforeAll(async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    const setup = await startOciDouble({namespace: 'axaxnpcrorw5'})
    double = setup.double
    credentials = {
      user: setup.userId,
      tenancy: setup.tenancyId,
      fingerprint: setup.key.fingerprint,
      privateKey: setup.key.privateKeyPem,
      region: 'phx',
    }
  })
  afterAll(async () => {
    await double.stop()
  })

  const client = (retries = 2) =>
    createObjectStorageClient({
      apiKey: apiKeyOf(credentials),
      retries,
      endpoint: double.url,
      retryBaseMs: 10,
    })

  test('reads the namespace with one signed call to /n (no version prefix)', async () => {
    double.resetCalls()
    expect(await lookupNamespace(await client())).toBe('axaxnpcrorw5')
    expect(double.calls.GetNamespace).toBe(1)
    expect(double.unauthenticated).toBe(0)
  })

  test('the endpoint override is used as given: Object Storage appends no version', async () => {
    expect((await client()).endpoint).toBe(double.url)
  })

  test('without an override the region decides the endpoint', async () => {
    const objectStorage = await createObjectStorageClient({
      apiKey: apiKeyOf(credentials),
      retries: 0,
    })
    // The SDK keeps a `{dualStack?…}` placeholder in it until a request is made.
    expect(objectStorage.endpoint).toMatch(
      /^https:\/\/objectstorage\.us-phoenix-1\..*oraclecloud\.com$/,
    )
  })

  test('a server error after the retries is an OciRequestError with status, code and request id', async () => {
    double.resetCalls()
    double.fail('GetNamespace', 3, 503, 'ServiceUnavailable', 'try later')
    const failure = await lookupNamespace(await client(2)).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(OciRequestError)
    expect(failure).toMatchObject({
      statusCode: 503,
      serviceCode: 'ServiceUnavailable',
      operation: 'GetNamespace',
    })
    expect((failure as OciRequestError).opcRequestId).toMatch(/^DOUBLE-/)
    expect(double.calls.GetNamespace).toBe(3)
  })

  test.each([
    {why: 'an empty string', value: ''},
    {why: 'something other than a string', value: 42},
  ])(
    'a response holding $why is an OciRequestError that points to the namespace input',
    async ({value}) => {
      const fake = {getNamespace: async () => ({value}) as unknown as {value: string}}
      const failure = await lookupNamespace(fake).catch((err: unknown) => err)
      expect(failure).toBeInstanceOf(OciRequestError)
      expect((failure as OciRequestError).hint).toMatch(/namespace input/)
    },
  )

  test('a non-Error thrown by the client is wrapped, not lost', async () => {
    const fake = {
      getNamespace: async () => {
        throw {statusCode: 500, serviceCode: 'InternalError', opcRequestId: 'XYZ', message: 'boom'}
      },
    }
    await expect(lookupNamespace(fake)).rejects.toThrow(
      'OCI GetNamespace failed: boom (status 500, code InternalError, opc-request-id XYZ)',
    )
  })
})
