/**
 * Throwaway `docker-registry serve` instances for the copy tests (bench/lib/registry.mjs's
 * startRegistry: a fresh port and an access log each), clients for them, and images put in with
 * the client's own putBlob/putManifest.
 */
import {createHash, randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {RegistryHttpClient} from '../../../src/adapters/registry-http.js'
import type {ReplicaEndpoint} from '../../../src/replication/copy-image.js'

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json'
export const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip'

export interface ThrowawayRegistry {
  host: string
  accessLog: string
  stop(): Promise<void>
}

export interface AccessLine {
  method: string
  target: string
  status: number
  kind: string
}

interface RegistryModule {
  startRegistry(work: string, name: string): Promise<ThrowawayRegistry>
  readAccessLog(path: string): AccessLine[]
}

// Loaded by URL: bench/ is plain JavaScript without type declarations.
const registryModule = new URL('../../../bench/lib/registry.mjs', import.meta.url).href
const bench = (): Promise<RegistryModule> => import(registryModule) as Promise<RegistryModule>

export async function startThrowaway(name: string): Promise<ThrowawayRegistry> {
  const work = mkdtempSync(join(tmpdir(), `copy-${name}-`))
  return (await bench()).startRegistry(work, name)
}

export async function accessLog(registry: ThrowawayRegistry): Promise<AccessLine[]> {
  return (await bench()).readAccessLog(registry.accessLog)
}

export function client(
  host: string,
  extra: Partial<ConstructorParameters<typeof RegistryHttpClient>[0]> = {},
): RegistryHttpClient {
  return new RegistryHttpClient({host, insecure: true, retry: {retries: 2, baseMs: 5}, ...extra})
}

export function endpoint(name: string, registry: RegistryHttpClient): ReplicaEndpoint {
  return {name, registry}
}

export const digestOf = (body: Buffer): string =>
  `sha256:${createHash('sha256').update(body).digest('hex')}`

export interface PushedManifest {
  digest: string
  body: Buffer
  mediaType: string
}

/** An image manifest: a fresh config and the given layers, put into `repository`. */
export async function putImage(
  registry: RegistryHttpClient,
  repository: string,
  layers: readonly Buffer[],
  extra: Record<string, unknown> = {},
): Promise<PushedManifest> {
  const config = Buffer.from(JSON.stringify({architecture: 'amd64', os: 'linux', n: Math.random()}))
  await registry.putBlob(repository, config)
  for (const layer of layers) await registry.putBlob(repository, layer)
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: digestOf(config),
        size: config.length,
      },
      layers: layers.map((layer) => ({
        mediaType: LAYER_TYPE,
        digest: digestOf(layer),
        size: layer.length,
      })),
      ...extra,
    }),
  )
  const digest = await registry.putManifest(repository, digestOf(body), body, MANIFEST_TYPE)
  return {digest, body, mediaType: MANIFEST_TYPE}
}

/** An index of two platform images, a `.sig` tag on it, and a tag. */
export async function putIndexWithSignature(
  registry: RegistryHttpClient,
  repository: string,
): Promise<{index: PushedManifest; children: PushedManifest[]; signature: PushedManifest}> {
  const children = [
    await putImage(registry, repository, [randomBytes(300_000), randomBytes(1000)]),
    await putImage(registry, repository, [randomBytes(200_000)]),
  ]
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: INDEX_TYPE,
      manifests: children.map((child, n) => ({
        mediaType: MANIFEST_TYPE,
        digest: child.digest,
        size: child.body.length,
        platform: {os: 'linux', architecture: n === 0 ? 'amd64' : 'arm64'},
      })),
    }),
  )
  const digest = await registry.putManifest(repository, 'v1', body, INDEX_TYPE)
  const payload = Buffer.from(
    JSON.stringify({critical: {image: {'docker-manifest-digest': digest}}}),
  )
  const signature = await putImage(registry, repository, [payload])
  await registry.putManifest(
    repository,
    `${digest.replace(':', '-')}.sig`,
    signature.body,
    MANIFEST_TYPE,
  )
  return {index: {digest, body, mediaType: INDEX_TYPE}, children, signature}
}
