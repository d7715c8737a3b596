/**
 * Streaming, checked by the memory it takes: a layer with a 200 MiB file of random-looking bytes,
 * and one whose dpkg status file is 100 MiB of highly compressible text (a gzip bomb of sorts),
 * both generated and gzip'd as streams while the SBOM reads them. The process's resident memory
 * may not grow by 64 MiB; holding either file, or a layer, would take more.
 */
import {expect, test} from 'vitest'
import {generateSbom, type SbomLayer} from '../../../src/attestations/sbom/index.js'
import {packageJson} from '../../fixtures/sbom/layers.js'
import {gzippedTar} from '../../fixtures/sbom/make-tar.js'

const MiB = 1 << 20
const CHUNK = 256 << 10

/** `size` bytes from xorshift32: incompressible, cheap to make, never all in memory. */
async function* randomish(size: number, seed: number): AsyncGenerator<Buffer> {
  let state = seed
  for (let made = 0; made < size; made += CHUNK) {
    const words = new Uint32Array(Math.min(CHUNK, size - made) / 4)
    for (let index = 0; index < words.length; index++) {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      words[index] = state
    }
    yield Buffer.from(words.buffer)
  }
}

async function* repeated(size: number, text: string): AsyncGenerator<Buffer> {
  const chunk = Buffer.alloc(CHUNK, text)
  for (let made = 0; made < size; made += CHUNK)
    yield chunk.subarray(0, Math.min(CHUNK, size - made))
}

function streamedLayer(
  digestLabel: string,
  entries: Parameters<typeof gzippedTar>[0],
  level = 1,
): SbomLayer {
  // The digest only labels the layer here: checking it is the registry client's job.
  return {
    digest: `sha256:${digestLabel.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    open: async () => gzippedTar(entries, level),
  }
}

test('200 MiB of data and a 100 MiB status file are streamed: RSS grows by less than 64 MiB', async () => {
  const bigFile = 200 * MiB
  const bomb = 100 * MiB
  const layers = [
    streamedLayer(
      'a',
      [
        {path: 'app/node_modules/before/package.json', content: packageJson('before', '1.0.0')},
        {
          path: 'data/blob.bin',
          stream: {size: bigFile, chunks: () => randomish(bigFile, 0x9e3779b9)},
        },
        {path: 'app/node_modules/after/package.json', content: packageJson('after', '2.0.0')},
      ],
      0,
    ),
    streamedLayer('b', [
      {
        path: 'var/lib/dpkg/status',
        stream: {size: bomb, chunks: () => repeated(bomb, 'Package: x\n')},
      },
    ]),
  ]
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 10)
  const started = Date.now()
  try {
    const result = await generateSbom({
      subject: {name: 'localhost:5000/ns/big', digest: `sha256:${'e'.repeat(64)}`},
      layers,
      bases: [],
      created: '2024-05-01T00:00:00Z',
      toolName: 'test',
    })
    const purls = result.document.packages.map((item) => item.externalRefs[0].referenceLocator)
    expect(purls.slice(1)).toEqual(['pkg:npm/after@2.0.0', 'pkg:npm/before@1.0.0'])
    expect(result.notes).toEqual([
      `/var/lib/dpkg/status: ${bomb} bytes, over the 16777216 read: not read`,
    ])
  } finally {
    clearInterval(sampler)
  }
  const after = process.memoryUsage().rss
  peak = Math.max(peak, after)
  console.log(
    `SBOM of 300 MiB streamed in ${Date.now() - started} ms: RSS ${(before / MiB).toFixed(1)} MiB before, ` +
      `${(peak / MiB).toFixed(1)} MiB at peak (+${((peak - before) / MiB).toFixed(1)}), ` +
      `${(after / MiB).toFixed(1)} MiB after`,
  )
  expect(peak - before).toBeLessThan(64 * MiB)
  expect(after - before).toBeLessThan(64 * MiB)
})
