/**
 * The SBOM statement of one platform manifest: its layers streamed from the registry (never
 * whole in memory) through the SBOM generator, the SPDX document as the predicate. An index has
 * no SBOM of its own: each of its platform manifests has one.
 */
import type {LogSink, RegistryClient} from '../ports.js'
import {statement} from './provenance.js'
import {generateSbom, SPDX_PREDICATE_TYPE, type SbomLayerCache} from './sbom/index.js'
import type {AttestationTarget} from './attestation-store.js'

const INDEX_MEDIA_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
])

interface Manifest {
  config?: {digest?: string}
  layers?: {digest?: string; mediaType?: string}[]
}

/** The SBOM statement of `target`; undefined for an index. */
export async function sbomStatement(
  registry: Pick<RegistryClient, 'getManifest' | 'getBlob' | 'openBlob'>,
  target: AttestationTarget,
  bases: readonly {ref: string; digest?: string}[],
  created: Date,
  log: LogSink,
  cache?: SbomLayerCache,
): Promise<{predicateType: string; payload: Buffer} | undefined> {
  const {repository, imageName, digest} = target
  const manifest = await registry.getManifest({repository, reference: digest})
  if (!manifest) throw new Error(`${imageName}@${digest} is not in the registry: no SBOM made`)
  if (INDEX_MEDIA_TYPES.has(manifest.mediaType)) return undefined
  const parsed = JSON.parse(manifest.body.toString('utf8')) as Manifest
  const layers = (parsed.layers ?? []).map((layer) => {
    const layerDigest = String(layer.digest)
    return {
      digest: layerDigest,
      mediaType: String(layer.mediaType),
      async open() {
        const stream = await registry.openBlob(repository, layerDigest)
        if (!stream) throw new Error(`layer ${layerDigest} of ${imageName}@${digest} is missing`)
        return stream
      },
    }
  })
  const subject = {name: imageName, digest, platform: await platformOf(registry, target, parsed)}
  const sbom = await generateSbom({
    subject,
    layers,
    bases,
    created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    toolName: 'ocir-push',
    cache,
  })
  for (const note of sbom.notes) log(`${imageName}@${digest}: sbom: ${note}`)
  log(`${imageName}@${digest}: the SBOM lists ${sbom.packages} packages`)
  return {
    predicateType: SPDX_PREDICATE_TYPE,
    payload: statement(subject, SPDX_PREDICATE_TYPE, sbom.document),
  }
}

/** `os/arch[/variant]` from the image config; undefined when it does not say. */
async function platformOf(
  registry: Pick<RegistryClient, 'getBlob'>,
  {repository}: AttestationTarget,
  manifest: Manifest,
): Promise<string | undefined> {
  if (!manifest.config?.digest) return undefined
  const config = await registry.getBlob(repository, manifest.config.digest)
  if (!config) return undefined
  const {os, architecture, variant} = JSON.parse(config.toString('utf8')) as Record<string, unknown>
  if (typeof os !== 'string' || typeof architecture !== 'string' || !os || !architecture)
    return undefined
  return [os, architecture, typeof variant === 'string' ? variant : ''].filter(Boolean).join('/')
}
