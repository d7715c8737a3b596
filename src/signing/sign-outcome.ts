/**
 * What the signing step does after publish: every digest an image's release put in the registry
 * is signed by every signer before any moving tag may name it. For an index
 * (a merge, or a multi-platform build) that is the index and each platform manifest in it; for a
 * single manifest, its digest. A failure throws, which fails the image, so no moving tag moves.
 */
import type {DigestSigner, LogSink, RegistryClient} from '../ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {ImageOutcome} from '../release/image-outcome.js'
import {isSha256Digest} from '../adapters/registry-http.js'
import {ActionError} from '../errors.js'
import {contentDigest} from '../model/digest.js'

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

/**
 * The image's digest first, then each platform manifest of an index (attestations left out). Only
 * digests this run pushed (or read and hashed) are signed: the index is read by the digest the
 * push recorded and must hash to it, so its children are the ones pushed. Every digest must be a
 * sha256 one. Anything else throws before any signer is called.
 */
export async function digestsToSign(
  repository: string,
  outcome: ImageOutcome,
  registry: Pick<RegistryClient, 'getManifest'>,
): Promise<string[]> {
  const digests = [outcome.digest, ...(outcome.platforms ?? []).map((leg) => leg.digest)]
  const notSigned = (why: string): ActionError =>
    new ActionError(
      `nothing of ${repository} was signed: ${why}`,
      'the registry, or a proxy in front of it, answered with something else than what this run pushed; check it and re-run',
    )
  for (const digest of digests)
    if (!isSha256Digest(digest)) throw notSigned(`'${digest}' is not a sha256 digest`)
  const manifest = await registry.getManifest({repository, reference: outcome.digest})
  if (manifest) {
    const actual = contentDigest(manifest.body)
    if (actual !== outcome.digest)
      throw notSigned(
        `the manifest read by the pushed digest ${outcome.digest} hashes to ${actual}, so its contents are not what was pushed`,
      )
  }
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
      if (attestation) continue
      if (typeof child.digest !== 'string' || !isSha256Digest(child.digest))
        throw notSigned(
          `the index ${outcome.digest} lists ${JSON.stringify(child.digest)?.slice(0, 100)}, which is not a sha256 digest`,
        )
      digests.push(child.digest)
    }
  }
  return [...new Set(digests.filter(Boolean))]
}
