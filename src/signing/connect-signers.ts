/** The signers of a real run, from the signing config: a cosign key, an OCI Vault key, or both. */
import {createArtifactsClient, createKmsCryptoClient} from '../adapters/oci-client.js'
import {OciImageSignatures} from '../adapters/oci-image-signatures.js'
import type {DigestSigner, RegistryClient} from '../ports.js'
import {ActionError} from '../errors.js'
import type {CoreConfig} from '../steps/release-step.js'
import {CosignSigner} from './cosign-signer.js'
import {OcirSigner} from './ocir-signer.js'
import type {SigningConfig} from './sign-key.js'

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
    const options = {apiKey: oci, retries: config.retries, retryBaseMs: config.retryBaseMs}
    const [artifacts, crypto] = await Promise.all([
      createArtifactsClient({...options, endpoint: config.ociEndpoint}),
      createKmsCryptoClient({...options, cryptoEndpoint: signing.kms.cryptoEndpoint}),
    ])
    const revision = config.github.sha ? `@${config.github.sha.slice(0, 12)}` : ''
    signers.push(
      new OcirSigner(new OciImageSignatures(artifacts, crypto), {
        kms: signing.kms,
        namespace,
        region,
        description: `Signed by ocir-push for ${config.github.repository || 'this repository'}${revision}`,
      }),
    )
  }
  return signers
}
