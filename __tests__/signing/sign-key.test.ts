import {createPublicKey, generateKeyPairSync, sign, verify} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import {parseSignKey, readSigning} from '../../src/signing/sign-key.js'
import {cosignEncryptedKey, makeSigningKey} from '../fixtures/cosign-check.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

const key = makeSigningKey()
const sameKey = (parsed: ReturnType<typeof parseSignKey>): boolean =>
  verify('sha256', Buffer.from('x'), key.publicKey, sign('sha256', Buffer.from('x'), parsed))

describe('sign-key: the forms accepted', () => {
  test.each([
    {why: 'plain PKCS#8 PEM', text: key.pkcs8Pem, password: ''},
    {
      why: 'SEC1 EC PRIVATE KEY PEM',
      text: key.privateKey.export({type: 'sec1', format: 'pem'}).toString(),
      password: '',
    },
    {
      why: 'encrypted PKCS#8 with its password',
      text: key.privateKey
        .export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw1'})
        .toString(),
      password: 'pw1',
    },
    {
      why: 'PEM with \\n written as two characters',
      text: key.pkcs8Pem.replace(/\n/g, '\\n'),
      password: '',
    },
    {
      why: "cosign's encrypted key",
      text: cosignEncryptedKey(key.privateKey, 'hunter22'),
      password: 'hunter22',
    },
    {
      why: "cosign's encrypted key made with an empty password",
      text: cosignEncryptedKey(key.privateKey, ''),
      password: '',
    },
    {
      why: "an older cosign's ENCRYPTED COSIGN PRIVATE KEY",
      text: cosignEncryptedKey(key.privateKey, 'pw', 'ENCRYPTED COSIGN PRIVATE KEY'),
      password: 'pw',
    },
  ])('$why', ({text, password}) => {
    expect(sameKey(parseSignKey(text, password))).toBe(true)
  })
})

describe('sign-key: what is refused, naming the input and never the key', () => {
  const rsa = generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey
  const p384 = generateKeyPairSync('ec', {namedCurve: 'P-384'}).privateKey
  test.each([
    {
      why: 'not a key',
      text: 'this is not a key',
      password: '',
      input: 'sign-key',
      message: /not a PEM private key/,
    },
    {
      why: 'a public key',
      text: createPublicKey(key.privateKey).export({type: 'spki', format: 'pem'}).toString(),
      password: '',
      input: 'sign-key',
      message: /public key/,
    },
    {
      why: 'an RSA key',
      text: rsa.export({type: 'pkcs8', format: 'pem'}).toString(),
      password: '',
      input: 'sign-key',
      message: /rsa key; sign with an ECDSA P-256 key/,
    },
    {
      why: 'a P-384 key',
      text: p384.export({type: 'pkcs8', format: 'pem'}).toString(),
      password: '',
      input: 'sign-key',
      message: /EC secp384r1 key/,
    },
    {
      why: "cosign's key with a wrong password",
      text: cosignEncryptedKey(key.privateKey, 'right'),
      password: 'wrong',
      input: 'sign-key-password',
      message: /does not decrypt sign-key/,
    },
    {
      why: "cosign's key without its password",
      text: cosignEncryptedKey(key.privateKey, 'right'),
      password: '',
      input: 'sign-key-password',
      message: /set sign-key-password/,
    },
    {
      why: 'encrypted PKCS#8 without a password',
      text: key.privateKey
        .export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw1'})
        .toString(),
      password: '',
      input: 'sign-key-password',
      message: /encrypted: set sign-key-password/,
    },
    {
      why: "a cosign key whose body is not cosign's JSON",
      text: '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nbm90IGpzb24=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----',
      password: 'x',
      input: 'sign-key',
      message: /not cosign's encrypted key JSON/,
    },
  ])('$why', ({text, password, input, message}) => {
    expectInputError(() => parseSignKey(text, password), input, message)
    try {
      parseSignKey(text, password)
    } catch (err) {
      if (text.length > 80) expect(String((err as Error).message)).not.toContain(text.slice(40, 80))
    }
  })
})

