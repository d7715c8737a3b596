/**
 * The `attestations` input: `provenance` and/or `sbom` (comma or newline separated), or `none`.
 * Not given: `provenance` when a signing key is configured, else none.
 */
import {InputError} from '../errors.js'

export type AttestationKind = 'provenance' | 'sbom'
export const ATTESTATION_KINDS: readonly AttestationKind[] = ['provenance', 'sbom']

export function parseAttestationKinds(value: string, hasSigningKey: boolean): AttestationKind[] {
  const words = value
    .split(/[,\n]/)
    .map((word) => word.trim().toLowerCase())
    .filter(Boolean)
  if (words.length === 0) return hasSigningKey ? ['provenance'] : []
  const allowed = `use ${ATTESTATION_KINDS.join(', ')} (comma or newline separated), or none`
  if (words.includes('none')) {
    if (words.length === 1) return []
    throw new InputError('attestations', value, `none stands alone: ${allowed}`)
  }
  const unknown = words.find((word) => !ATTESTATION_KINDS.includes(word as AttestationKind))
  if (unknown !== undefined)
    throw new InputError('attestations', value, `'${unknown}' is not an attestation: ${allowed}`)
  return ATTESTATION_KINDS.filter((kind) => words.includes(kind))
}
