/**
 * cosign signatures with a key of our own: the simple signing payload of each digest, signed with
 * ECDSA P-256 over SHA-256 (ASN.1 DER, base64), stored as a layer of the `sha256-<hex>.sig`
 * manifest in the image's repository. A signature is added to an existing `.sig` manifest, never
 * put in its place; a digest this key already signed is left as it is.
 */
import {createPublicKey, sign, verify, type KeyObject} from 'node:crypto'
import type {DigestSigner, LogSink, RegistryClient, SignTarget} from '../ports.js'
import {contentDigest} from '../model/digest.js'
import {
  cosignPayload,
  layerSignature,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureLayers,
  signatureTag,
  type SignatureLayer,
} from '../plan/cosign-payload.js'
import {putSignatureManifest} from './signature-manifest.js'

export class CosignSigner implements DigestSigner {
  readonly kind = 'cosign'
  private readonly publicKey: KeyObject

  constructor(
    private readonly registry: Pick<RegistryClient, 'getManifest' | 'putManifest' | 'putBlob'>,
    private readonly privateKey: KeyObject,
  ) {
    this.publicKey = createPublicKey(privateKey)
  }

  async sign(target: SignTarget, log: LogSink): Promise<string> {
    const {repository, imageName, digest} = target
    const payload = cosignPayload(imageName, digest)
    const payloadDigest = contentDigest(payload)
    const tag = signatureTag(digest)
    const where = `${imageName}:${tag}`
    const existing = await this.registry.getManifest({repository, reference: tag})
    const layers = signatureLayers(existing?.body.toString('utf8'))
    if (layers.some((layer) => layer.digest === payloadDigest && this.signedByUs(layer, payload))) {
      log(`${imageName}@${digest}: already signed with this key (${where})`)
      return where
    }
    const layer: SignatureLayer = {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      size: payload.length,
      digest: payloadDigest,
      annotations: {
        [SIGNATURE_ANNOTATION]: sign('sha256', payload, this.privateKey).toString('base64'),
      },
    }
    await this.registry.putBlob(repository, payload)
    await putSignatureManifest(this.registry, repository, tag, [...layers, layer])
    log(`${imageName}@${digest}: cosign signature stored at ${where}`)
    return where
  }

  /** A `.sig` layer for this digest's payload whose signature verifies with our key. */
  async signed({repository, imageName, digest}: SignTarget): Promise<boolean> {
    const payload = cosignPayload(imageName, digest)
    const payloadDigest = contentDigest(payload)
    const existing = await this.registry.getManifest({repository, reference: signatureTag(digest)})
    return signatureLayers(existing?.body.toString('utf8')).some(
      (layer) => layer.digest === payloadDigest && this.signedByUs(layer, payload),
    )
  }

  private signedByUs(layer: SignatureLayer, payload: Buffer): boolean {
    const signature = layerSignature(layer)
    if (!signature) return false
    try {
      return verify('sha256', payload, this.publicKey, Buffer.from(signature, 'base64'))
    } catch {
      return false
    }
  }
}
