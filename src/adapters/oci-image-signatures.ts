/**
 * OCIR image signatures through the OCI SDK: LookupContainerImageByUri,
 * ListContainerImageSignatures (by image and key version, every page), CreateContainerImageSignature
 * (Artifacts), and Sign on the vault's crypto endpoint (Key Management). The KMS answer (the
 * signature) is passed on, never logged.
 */
import type {ArtifactsClient} from 'oci-artifacts'
import type {KmsCryptoClient} from 'oci-keymanagement'
import type {OcirImage, OcirSignatureApi} from '../ports.js'
import {wrapOciError} from './oci-client.js'

export class OciImageSignatures implements OcirSignatureApi {
  constructor(
    private readonly artifacts: ArtifactsClient,
    private readonly crypto: KmsCryptoClient,
  ) {}

  async lookupImage(imageUri: string): Promise<OcirImage> {
    try {
      const response = await this.artifacts.lookupContainerImageByUri({
        lookupContainerImageByUriDetails: {imageUri},
      })
      const image = response.containerImage
      return {
        id: image.id,
        compartmentId: image.compartmentId,
        digest: image.digest,
        repositoryName: image.repositoryName,
      }
    } catch (err) {
      throw wrapOciError(`LookupContainerImageByUri ${imageUri}`, err)
    }
  }

  async findSignature(image: OcirImage, kmsKeyVersionId: string): Promise<string | undefined> {
    let page: string | undefined
    try {
      do {
        const response = await this.artifacts.listContainerImageSignatures({
          compartmentId: image.compartmentId,
          imageId: image.id,
          kmsKeyVersionId,
          page,
        })
        const found = response.containerImageSignatureCollection.items.find(
          (item) => item.kmsKeyVersionId === kmsKeyVersionId && item.imageId === image.id,
        )
        if (found) return found.id
        page = response.opcNextPage
      } while (page)
    } catch (err) {
      throw wrapOciError(`ListContainerImageSignatures ${image.id}`, err)
    }
    return undefined
  }

  async createSignature(
    details: Parameters<OcirSignatureApi['createSignature']>[0],
  ): Promise<string> {
    try {
      const response = await this.artifacts.createContainerImageSignature({
        createContainerImageSignatureDetails: {
          ...details,
          signingAlgorithm:
            details.signingAlgorithm as never /* one of OCIR's four, checked in config */,
        },
      })
      return response.containerImageSignature.id
    } catch (err) {
      throw wrapOciError(`CreateContainerImageSignature ${details.imageId}`, err)
    }
  }

  async signWithVault(details: {
    message: string
    keyId: string
    keyVersionId: string
    algorithm: string
    messageType?: 'RAW' | 'DIGEST'
  }): Promise<string> {
    try {
      const response = await this.crypto.sign({
        signDataDetails: {
          message: details.message,
          keyId: details.keyId,
          keyVersionId: details.keyVersionId,
          signingAlgorithm: details.algorithm as never /* checked in config */,
          messageType: (details.messageType ?? 'RAW') as never,
        },
      })
      return response.signedData.signature
    } catch (err) {
      throw wrapOciError(
        `KMS Sign with ${details.keyVersionId}`,
        err,
        'check the key OCIDs, that the key is an RSA key of this vault, sign-kms-crypto-endpoint, and a policy such as "Allow group <group> to use keys in compartment <c>"',
      )
    }
  }
}
