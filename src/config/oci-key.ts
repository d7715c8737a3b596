/**
 * The OCI API key (the `oci-*` inputs or the `OCI_CLI_*` variables), checked and parsed once,
 * while the config is read: a mistake is an InputError naming the input, not a 401 from OCI.
 */
import {createHash, createPrivateKey, createPublicKey, type KeyObject} from 'node:crypto'
import {InputError} from '../errors.js'
import type {OciApiKey} from '../model/oci.js'
import {resolveRegion} from '../plan/region.js'

/** The API key as given: the `oci-*` inputs, or the `OCI_CLI_*` variables they fall back to. */
export interface OciKeyInputs {
  user: string
  tenancy: string
  fingerprint: string
  privateKey: string
  passphrase?: string
  region: string
}

/**
 * Checks every piece of the API key before any request, so a mistake is an InputError naming the
 * input instead of a 401 from OCI. Also decrypts the key (node:crypto reads every PEM flavour:
 * PKCS#1, PKCS#8, encrypted PKCS#8 as OpenSSL 3 writes it) so the SDK never needs the passphrase.
 */
export function parseOciApiKey(
  credentials: OciKeyInputs,
  options: {regionRequired?: boolean} = {},
): OciApiKey {
  const user = required(credentials.user, 'oci-user', 'OCI_CLI_USER', 'the user OCID')
  const tenancy = required(
    credentials.tenancy,
    'oci-tenancy',
    'OCI_CLI_TENANCY',
    'the tenancy OCID',
  )
  const fingerprint = required(
    credentials.fingerprint,
    'oci-fingerprint',
    'OCI_CLI_FINGERPRINT',
    'the fingerprint of the API key',
  ).toLowerCase()
  const pem = required(
    credentials.privateKey,
    'oci-private-key',
    'OCI_CLI_KEY_CONTENT',
    'the PEM private key of the API key',
    '<redacted>',
  )
  if (!user.startsWith('ocid1.user.')) {
    throw new InputError(
      'oci-user',
      user,
      'use the user OCID (ocid1.user.oc1..…, Console → Profile → User settings), not the user name' +
        (user.startsWith('ocid1.tenancy.') ? '; this looks like the tenancy OCID' : ''),
    )
  }
  if (!tenancy.startsWith('ocid1.tenancy.')) {
    throw new InputError(
      'oci-tenancy',
      tenancy,
      'use the tenancy OCID (ocid1.tenancy.oc1..…, Console → Tenancy details)' +
        (tenancy.startsWith('ocid1.user.') ? '; this looks like the user OCID' : ''),
    )
  }
  if (!/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/.test(fingerprint)) {
    throw new InputError(
      'oci-fingerprint',
      fingerprint,
      'use the fingerprint shown next to the API key in the console, 16 hex pairs like 12:34:…:ef',
    )
  }
  const key = readPrivateKey(pem, credentials.passphrase)
  const keyFingerprint = publicKeyFingerprint(key)
  if (keyFingerprint !== fingerprint) {
    throw new InputError(
      'oci-fingerprint',
      fingerprint,
      `the private key in oci-private-key has the fingerprint ${keyFingerprint}; ` +
        'use the fingerprint and the key of the same API key',
    )
  }
  const regionInput = credentials.region?.trim() ?? ''
  if (!regionInput && options.regionRequired !== false) {
    throw new InputError(
      'oci-region',
      '',
      'set the oci-region input or the OCI_CLI_REGION environment variable (e.g. us-ashburn-1), ' +
        'or oci-endpoint',
    )
  }
  return {
    tenancy,
    user,
    fingerprint,
    privateKeyPem: key.export({type: 'pkcs1', format: 'pem'}).toString(),
    region: regionInput ? resolveRegion(regionInput, 'oci-region') : undefined,
  }
}

/** The MD5 fingerprint OCI shows for an API key: of the DER public key, as colon-separated hex. */
export function publicKeyFingerprint(key: KeyObject): string {
  const der = createPublicKey(key).export({type: 'spki', format: 'der'})
  return (createHash('md5').update(der).digest('hex').match(/../g) ?? []).join(':')
}

function required(
  value: string | undefined,
  input: string,
  envName: string,
  what: string,
  shown?: string,
): string {
  const trimmed = value?.trim() ?? ''
  if (!trimmed) {
    throw new InputError(
      input,
      shown ?? '',
      `set the ${input} input or the ${envName} environment variable to ${what}`,
    )
  }
  return trimmed
}

/** Parses the PEM private key; errors name the input without ever showing the key. */
function readPrivateKey(text: string, passphrase: string | undefined): KeyObject {
  const pem = normalisePem(text)
  if (!pem) {
    const looksLikePath = !text.includes('\n') && /^(~|\.|\/|[A-Za-z]:\\)/.test(text.trim())
    throw new InputError(
      'oci-private-key',
      '<redacted>',
      text.includes('PUBLIC KEY')
        ? 'it is a public key; give the private key of the API key'
        : looksLikePath
          ? 'it looks like a file path; give the content of the key file (-----BEGIN PRIVATE KEY----- …)'
          : 'it is not a PEM private key; give the whole key file, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----',
    )
  }
  const encrypted = /ENCRYPTED/.test(pem)
  if (encrypted && !passphrase) {
    throw new InputError(
      'oci-private-key-passphrase',
      '',
      'the private key is encrypted: set oci-private-key-passphrase or OCI_CLI_PASSPHRASE',
    )
  }
  let key: KeyObject
  try {
    key = createPrivateKey({
      key: pem,
      format: 'pem',
      passphrase: encrypted ? passphrase : undefined,
    })
  } catch {
    if (encrypted) {
      throw new InputError(
        'oci-private-key-passphrase',
        '<redacted>',
        'it does not decrypt the private key; check the passphrase of this key',
      )
    }
    throw new InputError(
      'oci-private-key',
      '<redacted>',
      'the PEM block could not be read as a private key; paste the key file unchanged',
    )
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InputError(
      'oci-private-key',
      '<redacted>',
      `it is a ${key.asymmetricKeyType ?? 'non-RSA'} key; OCI API keys are RSA keys`,
    )
  }
  return key
}

/**
 * The PEM block of the text, or undefined. Repairs what secret stores do to keys: `\n` written as
 * two characters, line breaks turned into spaces, and the `OCI_API_KEY` line the console appends.
 */
function normalisePem(text: string): string | undefined {
  const unescaped = text.includes('\n') ? text : text.replace(/\\n/g, '\n')
  const block = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(unescaped)
  if (!block) return undefined
  const [, label, inner] = block
  // An encrypted PKCS#1 key has `Proc-Type:`/`DEK-Info:` header lines that must stay lines.
  if (/Proc-Type:/.test(inner)) return `${block[0].trim()}\n`
  const body = inner.replace(/\s+/g, '')
  const lines = body.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