describe('readSigning', () => {
  const kms = {
    'sign-kms-key-id': 'ocid1.key.oc1.iad.vault.aaaa',
    'sign-kms-key-version-id': 'ocid1.keyversion.oc1.iad.0.vault.bbbb',
    'sign-kms-crypto-endpoint': 'https://vault-crypto.kms.us-ashburn-1.oraclecloud.com/',
  }
  const read = (given: Record<string, string>, oci = true) => {
    const masked: string[] = []
    const signing = readSigning(
      (name) => given[name] ?? '',
      (s) => masked.push(s),
      oci,
    )
    return {signing, masked}
  }

  test('nothing to sign without the inputs', () => {
    expect(read({}).signing).toBeUndefined()
  })

  test('the key and the password are masked, each body line too', () => {
    const text = cosignEncryptedKey(key.privateKey, 'pw-secret')
    const {signing, masked} = read({'sign-key': text, 'sign-key-password': 'pw-secret'})
    expect(signing?.cosign?.privateKey.asymmetricKeyType).toBe('ec')
    expect(masked).toContain(text)
    expect(masked).toContain('pw-secret')
    for (const line of text.split('\n').filter((l) => l && !l.includes('-----')))
      expect(masked).toContain(line)
  })

  test('the Vault key, with the default algorithm and the endpoint without its slash', () => {
    expect(read(kms).signing?.kms).toEqual({
      keyId: kms['sign-kms-key-id'],
      keyVersionId: kms['sign-kms-key-version-id'],
      cryptoEndpoint: 'https://vault-crypto.kms.us-ashburn-1.oraclecloud.com',
      algorithm: 'SHA_256_RSA_PKCS_PSS',
    })
  })

  test.each([
    {
      why: 'an algorithm OCIR does not take',
      given: {...kms, 'sign-algorithm': 'SHA_256_RSA_PKCS1_V1_5'},
      input: 'sign-algorithm',
      message: /RSA-PSS/,
    },
    {
      why: 'a key version without the key',
      given: {'sign-kms-key-version-id': kms['sign-kms-key-version-id']},
      input: 'sign-kms-key-id',
      message: /OCID of an RSA key/,
    },
    {
      why: 'the key OCID as the version',
      given: {...kms, 'sign-kms-key-version-id': kms['sign-kms-key-id']},
      input: 'sign-kms-key-version-id',
      message: /key version/,
    },
    {
      why: 'no crypto endpoint',
      given: {...kms, 'sign-kms-crypto-endpoint': ''},
      input: 'sign-kms-crypto-endpoint',
      message: /cryptographic endpoint/,
    },
    {
      why: 'an endpoint with a path',
      given: {...kms, 'sign-kms-crypto-endpoint': 'https://x/20180608'},
      input: 'sign-kms-crypto-endpoint',
      message: /cryptographic endpoint/,
    },
    {
      why: 'an http:// endpoint on a host that is not loopback',
      given: {
        ...kms,
        'sign-kms-crypto-endpoint': 'http://vault-crypto.kms.us-ashburn-1.oraclecloud.com',
      },
      input: 'sign-kms-crypto-endpoint',
      message:
        /'http:\/\/vault-crypto\.kms\.us-ashburn-1\.oraclecloud\.com'.*use https \(https:\/\/vault-crypto\.kms\.us-ashburn-1\.oraclecloud\.com\)/,
    },
  ])('$why', ({given, input, message}) => {
    expectInputError(() => read(given), input, message)
  })

  test.each(['http://127.0.0.1:8443', 'http://localhost:8443/', 'http://[::1]:8443'])(
    'an http:// endpoint on a loopback host (%s) is taken',
    (endpoint) => {
      expect(
        read({...kms, 'sign-kms-crypto-endpoint': endpoint}).signing?.kms?.cryptoEndpoint,
      ).toBe(endpoint.replace(/\/$/, ''))
    },
  )

  test('a Vault key without OCI API credentials', () => {
    expectInputError(() => read(kms, false), 'sign-kms-key-id', /needs OCI API credentials/)
  })
})
