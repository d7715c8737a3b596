/**
 * The message OCIR image signatures sign: JSON with the image digest, repository name, key ids,
 * algorithm, region, description and metadata, base64-encoded. The same fields in the same order
 * as Oracle's SDK examples (container image signing) and the OCI CLI's `image-signature
 * sign-upload` build it, so the Console and `get-verify` read ours as theirs.
 */

/** OCIR's signing algorithms: RSA-PSS only (an RSA key of an OCI Vault). */
export const OCIR_SIGNING_ALGORITHMS = [
  'SHA_224_RSA_PKCS_PSS',
  'SHA_256_RSA_PKCS_PSS',
  'SHA_384_RSA_PKCS_PSS',
  'SHA_512_RSA_PKCS_PSS',
] as const
export type OcirSigningAlgorithm = (typeof OCIR_SIGNING_ALGORITHMS)[number]

export interface OcirSignatureFields {
  description: string
  imageDigest: string
  kmsKeyId: string
  kmsKeyVersionId: string
  /** Free JSON text (may be ''). */
  metadata: string
  /** Region id, e.g. `us-ashburn-1`. */
  region: string
  /** Repository name without the namespace, as OCIR reports it. */
  repositoryName: string
  signingAlgorithm: OcirSigningAlgorithm
}

/** The base64 message: what KMS signs (as RAW bytes after base64) and OCIR stores. */
export function ocirSignatureMessage(fields: OcirSignatureFields): string {
  const ordered = {
    description: fields.description,
    imageDigest: fields.imageDigest,
    kmsKeyId: fields.kmsKeyId,
    kmsKeyVersionId: fields.kmsKeyVersionId,
    metadata: fields.metadata,
    region: fields.region,
    repositoryName: fields.repositoryName,
    signingAlgorithm: fields.signingAlgorithm,
  }
  return Buffer.from(JSON.stringify(ordered)).toString('base64')
}

/** The image URI LookupContainerImageByUri takes: `namespace/repository@sha256:…`. */
export function ocirImageUri(namespace: string, repositoryName: string, digest: string): string {
  return `${namespace}/${repositoryName}@${digest}`
}
