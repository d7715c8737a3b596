import {verify} from 'node:crypto'
import {afterAll, beforeAll, expect, test, vi} from 'vitest'
import {createArtifactsClient, createKmsCryptoClient} from '../../src/adapters/oci-client.js'
import {OciImageSignatures} from '../../src/adapters/oci-image-signatures.js'
import {parseOciApiKey} from '../../src/config/oci-key.js'
import {describeFailure, OciRequestError} from '../../src/errors.js'
import {OcirSigner} from '../../src/signing/ocir-signer.js'
import {makeVaultKey, PSS, startOciDouble, type VaultKey} from '../fixtures/oci-double.js'

let setup: Awaited<ReturnType<typeof startOciDouble>>
let vaultKey: VaultKey
let signer: OcirSigner

beforeAll(async () => {
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  vaultKey = makeVaultKey()
  setup = await startOciDouble({namespace: 'ns1', vaultKeys: [vaultKey]})
  const apiKey = parseOciApiKey(
    {
      user: setup.userId,
      tenancy: setup.tenancyId,
      fingerprint: setup.key.fingerprint,
      privateKey: setup.key.privateKeyPem,
      region: 'us-ashburn-1',
    },
    {regionRequired: false},
  )
  const options = {apiKey, retries: 0, retryBaseMs: 10}
  const api = new OciImageSignatures(
    await createArtifactsClient({...options, endpoint: setup.double.url}),
    await createKmsCryptoClient({...options, cryptoEndpoint: setup.double.url}),
  )
  signer = new OcirSigner(api, {
    kms: {
      keyId: vaultKey.keyId,
      keyVersionId: vaultKey.keyVersionId,
      cryptoEndpoint: setup.double.url,
      algorithm: 'SHA_384_RSA_PKCS_PSS',
    },
    namespace: 'ns1',
    region: 'us-ashburn-1',
    description: 'test',
  })
})
afterAll(async () => {
  await setup.double.stop()
})

const target = (hex: string) => ({
  repository: 'ns1/team/api',
  imageName: 'iad.ocir.io/ns1/team/api',
  digest: `sha256:${hex.repeat(64)}`,
})

test('signs through the real SDK: signed requests, the image looked up, one signature that verifies', async () => {
  const id = await signer.sign(target('a'), () => {})
  const {double} = setup
  expect(double.unauthenticated).toBe(0)
  const [signature] = double.signatures
  expect(signature.id).toBe(id)
  expect(double.lookedUpImages.get(signature.imageId)).toMatchObject({
    repositoryName: 'team/api',
    digest: target('a').digest,
  })
  const message = Buffer.from(signature.message, 'base64')
  expect(JSON.parse(message.toString())).toMatchObject({
    repositoryName: 'team/api',
    signingAlgorithm: 'SHA_384_RSA_PKCS_PSS',
  })
  expect(
    verify(
      'sha384',
      message,
      {key: vaultKey.publicKey, ...PSS},
      Buffer.from(signature.signature, 'base64'),
    ),
  ).toBe(true)
})

test('a digest this key version signed already is success: no second Sign, no second signature', async () => {
  const {double} = setup
  const first = await signer.sign(target('b'), () => {})
  const signs = double.calls.Sign
  const lines: string[] = []
  expect(await signer.sign(target('b'), (l) => lines.push(l))).toBe(first)
  expect(double.calls.Sign).toBe(signs)
  expect(lines[0]).toMatch(/already signed with this key version/)
})

test('a failed Sign names the call and the next step', async () => {
  setup.double.fail('Sign', 1, 404, 'NotAuthorizedOrNotFound', 'no such key')
  await expect(signer.sign(target('c'), () => {})).rejects.toThrow(OciRequestError)
  setup.double.fail('Sign', 1, 404, 'NotAuthorizedOrNotFound', 'no such key')
  const failure = await signer.sign(target('c'), () => {}).catch((err: unknown) => err)
  expect(describeFailure(failure)).toMatch(/KMS Sign .*no such key.*use keys/)
})
