import {createPrivateKey, generateKeyPairSync} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import {parseOciApiKey, type OciKeyInputs} from '../../src/config/oci-key.js'
import {InputError} from '../../src/errors.js'
import {makeApiKey, makeOcid} from '../fixtures/oci-double.js'

const key = makeApiKey()
const encryptedPkcs8 = makeApiKey({passphrase: 'correct horse'})
const encryptedPkcs1 = makeApiKey({passphrase: 'battery staple', pkcs1: true})
const good: OciKeyInputs = {
  user: makeOcid('user'),
  tenancy: makeOcid('tenancy'),
  fingerprint: key.fingerprint,
  privateKey: key.privateKeyPem,
  region: 'us-ashburn-1',
}
const ecKeyPem = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  .privateKey.export({type: 'pkcs8', format: 'pem'})
  .toString()
const publicKeyPem = key.publicKey.export({type: 'spki', format: 'pem'}).toString()

describe('parseOciApiKey', () => {
  test.each([
    {why: 'a PKCS#8 key as OCI generates it', change: {}},
    {
      why: 'a PKCS#1 key (openssl genrsa, OpenSSL 1.x)',
      change: {
        privateKey: createPrivateKey(key.privateKeyPem)
          .export({type: 'pkcs1', format: 'pem'})
          .toString(),
      },
    },
    {
      why: 'the OCI_API_KEY line the console appends to downloaded keys',
      change: {privateKey: `${key.privateKeyPem}OCI_API_KEY\n`},
    },
    {
      why: 'newlines stored as \\n by a secret store',
      change: {privateKey: key.privateKeyPem.replace(/\n/g, '\\n')},
    },
    {
      why: 'newlines flattened to spaces',
      change: {privateKey: key.privateKeyPem.replace(/\n/g, ' ')},
    },
    {why: 'Windows line ends', change: {privateKey: key.privateKeyPem.replace(/\n/g, '\r\n')}},
    {
      why: 'an encrypted PKCS#8 key with its passphrase',
      change: {
        privateKey: encryptedPkcs8.privateKeyPem,
        fingerprint: encryptedPkcs8.fingerprint,
        passphrase: 'correct horse',
      },
    },
    {
      why: 'an encrypted PKCS#1 key with its passphrase',
      change: {
        privateKey: encryptedPkcs1.privateKeyPem,
        fingerprint: encryptedPkcs1.fingerprint,
        passphrase: 'battery staple',
      },
    },
    {why: 'an upper-case fingerprint', change: {fingerprint: key.fingerprint.toUpperCase()}},
    {why: 'a region key instead of the id', change: {region: 'IAD'}},
  ])('accepts $why', ({change}) => {
    const apiKey = parseOciApiKey({...good, ...change})
    expect(apiKey.region?.id).toBe('us-ashburn-1')
    expect(apiKey.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/)
    expect(apiKey.fingerprint).toBe((change.fingerprint ?? good.fingerprint).toLowerCase())
  })

  test('the region may be left out when an endpoint is given', () => {
    expect(parseOciApiKey({...good, region: ''}, {regionRequired: false}).region).toBeUndefined()
  })

  test.each([
    {why: 'missing user', change: {user: ''}, input: 'oci-user', hint: /OCI_CLI_USER/},
    {why: 'missing tenancy', change: {tenancy: ' '}, input: 'oci-tenancy', hint: /OCI_CLI_TENANCY/},
    {
      why: 'missing fingerprint',
      change: {fingerprint: ''},
      input: 'oci-fingerprint',
      hint: /OCI_CLI_FINGERPRINT/,
    },
    {
      why: 'missing key',
      change: {privateKey: ''},
      input: 'oci-private-key',
      hint: /OCI_CLI_KEY_CONTENT/,
    },
    {why: 'missing region', change: {region: ''}, input: 'oci-region', hint: /OCI_CLI_REGION/},
    {
      why: 'an unknown region',
      change: {region: 'us-ashburn-9'},
      input: 'oci-region',
      hint: /us-ashburn-1/,
    },
    {
      why: 'a user name instead of the user OCID',
      change: {user: 'jdoe@acme.com'},
      input: 'oci-user',
      hint: /user OCID/,
    },
    {
      why: 'user and tenancy swapped',
      change: {user: good.tenancy, tenancy: good.user},
      input: 'oci-user',
      hint: /tenancy OCID/,
    },
    {
      why: 'a tenancy that is a user OCID',
      change: {tenancy: good.user},
      input: 'oci-tenancy',
      hint: /user OCID/,
    },
    {
      why: 'a malformed fingerprint',
      change: {fingerprint: 'ab:cd'},
      input: 'oci-fingerprint',
      hint: /16 hex pairs/,
    },
    {
      why: 'the fingerprint of another key',
      change: {fingerprint: makeApiKey().fingerprint},
      input: 'oci-fingerprint',
      hint: new RegExp(`fingerprint ${key.fingerprint}`),
    },
    {
      why: 'not a PEM at all',
      change: {privateKey: 'hunter2'},
      input: 'oci-private-key',
      hint: /not a PEM private key/,
    },
    {
      why: 'a file path instead of the content',
      change: {privateKey: '~/.oci/oci_api_key.pem'},
      input: 'oci-private-key',
      hint: /file path/,
    },
    {
      why: 'the public key',
      change: {privateKey: publicKeyPem},
      input: 'oci-private-key',
      hint: /public key/,
    },
    {
      why: 'a PEM block with a broken body',
      change: {privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'},
      input: 'oci-private-key',
      hint: /could not be read/,
    },
    {why: 'an EC key', change: {privateKey: ecKeyPem}, input: 'oci-private-key', hint: /RSA/},
    {
      why: 'an encrypted key without passphrase',
      change: {privateKey: encryptedPkcs8.privateKeyPem, fingerprint: encryptedPkcs8.fingerprint},
      input: 'oci-private-key-passphrase',
      hint: /encrypted/,
    },
    {
      why: 'an encrypted key with the wrong passphrase',
      change: {
        privateKey: encryptedPkcs8.privateKeyPem,
        fingerprint: encryptedPkcs8.fingerprint,
        passphrase: 'wrong',
      },
      input: 'oci-private-key-passphrase',
      hint: /does not decrypt/,
    },
    {
      why: 'an encrypted PKCS#1 key with the wrong passphrase',
      change: {
        privateKey: encryptedPkcs1.privateKeyPem,
        fingerprint: encryptedPkcs1.fingerprint,
        passphrase: 'wrong',
      },
      input: 'oci-private-key-passphrase',
      hint: /does not decrypt/,
    },
  ])('rejects $why as an InputError on $input', ({change, input, hint}) => {
    const credentials = {...good, ...change}
    expect(() => parseOciApiKey(credentials)).toThrow(InputError)
    try {
      parseOciApiKey(credentials)
    } catch (err) {
      const error = err as InputError
      expect(error.input).toBe(input)
      expect(error.hint).toMatch(hint)
      // The key and the passphrase never show up in an error.
      const text = `${error.message} ${error.hint}`
      expect(text).not.toContain('MII')
      if (credentials.passphrase) expect(text).not.toContain(credentials.passphrase)
    }
  })
})
