/**
 * cosign's signature format, as its SIGNATURE_SPEC describes it: a "simple signing" payload per
 * signed digest, stored as a layer of an OCI image manifest under the tag `sha256-<hex>.sig` in
 * the image's own repository, with the base64 signature as the layer's annotation. This is where
 * `cosign verify` and containers/image (`use-sigstore-attachments`) look. Attestations use the
 * same manifest shape under `sha256-<hex>.att`, one DSSE envelope per layer (cosign's
 * attestation format).
 */

/** The payload's media type; also the layer's media type in the `.sig` manifest. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'
/** The layer annotation holding the base64 signature of the payload. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json'
/** `critical.type` of every cosign container image signature. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature'

/**
 * The simple signing payload for one digest. `dockerReference` is the repository without tag or
 * digest (`host/namespace/name`), as cosign writes it. Keys in cosign's order, no whitespace.
 */
export function cosignPayload(dockerReference: string, digest: string): Buffer {
  checkDigest(digest)
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: {'docker-reference': dockerReference},
        image: {'docker-manifest-digest': digest},
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: null,
    }),
  )
}

/** The tag a digest's signatures live under: `sha256:abc…` → `sha256-abc….sig`. */
export function signatureTag(digest: string): string {
  return attachmentTag(digest, 'sig')
}

/** The tag a digest's attestations live under: `sha256:abc…` → `sha256-abc….att`. */
export function attestationTag(digest: string): string {
  return attachmentTag(digest, 'att')
}

function attachmentTag(digest: string, kind: 'sig' | 'att'): string {
  checkDigest(digest)
  return `${digest.replace(':', '-')}.${kind}`
}

/** A DSSE envelope: the layer media type of cosign's `.att` manifests. */
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json'
/** The `.att` layer annotation naming the statement's predicate type (cosign's `predicateType`). */
export const PREDICATE_TYPE_ANNOTATION = 'predicateType'

/**
 * One attestation: a layer descriptor of the `.att` manifest, as cosign writes it (the envelope
 * is the blob; its signatures are inside it, so the signature annotation is empty).
 */
export function attestationLayer(
  envelope: Buffer,
  envelopeDigest: string,
  predicateType: string,
): SignatureLayer {
  return {
    mediaType: DSSE_ENVELOPE_MEDIA_TYPE,
    size: envelope.length,
    digest: envelopeDigest,
    annotations: {[SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: predicateType},
  }
}

/**
 * The layers of an `.att` manifest once `added` joins `existing`: every existing layer is kept
 * (cosign appends; several attestations share the manifest), an identical one (same envelope
 * digest) is not added twice. Undefined when there is nothing to add.
 */
export function mergeAttestationLayers(
  existing: readonly SignatureLayer[],
  added: SignatureLayer,
): SignatureLayer[] | undefined {
  if (existing.some((layer) => layer.digest === added.digest)) return undefined
  return [...existing, added]
}

/**
 * An OCI 1.1 artifact manifest for one attestation, stored by digest as a referrer of `subject`
 * (the referrers API lists it, so `oras discover` does): the envelope as its one layer, the
 * empty config the image spec gives artifacts, the predicate type as an annotation.
 */
export function referrerManifest(
  layer: SignatureLayer,
  subject: {mediaType: string; size: number; digest: string},
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      artifactType: DSSE_ENVELOPE_MEDIA_TYPE,
      config: EMPTY_CONFIG_DESCRIPTOR,
      layers: [layer],
      subject,
      annotations: {
        [PREDICATE_TYPE_ANNOTATION]: layer.annotations[PREDICATE_TYPE_ANNOTATION] ?? '',
      },
    }),
  )
}

/** The image spec's empty descriptor (`{}`), the config of an artifact that needs none. */
export const EMPTY_CONFIG = Buffer.from('{}')
export const EMPTY_CONFIG_DESCRIPTOR = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  size: 2,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  data: 'e30=',
}

/** One signature: a layer descriptor of the `.sig` manifest. */
export interface SignatureLayer {
  mediaType: string
  size: number
  digest: string
  annotations: Record<string, string>
}

export interface SignatureManifest {
  schemaVersion: 2
  mediaType: string
  config: {mediaType: string; size: number; digest: string}
  layers: SignatureLayer[]
  annotations?: Record<string, string>
}

/**
 * Every layer of an existing `.sig` manifest, kept as they are when a signature is added (cosign
 * appends; it never replaces). [] when there is none, or it is not a manifest.
 */
export function signatureLayers(existing: string | undefined): SignatureLayer[] {
  if (!existing) return []
  try {
    const parsed = JSON.parse(existing) as {layers?: unknown}
    if (!Array.isArray(parsed.layers)) return []
    return (parsed.layers as SignatureLayer[]).filter((layer) => typeof layer?.digest === 'string')
  } catch {
    return []
  }
}

/** The base64 signature of a layer, when it is a simple signing signature. */
export function layerSignature(layer: SignatureLayer): string | undefined {
  if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return undefined
  const signature = layer.annotations?.[SIGNATURE_ANNOTATION]
  return typeof signature === 'string' ? signature : undefined
}

/**
 * The image config of a `.sig` manifest: one diff id per layer (the payloads are stored
 * uncompressed, so a layer's diff id is its digest), as an image built by appending layers to an
 * empty image has. Verifiers never read it; registries want a valid config.
 */
export function signatureConfig(layers: readonly SignatureLayer[]): Buffer {
  const epoch = '0001-01-01T00:00:00Z'
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: epoch,
      history: layers.map(() => ({created: epoch})),
      os: '',
      rootfs: {type: 'layers', diff_ids: layers.map((layer) => layer.digest)},
      config: {},
    }),
  )
}

/** The `.sig` manifest for these layers (existing signatures first, so none is lost). */
export function signatureManifest(
  layers: readonly SignatureLayer[],
  config: {size: number; digest: string},
): Buffer {
  const manifest: SignatureManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: {mediaType: OCI_CONFIG_MEDIA_TYPE, ...config},
    layers: [...layers],
  }
  return Buffer.from(JSON.stringify(manifest))
}

function checkDigest(digest: string): void {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: '${digest}'`)
}
