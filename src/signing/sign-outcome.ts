/**
 * What the signing step does after publish: every digest an image's release put in the registry
 * is signed by every signer before any moving tag may name it. For an index
 * (a merge, or a multi-platform build) that is the index and each platform manifest in it; for a
 * single manifest, its digest. A failure throws, which fails the image, so no moving tag moves.
 */
import type {DigestSigner, LogSink, RegistryClient} from '../adapters/ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {ImageOutcome} from '../release/image-outcome.js'

const INDEX_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
])

/** Digest → where each of its signatures went (`cosign: <ref>`, `ocir: <OCID>`). */
export type Signatures = Record<string, string[]>

export function signOutcome(
  signers: readonly DigestSigner[],
  registry: Pick<RegistryClient, 'getManifest'>,
): (plan: ImagePlan, outcome: ImageOutcome, log: LogSink) => Promise<Signatures> {
  return async (plan, outcome, log) => {
    if (!outcome.digest) {
      throw new Error(
        `no digest was recorded for ${plan.imageName}, so it cannot be signed: give it an immutable tag (e.g. type=sha)`,
      )
    }
    const digests = await digestsToSign(plan.repository, outcome, registry)
    const signatures: Signatures = {}
    for (const digest of digests) {
      for (const signer of signers) {
        const where = await signer.sign(
          {repository: plan.repository, imageName: plan.imageName, digest},
          log,
        )
        ;(signatures[digest] ??= []).push(`${signer.kind}: ${where}`)
      }
    }
    return signatures
  }
}

/** The image's digest first, then each platform manifest of an index (attestations left out). */
async function digestsToSign(
  repository: string,
  outcome: ImageOutcome,
  registry: Pick<RegistryClient, 'getManifest'>,
): Promise<string[]> {
  const digests = [outcome.digest, ...(outcome.platforms ?? []).map((leg) => leg.digest)]
  const manifest = await registry.getManifest({repository, reference: outcome.digest})
  if (manifest && INDEX_MEDIA_TYPES.has(manifest.mediaType)) {
    const index = JSON.parse(manifest.body.toString('utf8')) as {
      manifests?: {
        digest?: string
        platform?: {os?: string}
        annotations?: Record<string, string>
      }[]
    }
    for (const child of index.manifests ?? []) {
      const attestation =
        child.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
        child.platform?.os === 'unknown'
      if (child.digest && !attestation) digests.push(child.digest)
    }
  }
  return [...new Set(digests.filter(Boolean))]
}
