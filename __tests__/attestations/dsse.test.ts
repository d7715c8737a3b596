import {describe, expect, test} from 'vitest'
import {
  envelopePayload,
  envelopeVerifies,
  parseEnvelope,
  preAuthEncoding,
  signEnvelope,
} from '../../src/attestations/dsse.js'
import {cosignKeySigner, vaultKeySigner} from '../../src/attestations/envelope-signers.js'
import {makeSigningKey} from '../fixtures/cosign-check.js'

describe('DSSE', () => {
  test('the PAE is the spec’s: lengths in bytes, in decimal, single spaces', () => {
    // The example of the DSSE protocol document.
    expect(
      preAuthEncoding('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
    ).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world')
    // Bytes, not characters.
    expect(preAuthEncoding('t', Buffer.from('é')).toString()).toBe('DSSEv1 1 t 2 é')
  })

  test('an envelope signed with the cosign key verifies with it, and not with another key', async () => {
    const key = makeSigningKey()
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}')
    const bytes = await signEnvelope(payload, [cosignKeySigner(key.privateKey)])
    const envelope = parseEnvelope(bytes)
    expect(envelope?.payloadType).toBe('application/vnd.in-toto+json')
    expect(envelope?.signatures).toHaveLength(1)
    expect(envelope?.signatures[0].keyid).toBe('')
    expect(envelopePayload(envelope!)).toEqual(payload)
    expect(envelopeVerifies(envelope!, cosignKeySigner(key.privateKey).verifies)).toBe(true)
    const stranger = cosignKeySigner(makeSigningKey().privateKey)
    expect(envelopeVerifies(envelope!, stranger.verifies)).toBe(false)
    // A changed payload no longer verifies.
    const forged = {...envelope!, payload: Buffer.from('{"_type":"x"}').toString('base64')}
    expect(envelopeVerifies(forged, cosignKeySigner(key.privateKey).verifies)).toBe(false)
  })

  test('no signer: an envelope with an empty signature list', async () => {
    const envelope = parseEnvelope(await signEnvelope(Buffer.from('{}'), []))
    expect(envelope?.signatures).toEqual([])
  })

  test('the Vault key signs the PAE itself up to 4096 bytes, its SHA-256 digest beyond', async () => {
    const calls: {messageType?: string; message: string}[] = []
    const signer = vaultKeySigner(
      {
        signWithVault: async (details) => {
          calls.push(details)
          return Buffer.from('signature').toString('base64')
        },
      },
      {
        keyId: 'ocid1.key.oc1..k',
        keyVersionId: 'ocid1.keyversion.oc1..v',
        cryptoEndpoint: 'https://v-crypto.kms.example',
        algorithm: 'SHA_256_RSA_PKCS_PSS',
      },
    )
    await signer.sign(Buffer.alloc(4096, 1))
    await signer.sign(Buffer.alloc(4097, 1))
    expect(calls.map((call) => call.messageType)).toEqual(['RAW', 'DIGEST'])
    expect(Buffer.from(calls[0].message, 'base64')).toHaveLength(4096)
    expect(Buffer.from(calls[1].message, 'base64')).toHaveLength(32)
  })
})
