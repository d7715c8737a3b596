/**
 * OCIR-native signatures with an OCI Vault key: for each digest, the image's OCID
 * (LookupContainerImageByUri), OCIR's signature message, a KMS Sign of it, and
 * CreateContainerImageSignature. A signature by the same key version is success, not an error:
 * a re-run signs nothing twice.
 */
import type {DigestSigner, LogSink, OcirImage, OcirSignatureApi, SignTarget} from '../ports.js'
import type {KmsSigningConfig} from './sign-key.js'
import {ocirImageUri, ocirSignatureMessage} from '../plan/ocir-signature-message.js'

export interface OcirSignerSettings {
  kms: KmsSigningConfig
  /** The tenancy namespace the repositories live under. */
  namespace: string
  /** Region id, part of the signed message. */
  region: string
  /** Shown in the Console next to the signature. */
  description: string
}

export class OcirSigner implements DigestSigner {
  readonly kind = 'ocir'

  constructor(
    private readonly api: OcirSignatureApi,
    private readonly settings: OcirSignerSettings,
  ) {}

  /** Whether OCIR holds a signature of this digest by our Vault key version. */
  async signed(target: SignTarget): Promise<boolean> {
    const image = await this.lookup(target)
    return (await this.api.findSignature(image, this.settings.kms.keyVersionId)) !== undefined
  }

  private lookup(target: SignTarget): Promise<OcirImage> {
    const {namespace} = this.settings
    const prefix = `${namespace}/`
    const repositoryName = target.repository.startsWith(prefix)
      ? target.repository.slice(prefix.length)
      : target.repository
    return this.api.lookupImage(ocirImageUri(namespace, repositoryName, target.digest))
  }

  async sign(target: SignTarget, log: LogSink): Promise<string> {
    const {kms, region, description} = this.settings
    const image = await this.lookup(target)
    const existing = await this.api.findSignature(image, kms.keyVersionId)
    if (existing) {
      log(
        `${target.imageName}@${target.digest}: already signed with this key version (${existing})`,
      )
      return existing
    }
    const message = ocirSignatureMessage({
      description,
      imageDigest: image.digest,
      kmsKeyId: kms.keyId,
      kmsKeyVersionId: kms.keyVersionId,
      metadata: '',
      region,
      repositoryName: image.repositoryName,
      signingAlgorithm: kms.algorithm,
    })
    const signature = await this.api.signWithVault({
      message,
      keyId: kms.keyId,
      keyVersionId: kms.keyVersionId,
      algorithm: kms.algorithm,
    })
    let id: string
    try {
      id = await this.api.createSignature({
        compartmentId: image.compartmentId,
        imageId: image.id,
        kmsKeyId: kms.keyId,
        kmsKeyVersionId: kms.keyVersionId,
        signingAlgorithm: kms.algorithm,
        message,
        signature,
      })
    } catch (err) {
      // Another run signed it meanwhile: theirs counts.
      const raced =
        (err as {statusCode?: unknown}).statusCode === 409
          ? await this.api.findSignature(image, kms.keyVersionId)
          : undefined
      if (!raced) throw err
      id = raced
    }
    log(`${target.imageName}@${target.digest}: OCIR signature ${id}`)
    return id
  }
}
