/**
 * DSSE envelopes (Dead Simple Signing Envelope, v1), as cosign stores attestations: the payload
 * (an in-toto statement) in base64, and one signature per key over its PAE,
 * `DSSEv1 <len(type)> <type> <len(body)> <body>` with the lengths in bytes, in decimal.
 */

/** The payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

export interface DsseEnvelope {
  payloadType: string
  /** base64 of the payload's bytes. */
  payload: string
  signatures: {keyid: string; sig: string}[]
}

/** Signs a PAE with one key; `verifies` says whether a signature is this key's. */
export interface EnvelopeSigner {
  /** `cosign key` or `Vault key <version OCID>`, for the log. */
  readonly name: string
  sign(pae: Buffer): Promise<Buffer>
  /** Undefined when this signer cannot tell (a Vault key: its public half is not at hand). */
  verifies(pae: Buffer, signature: Buffer): boolean | undefined
}

/** The pre-authentication encoding: what every signature of the envelope signs. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8')
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ])
}

/**
 * The envelope of `payload`, signed by every signer (in order; none: an empty signature list,
 * an unsigned attestation). Keys in the order DSSE gives them, no whitespace.
 */
export async function signEnvelope(
  payload: Buffer,
  signers: readonly EnvelopeSigner[],
  payloadType = IN_TOTO_PAYLOAD_TYPE,
): Promise<Buffer> {
  const pae = preAuthEncoding(payloadType, payload)
  const signatures: DsseEnvelope['signatures'] = []
  for (const signer of signers)
    signatures.push({keyid: '', sig: (await signer.sign(pae)).toString('base64')})
  const envelope: DsseEnvelope = {payloadType, payload: payload.toString('base64'), signatures}
  return Buffer.from(JSON.stringify(envelope))
}

/** An envelope read back; undefined when the bytes are not one. */
export function parseEnvelope(bytes: Buffer): DsseEnvelope | undefined {
  let parsed: Partial<DsseEnvelope>
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as Partial<DsseEnvelope>
  } catch {
    return undefined
  }
  if (
    typeof parsed?.payloadType !== 'string' ||
    typeof parsed.payload !== 'string' ||
    !Array.isArray(parsed.signatures) ||
    !parsed.signatures.every((signature) => typeof signature?.sig === 'string')
  )
    return undefined
  return parsed as DsseEnvelope
}

/** The envelope's payload bytes. */
export function envelopePayload(envelope: DsseEnvelope): Buffer {
  return Buffer.from(envelope.payload, 'base64')
}

/** Whether one of the envelope's signatures verifies with `verify` (over the envelope's PAE). */
export function envelopeVerifies(
  envelope: DsseEnvelope,
  verify: (pae: Buffer, signature: Buffer) => boolean | undefined,
): boolean {
  const pae = preAuthEncoding(envelope.payloadType, envelopePayload(envelope))
  return envelope.signatures.some(
    (signature) => verify(pae, Buffer.from(signature.sig, 'base64')) === true,
  )
}
