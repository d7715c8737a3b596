/** Content digests, as registries name manifests and blobs. Pure: adapters, release/ and signing/ share it. */
import {createHash} from 'node:crypto'

/** The digest a registry names content by: `sha256:` and the hex SHA-256 of its bytes. */
export function contentDigest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}
