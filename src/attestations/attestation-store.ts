/**
 * Where attestations go, in cosign's format: each DSSE envelope is a layer of the OCI manifest
 * tagged `sha256-<hex>.att` in the image's repository (what `cosign verify-attestation` and
 * `cosign download attestation` read). Several attestations of one digest share that manifest:
 * a layer is added, never put in place of another; an attestation already there (the same
 * statement, signed by this run's keys) is not added twice. Where the registry has the OCI 1.1
 * referrers API, each attestation is also an artifact manifest whose `subject` is the image, so
 * `oras discover` lists it.
 */
import type {LogSink, ReferrerStore, RegistryClient} from '../ports.js'
import {contentDigest} from '../model/digest.js'
import {
  attestationLayer,
  attestationTag,
  DSSE_ENVELOPE_MEDIA_TYPE,
  EMPTY_CONFIG,
  mergeAttestationLayers,
  OCI_MANIFEST_MEDIA_TYPE,
  PREDICATE_TYPE_ANNOTATION,
  referrerManifest,
  signatureLayers,
  type SignatureLayer,
} from '../plan/cosign-payload.js'
import {describeFailure} from '../errors.js'
import {putSignatureManifest} from '../signing/signature-manifest.js'
import {parseEnvelope, type DsseEnvelope} from './dsse.js'

export type AttestationRegistry = Pick<
  RegistryClient,
  'getManifest' | 'putManifest' | 'putBlob' | 'getBlob'
> &
  ReferrerStore

/** A digest of the run's registry: what an attestation is about. */
export interface AttestationTarget {
  repository: string
  /** `host/ns/app`. */
  imageName: string
  digest: string
}

export interface Attestation {
  predicateType: string
  /** The signed statement. */
  payload: Buffer
  /** The DSSE envelope around it. */
  envelope: Buffer
}

export class AttestationStore {
  /** Whether the registry has the referrers API; undefined until the first referrer tells. */
  private referrersApi: Promise<boolean> | undefined
  /** The log said once that there is no referrers API. */
  private announced = false

  /**
   * `sameAttestation`: whether an envelope already stored says what `payload` says, signed by
   * this run's keys (then it is not stored again).
   */
  constructor(
    private readonly registry: AttestationRegistry,
    private readonly sameAttestation: (existing: DsseEnvelope, payload: Buffer) => boolean,
  ) {}

  /** Stores one attestation; returns where it is (the `.att` reference, and its referrer). */
  async store(
    target: AttestationTarget,
    attestation: Attestation,
    log: LogSink,
  ): Promise<string[]> {
    const {repository, imageName, digest} = target
    const tag = attestationTag(digest)
    const where = `${imageName}:${tag}`
    const existing = await this.registry.getManifest({repository, reference: tag})
    const layers = signatureLayers(existing?.body.toString('utf8'))
    let layer = await this.alreadyThere(repository, layers, attestation)
    if (layer) {
      log(`${imageName}@${digest}: ${attestation.predicateType} already attested (${where})`)
    } else {
      const envelopeDigest = await this.registry.putBlob(repository, attestation.envelope)
      layer = attestationLayer(attestation.envelope, envelopeDigest, attestation.predicateType)
      const all = mergeAttestationLayers(layers, layer) ?? layers
      await putSignatureManifest(this.registry, repository, tag, all)
    }
    const referrer = await this.storeReferrer(target, layer, log)
    return referrer ? [where, `${imageName}@${referrer}`] : [where]
  }

  /** The layer of this statement already in the `.att` manifest, if one is there. */
  private async alreadyThere(
    repository: string,
    layers: readonly SignatureLayer[],
    attestation: Attestation,
  ): Promise<SignatureLayer | undefined> {
    const envelopeDigest = contentDigest(attestation.envelope)
    for (const layer of layers) {
      if (layer.digest === envelopeDigest) return layer
      if (
        layer.mediaType !== DSSE_ENVELOPE_MEDIA_TYPE ||
        layer.annotations?.[PREDICATE_TYPE_ANNOTATION] !== attestation.predicateType
      )
        continue
      const bytes = await this.registry.getBlob(repository, layer.digest).catch(() => undefined)
      const envelope = bytes && parseEnvelope(bytes)
      if (envelope && this.sameAttestation(envelope, attestation.payload)) return layer
    }
    return undefined
  }

  /**
   * The attestation as an OCI 1.1 referrer of the image: kept only when the registry's answer
   * names the subject (`OCI-Subject`); a registry without the API keeps a manifest nothing
   * lists, so it is deleted again, and the log says so once. Never fails the image: the `.att`
   * manifest is the attestation every verifier reads.
   */
  private async storeReferrer(
    target: AttestationTarget,
    layer: SignatureLayer,
    log: LogSink,
  ): Promise<string | undefined> {
    if (this.referrersApi && !(await this.referrersApi)) return undefined
    const put = this.putReferrer(target, layer)
    this.referrersApi ??= put.then((answer) => answer.digest !== undefined)
    const answer = await put
    if (answer.reason && !this.announced) {
      this.announced = true
      log(
        `registry has no referrers API (${answer.reason}): the attestations are in the .att manifests only`,
      )
    }
    return answer.digest
  }

  private async putReferrer(
    target: AttestationTarget,
    layer: SignatureLayer,
  ): Promise<{digest?: string; reason?: string}> {
    const {repository, digest} = target
    let reason: string
    let stored: string | undefined
    try {
      const subject = await this.registry.getManifest({repository, reference: digest})
      if (!subject) throw new Error(`${repository}@${digest} was not found to name as the subject`)
      await this.registry.putBlob(repository, EMPTY_CONFIG)
      const body = referrerManifest(layer, {
        mediaType: subject.mediaType,
        size: subject.body.length,
        digest,
      })
      const answer = await this.registry.putReferrer(repository, body, OCI_MANIFEST_MEDIA_TYPE)
      if (answer.subject === digest) return {digest: answer.digest}
      stored = answer.digest
      reason = answer.subject
        ? `it answered OCI-Subject ${answer.subject}, not ${digest}`
        : 'it answered without an OCI-Subject header'
    } catch (err) {
      reason = `storing a referrer failed: ${describeFailure(err)}`
    }
    // Not a referrer there: a manifest nothing lists or cleans up, so it goes again.
    if (stored) await this.registry.deleteManifest(repository, stored).catch(() => false)
    return {reason}
  }
}
