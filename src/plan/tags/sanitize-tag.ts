/** Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export const MAX_TAG_LENGTH = 128
const HASH_LENGTH = 12

/** FNV-1a, 64 bit: a stable short fingerprint with no crypto import (plan/ stays pure). */
function fingerprint(text: string): string {
  let hash = 0xcbf29ce484222325n
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte)
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).padStart(16, '0').slice(0, HASH_LENGTH)
}

/**
 * Turns any text into a valid tag: runs of invalid characters become `-` (as metadata-action
 * does), leading `.` and `-` are dropped, and a name longer than 128 characters is cut and ends
 * with `-` plus a hash of the whole name, so two long names that share a prefix stay distinct.
 * Returns '' when nothing usable is left.
 */
export function sanitizeTag(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[.-]+/, '')
  if (cleaned.length <= MAX_TAG_LENGTH) return cleaned
  return `${cleaned.slice(0, MAX_TAG_LENGTH - HASH_LENGTH - 1)}-${fingerprint(cleaned)}`
}
