/**
 * The keys attestations are signed with: the same as the signatures'. `sign-key` signs the PAE
 * with ECDSA P-256 over SHA-256 (ASN.1 DER, as cosign does); the Vault key signs it through KMS
 * Sign with its RSA-PSS algorithm (the PAE itself up to KMS's 4096 bytes, its digest beyond).
 * Both configured: both sign, two signatures in one envelope.
 */
import {createHash, createPublicKey, sign, verify, type KeyObject} from 'node:crypto'
import type {OcirSignatureApi} from '../ports.js'
import type {KmsSigningConfig, SigningConfig} from '../signing/sign-key.js'
import type {EnvelopeSigner} from './dsse.js'

/** KMS Sign takes a RAW message of at most this many bytes; a longer one is signed by digest. */
const KMS_RAW_LIMIT = 4096

export function cosignKeySigner(privateKey: KeyObject): EnvelopeSigner {
  const publicKey = createPublicKey(privateKey)
  return {
    name: 'cosign key',
    sign: async (pae) => sign('sha256', pae, privateKey),
    verifies(pae, signature) {
      try {
        return verify('sha256', pae, publicKey, signature)
      } catch {
        return false
      }
    },
  }
}

export function vaultKeySigner(
  api: Pick<OcirSignatureApi, 'signWithVault'>,
  kms: KmsSigningConfig,
): EnvelopeSigner {
  const hash = /^SHA_(\d+)_/.exec(kms.algorithm)?.[1] ?? '256'
  return {
    name: `Vault key ${kms.keyVersionId}`,
    async sign(pae) {
      const raw = pae.length <= KMS_RAW_LIMIT
      const message = raw ? pae : createHash(`sha${hash}`).update(pae).digest()
      const signature = await api.signWithVault({
        message: message.toString('base64'),
        keyId: kms.keyId,
        keyVersionId: kms.keyVersionId,
        algorithm: kms.algorithm,
        messageType: raw ? 'RAW' : 'DIGEST',
      })
      return Buffer.from(signature, 'base64')
    },
    verifies: () => undefined,
  }
}

/** The run's envelope signers, in a fixed order (cosign key, then Vault key); [] when unsigned. */
export async function envelopeSigners(
  signing: SigningConfig | undefined,
  vault: (kms: KmsSigningConfig) => Promise<Pick<OcirSignatureApi, 'signWithVault'>>,
): Promise<EnvelopeSigner[]> {
  const signers: EnvelopeSigner[] = []
  if (signing?.cosign) signers.push(cosignKeySigner(signing.cosign.privateKey))
  if (signing?.kms) signers.push(vaultKeySigner(await vault(signing.kms), signing.kms))
  return signers
}
