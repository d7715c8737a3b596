/** The signers of a real run, from the signing config: a cosign key, an OCI Vault key, or both. */
import {createArtifactsClient, createKmsCryptoClient} from '../adapters/oci-client.js'
import {OciImageSignatures} from '../adapters/oci-image-signatures.js'
import type {DigestSigner, OcirSignatureApi, RegistryClient} from '../ports.js'
import {ActionError} from '../errors.js'
import type {CoreConfig} from '../steps/release-step.js'
import {CosignSigner} from './cosign-signer.js'
import {OcirSigner} from './ocir-signer.js'
import type {KmsSigningConfig, SigningConfig} from './sign-key.js'

export async function connectSigners(
  signing: SigningConfig,
  config: CoreConfig,
  namespace: string,
  registry: RegistryClient,
): Promise<DigestSigner[]> {
  const signers: DigestSigner[] = []
  const {oci} = config
  if (signing.cosign) signers.push(new CosignSigner(registry, signing.cosign.privateKey))
  if (signing.kms && oci) {
    const region = oci.region?.id ?? config.registry.regionId
    if (!region) {
      throw new ActionError(
        'OCIR signatures name the region, and none is known',
        'set oci-region (or OCI_CLI_REGION)',
      )
    }
    const revision = config.github.sha ? `@${config.github.sha.slice(0, 12)}` : ''
    signers.push(
      new OcirSigner(await vaultSignatureApi(signing.kms, config), {
        kms: signing.kms,
        namespace,
        region,
        description: `Signed by ocir-push for ${config.github.repository || 'this repository'}${revision}`,
      }),
    )
  }
  return signers
}

/** OCIR's signature API and the Vault's Sign, with the run's OCI credentials. */
export async function vaultSignatureApi(
  kms: KmsSigningConfig,
  config: CoreConfig,
): Promise<OcirSignatureApi> {
  const {oci} = config
  if (!oci)
    throw new ActionError(
      'signing with a Vault key needs OCI API credentials, and none are configured',
      'set oci-user, oci-tenancy, oci-fingerprint, oci-private-key and oci-region',
    )
  const options = {apiKey: oci, retries: config.retries, retryBaseMs: config.retryBaseMs}
  const [artifacts, crypto] = await Promise.all([
    createArtifactsClient({...options, endpoint: config.ociEndpoint}),
    createKmsCryptoClient({...options, cryptoEndpoint: kms.cryptoEndpoint}),
  ])
  return new OciImageSignatures(artifacts, crypto)
}
