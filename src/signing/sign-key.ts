/**
 * The signing inputs, checked once while the config is read: a key that is not a key, a wrong
 * password or a half-given Vault key is an InputError naming the input, before anything is pushed.
 *
 * `sign-key` takes a PEM EC P-256 private key (PKCS#8, SEC1 `EC PRIVATE KEY`, or encrypted PKCS#8)
 * or cosign's own format: PEM `ENCRYPTED SIGSTORE PRIVATE KEY` (older cosign: `ENCRYPTED COSIGN
 * PRIVATE KEY`) around JSON `{kdf: {name: scrypt, params: {N, r, p}, salt}, cipher: {name:
 * nacl/secretbox, nonce}, ciphertext}` (base64 byte fields), whose plaintext is the key's PKCS#8
 * DER; the secretbox key is scrypt(password, salt, N, r, p) of 32 bytes.
 */
import {createPrivateKey, scryptSync, type KeyObject} from 'node:crypto'
import nacl from 'tweetnacl'
import {InputError} from '../errors.js'
import {isLoopbackHost} from '../plan/registry-target.js'
import {OCIR_SIGNING_ALGORITHMS, type OcirSigningAlgorithm} from '../plan/ocir-signature-message.js'

type InputGetter = (name: string) => string
type SecretMasker = (secret: string) => void

/** cosign signatures with a key of our own. */
export interface CosignKeyConfig {
  /** The decrypted EC P-256 private key; never printed. */
  privateKey: KeyObject
}

/** OCIR-native signatures with an OCI Vault key. */
export interface KmsSigningConfig {
  keyId: string
  keyVersionId: string
  /** The vault's crypto endpoint, e.g. https://<vault>-crypto.kms.<region>.oraclecloud.com */
  cryptoEndpoint: string
  algorithm: OcirSigningAlgorithm
}

export interface SigningConfig {
  cosign?: CosignKeyConfig
  kms?: KmsSigningConfig
}

const REDACTED = '<redacted>'

/** What readSigning made of one run's inputs, by its input reader (steps/release-step's StepInputs). */
const readFrom = new WeakMap<object, SigningConfig | undefined>()

/**
 * readSigning, once per run: the signing and attestations steps both sign with these keys, and a
 * key in cosign's encrypted format costs an scrypt to open. Keyed by the inputs object readConfig
 * hands every step.
 */
export function signingOf(
  inputs: {get: InputGetter; mask: SecretMasker},
  hasOciCredentials: boolean,
): SigningConfig | undefined {
  if (!readFrom.has(inputs))
    readFrom.set(inputs, readSigning(inputs.get, inputs.mask, hasOciCredentials))
  return readFrom.get(inputs)
}

