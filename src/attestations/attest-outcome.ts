/**
 * What the attestations step does after publish: every digest signing signs (the image's, and
 * each platform manifest of an index) gets its provenance, and each platform manifest its SBOM,
 * as signed DSSE envelopes in the `.att` manifest, before any moving tag may name the image. A
 * failure throws, which fails the image, so no moving tag moves.
 */
import type {LogSink, RegistryClient} from '../ports.js'
import type {ImagePlan} from '../plan/push-plan.js'
import type {ImageOutcome} from '../release/image-outcome.js'
import {digestsToSign} from '../signing/sign-outcome.js'
import type {AttestationKind} from './attestation-kinds.js'
import type {AttestationStore, AttestationTarget} from './attestation-store.js'
import {
  envelopePayload,
  preAuthEncoding,
  signEnvelope,
  type DsseEnvelope,
  type EnvelopeSigner,
} from './dsse.js'
import {
  PROVENANCE_PREDICATE_TYPE,
  provenancePredicate,
  statement,
  type ProvenanceFacts,
} from './provenance.js'

/** Digest → the references of its attestations (`<image>:sha256-<hex>.att`, referrers). */
export type Attestations = Record<string, string[]>

type BaseImages = readonly {ref: string; digest?: string}[]

export interface AttestSettings {
  kinds: readonly AttestationKind[]
  signers: readonly EnvelopeSigner[]
  store: AttestationStore
  registry: Pick<RegistryClient, 'getManifest'>
  /** The facts every provenance of the run shares (its times included). */
  runFacts: () => Omit<ProvenanceFacts, 'platforms' | 'target' | 'buildArgs' | 'baseImages'>
  /** The image's base images, by digest (as its build key resolved them). */
  baseImages: (plan: ImagePlan, log: LogSink) => Promise<BaseImages>
  /** The SBOM statement of a platform manifest; undefined for an index. */
  sbom: (
    target: AttestationTarget,
    bases: BaseImages,
    log: LogSink,
  ) => Promise<{predicateType: string; payload: Buffer} | undefined>
}

export function attestOutcome(
  settings: AttestSettings,
): (plan: ImagePlan, outcome: ImageOutcome, log: LogSink) => Promise<Attestations> {
  const {kinds, signers, store} = settings
  const how =
    signers.length > 0
      ? `signed with the ${signers.map((signer) => signer.name).join(' and ')}`
      : 'stored unsigned: no sign-key or Vault key'
  return async (plan, outcome, log) => {
    if (!outcome.digest)
      throw new Error(
        `no digest was recorded for ${plan.imageName}, so it cannot be attested: give it an immutable tag (e.g. type=sha)`,
      )
    const digests = await digestsToSign(plan.repository, outcome, settings.registry)
    const bases = await settings.baseImages(plan, log)
    const facts: ProvenanceFacts = {
      ...settings.runFacts(),
      platforms: plan.image.platforms,
      target: plan.image.target,
      buildArgs: plan.image.buildArgs,
      baseImages: bases,
      reusedFrom: outcome.reusedFrom
        ? {ref: outcome.reusedFrom, digest: outcome.reusedFromDigest}
        : undefined,
    }
    const attestations: Attestations = {}
    for (const digest of digests) {
      const target = {repository: plan.repository, imageName: plan.imageName, digest}
      const statements: {predicateType: string; payload: Buffer}[] = []
      if (kinds.includes('provenance'))
        statements.push({
          predicateType: PROVENANCE_PREDICATE_TYPE,
          payload: statement(
            {name: plan.imageName, digest},
            PROVENANCE_PREDICATE_TYPE,
            provenancePredicate(facts),
          ),
        })
      if (kinds.includes('sbom')) {
        const sbom = await settings.sbom(target, bases, log)
        if (sbom) statements.push(sbom)
      }
      for (const made of statements) {
        const envelope = await signEnvelope(made.payload, signers)
        const where = await store.store(target, {...made, envelope}, log)
        const known = (attestations[digest] ??= [])
        known.push(...where.filter((place) => !known.includes(place)))
        log(`${plan.imageName}@${digest}: ${made.predicateType} attestation ${how} (${where[0]})`)
      }
    }
    return attestations
  }
}

/**
 * Whether an envelope already stored is this attestation: the same statement, and a signature
 * by each of this run's keys that can tell (a Vault key cannot: its signature counts as there
 * when the envelope has as many signatures as this run makes); unsigned, when this run signs
 * nothing.
 */
export function sameAttestation(
  signers: readonly EnvelopeSigner[],
): (existing: DsseEnvelope, payload: Buffer) => boolean {
  return (existing, payload) => {
    if (!envelopePayload(existing).equals(payload)) return false
    if (signers.length === 0) return existing.signatures.length === 0
    if (existing.signatures.length < signers.length) return false
    const pae = preAuthEncoding(existing.payloadType, payload)
    return signers.every((signer) =>
      existing.signatures.some(
        (signature) => signer.verifies(pae, Buffer.from(signature.sig, 'base64')) !== false,
      ),
    )
  }
}
