/**
 * A layer blob as a tar stream: opened, decompressed as its media type says, read through, and
 * then drained to its end, so that the blob's digest check (the registry client's `openBlob`
 * fails the stream when the bytes do not hash to the digest) and gzip's own check both run. A
 * failure names the layer.
 */
import {pipeline, type Readable, type Transform} from 'node:stream'
import * as zlib from 'node:zlib'
import {ActionError} from '../../errors.js'

export type LayerFormat = 'tar' | 'gzip' | 'zstd'

/** The layer blob as `open()` streams it, and what it is. */
export interface LayerBlob {
  digest: string
  mediaType: string
  open(): Promise<Readable>
}

/**
 * OCI (`application/vnd.oci.image.layer.v1.tar`, `+gzip`, `+zstd`, the nondistributable ones) and
 * Docker (`application/vnd.docker.image.rootfs.diff.tar.gzip`, `…foreign.diff.tar.gzip`) layers.
 */
export function layerFormat(mediaType: string): LayerFormat | undefined {
  const type = mediaType.split(';')[0].trim().toLowerCase()
  if (/[.+]tar[.+]gzip$/.test(type)) return 'gzip'
  if (/[.+]tar\+zstd$/.test(type)) return 'zstd'
  if (/\.tar$/.test(type)) return 'tar'
  return undefined
}

/** zstd is in node:zlib from Node.js 22.15 and 23.8 on. */
function zstdDecompressor(): Transform | undefined {
  const create = (zlib as {createZstdDecompress?: () => Transform}).createZstdDecompress
  return create?.()
}

/** Why a layer cannot be read here, or undefined when it can. */
export function unreadableReason(
  layer: Pick<LayerBlob, 'digest' | 'mediaType'>,
): string | undefined {
  const format = layerFormat(layer.mediaType)
  if (!format) return `layer ${layer.digest} (${layer.mediaType}) is not a tar layer: not read`
  if (format === 'zstd' && !(zlib as {createZstdDecompress?: unknown}).createZstdDecompress) {
    return `layer ${layer.digest} is zstd-compressed, which Node.js ${process.version} cannot read: its packages are not listed`
  }
  return undefined
}

function layerError(layer: LayerBlob, error: unknown): ActionError {
  const detail = error instanceof Error ? error.message : String(error)
  return new ActionError(
    `the SBOM could not read layer ${layer.digest}: ${detail}`,
    'The layer is cut short or corrupt as the registry serves it: pull the image to check it, push it again, and run again',
  )
}

/**
 * Opens a layer and hands its tar stream to `read`, then reads the blob to its end. Call only for
 * a layer unreadableReason() accepts.
 */
export async function readLayerTar(
  layer: LayerBlob,
  read: (tar: AsyncIterable<unknown>) => Promise<void>,
): Promise<void> {
  const format = layerFormat(layer.mediaType)
  const decompressor =
    format === 'gzip' ? zlib.createGunzip() : format === 'zstd' ? zstdDecompressor() : undefined
  let source: Readable | undefined
  try {
    source = await layer.open()
    // pipeline destroys the decompressor with the source's error, so reading it throws that.
    const tar = decompressor ? pipeline(source, decompressor, () => {}) : source
    const chunks = tar[Symbol.asyncIterator]()
    await read({[Symbol.asyncIterator]: () => chunks})
    while (!(await chunks.next()).done) {
      // drain what follows the end-of-archive block
    }
  } catch (error) {
    // The registry client's own errors (a refused request, a digest mismatch) say what failed.
    throw error instanceof ActionError ? error : layerError(layer, error)
  } finally {
    source?.destroy()
    decompressor?.destroy()
  }
}
