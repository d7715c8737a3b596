/**
 * The last part of storing a cosign signature or attestation: the image config of the `.sig` or
 * `.att` manifest, then the manifest itself under its tag, once the layers' blobs are stored.
 */
import type {RegistryClient} from '../ports.js'
import {
  OCI_MANIFEST_MEDIA_TYPE,
  signatureConfig,
  signatureManifest,
  type SignatureLayer,
} from '../plan/cosign-payload.js'

/** Stores the config of these layers and the manifest that lists them at `repository:tag`. */
export async function putSignatureManifest(
  registry: Pick<RegistryClient, 'putBlob' | 'putManifest'>,
  repository: string,
  tag: string,
  layers: readonly SignatureLayer[],
): Promise<void> {
  const config = signatureConfig(layers)
  const configDigest = await registry.putBlob(repository, config)
  await registry.putManifest(
    repository,
    tag,
    signatureManifest(layers, {size: config.length, digest: configDigest}),
    OCI_MANIFEST_MEDIA_TYPE,
  )
}