/** The signing part of the config; undefined when nothing is to be signed. */
export function readSigning(
  get: InputGetter,
  maskSecret: SecretMasker,
  hasOciCredentials: boolean,
): SigningConfig | undefined {
  const keyText = get('sign-key')
  const password = get('sign-key-password')
  if (keyText) maskKey(keyText, maskSecret)
  if (password) maskSecret(password)
  const cosign = keyText ? {privateKey: parseSignKey(keyText, password)} : undefined

  const keyId = get('sign-kms-key-id')
  const keyVersionId = get('sign-kms-key-version-id')
  const cryptoEndpoint = get('sign-kms-crypto-endpoint')
  const algorithm = get('sign-algorithm') || 'SHA_256_RSA_PKCS_PSS'
  if (!OCIR_SIGNING_ALGORITHMS.includes(algorithm as OcirSigningAlgorithm)) {
    throw new InputError(
      'sign-algorithm',
      algorithm,
      `OCIR signs with RSA-PSS: use one of ${OCIR_SIGNING_ALGORITHMS.join(', ')}`,
    )
  }
  let kms: KmsSigningConfig | undefined
  if (keyId || keyVersionId || cryptoEndpoint) {
    if (!/^ocid1\.key\./.test(keyId)) {
      throw new InputError(
        'sign-kms-key-id',
        keyId,
        'use the OCID of an RSA key in an OCI Vault (ocid1.key.oc1…, Vault → Master encryption keys)',
      )
    }
    if (!/^ocid1\.keyversion\./.test(keyVersionId)) {
      throw new InputError(
        'sign-kms-key-version-id',
        keyVersionId,
        'use the OCID of the key version to sign with (ocid1.keyversion.oc1…, on the key’s Versions tab)',
      )
    }
    if (!/^https?:\/\/[^/?#]+\/?$/.test(cryptoEndpoint)) {
      throw new InputError(
        'sign-kms-crypto-endpoint',
        cryptoEndpoint,
        "use the vault's cryptographic endpoint, e.g. https://<vault>-crypto.kms.us-ashburn-1.oraclecloud.com (Vault details)",
      )
    }
    // The signing requests are signed with the API key: plain HTTP only to this machine.
    if (
      cryptoEndpoint.startsWith('http://') &&
      !isLoopbackHost(URL.canParse(cryptoEndpoint) ? new URL(cryptoEndpoint).host : '')
    ) {
      throw new InputError(
        'sign-kms-crypto-endpoint',
        cryptoEndpoint,
        `use https (https://${cryptoEndpoint.slice('http://'.length).replace(/\/$/, '')}): the Vault's crypto endpoint is reached over http:// only on a loopback host (localhost, 127.0.0.1, ::1)`,
      )
    }
    if (!hasOciCredentials) {
      throw new InputError(
        'sign-kms-key-id',
        keyId,
        'signing with a Vault key needs OCI API credentials: set oci-user, oci-tenancy, oci-fingerprint, oci-private-key and oci-region (or the OCI_CLI_* variables)',
      )
    }
    kms = {
      keyId,
      keyVersionId,
      cryptoEndpoint: cryptoEndpoint.replace(/\/$/, ''),
      algorithm: algorithm as OcirSigningAlgorithm,
    }
  }
  return cosign || kms ? {cosign, kms} : undefined
}

/** The EC P-256 private key of `sign-key`; errors name the input and never show the key. */
export function parseSignKey(text: string, password: string): KeyObject {
  const unescaped = text.includes('\n') ? text : text.replace(/\\n/g, '\n')
  const block = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(unescaped)
  if (!block) {
    throw new InputError(
      'sign-key',
      REDACTED,
      unescaped.includes('PUBLIC KEY')
        ? 'it is a public key; give the private key (cosign.key), and keep cosign.pub for verifying'
        : 'it is not a PEM private key; give the whole key file, e.g. cosign.key from cosign generate-key-pair',
    )
  }
  const [, label, inner] = block
  const body = Buffer.from(inner.replace(/\s+/g, ''), 'base64')
  let key: KeyObject
  if (label === 'ENCRYPTED SIGSTORE PRIVATE KEY' || label === 'ENCRYPTED COSIGN PRIVATE KEY') {
    key = createPrivateKey({key: decryptCosignKey(body, password), format: 'der', type: 'pkcs8'})
  } else {
    const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:/.test(inner)
    if (encrypted && !password) {
      throw new InputError('sign-key-password', '', 'the key is encrypted: set sign-key-password')
    }
    const pem = /Proc-Type:/.test(inner)
      ? `${block[0].trim()}\n`
      : `-----BEGIN ${label}-----\n${(body.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`
    try {
      key = createPrivateKey({
        key: pem,
        format: 'pem',
        passphrase: encrypted ? password : undefined,
      })
    } catch {
      if (encrypted) {
        throw new InputError(
          'sign-key-password',
          REDACTED,
          'it does not decrypt sign-key; check the password of this key',
        )
      }
      throw new InputError(
        'sign-key',
        REDACTED,
        'the PEM block could not be read as a private key; paste the key file unchanged',
      )
    }
  }
  const curve = key.asymmetricKeyDetails?.namedCurve
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new InputError(
      'sign-key',
      REDACTED,
      `it is a ${key.asymmetricKeyType === 'ec' ? `EC ${curve ?? ''}` : (key.asymmetricKeyType ?? 'non-EC')} key; sign with an ECDSA P-256 key, as cosign generate-key-pair makes`,
    )
  }
  return key
}

interface CosignEnvelope {
  kdf?: {name?: string; params?: {N?: number; r?: number; p?: number}; salt?: string}
  cipher?: {name?: string; nonce?: string}
  ciphertext?: string
}

/** The PKCS#8 DER inside cosign's encrypted key. */
function decryptCosignKey(body: Buffer, password: string): Buffer {
  let envelope: CosignEnvelope
  try {
    envelope = JSON.parse(body.toString('utf8')) as CosignEnvelope
  } catch {
    throw new InputError(
      'sign-key',
      REDACTED,
      "its body is not cosign's encrypted key JSON; paste cosign.key unchanged",
    )
  }
  const {kdf, cipher} = envelope
  const N = kdf?.params?.N ?? 0
  const r = kdf?.params?.r ?? 0
  const p = kdf?.params?.p ?? 0
  if (
    kdf?.name !== 'scrypt' ||
    cipher?.name !== 'nacl/secretbox' ||
    !kdf.salt ||
    !cipher.nonce ||
    !envelope.ciphertext ||
    N < 2 ||
    (N & (N - 1)) !== 0 ||
    N > 1 << 20 ||
    r < 1 ||
    r > 32 ||
    p < 1 ||
    p > 16
  ) {
    throw new InputError(
      'sign-key',
      REDACTED,
      'only scrypt with nacl/secretbox is known (what cosign generate-key-pair writes); paste cosign.key unchanged',
    )
  }
  const nonce = Buffer.from(cipher.nonce, 'base64')
  if (nonce.length !== nacl.secretbox.nonceLength) {
    throw new InputError('sign-key', REDACTED, 'its secretbox nonce is not 24 bytes long')
  }
  const boxKey = scryptSync(password, Buffer.from(kdf.salt, 'base64'), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r + 1024 * 1024,
  })
  const opened = nacl.secretbox.open(
    new Uint8Array(Buffer.from(envelope.ciphertext, 'base64')),
    new Uint8Array(nonce),
    new Uint8Array(boxKey),
  )
  if (!opened) {
    throw new InputError(
      'sign-key-password',
      password ? REDACTED : '',
      password
        ? 'it does not decrypt sign-key; check the password (COSIGN_PASSWORD when the key was made)'
        : 'the key is encrypted: set sign-key-password (an empty password did not open it)',
    )
  }
  return Buffer.from(opened)
}

/** Logs are masked line by line: the key, and each line of its body. */
function maskKey(text: string, maskSecret: SecretMasker): void {
  maskSecret(text)
  for (const line of text.split(/\r?\n|\\n/)) {
    if (line.trim().length >= 8 && !line.includes('-----')) maskSecret(line.trim())
  }
}
