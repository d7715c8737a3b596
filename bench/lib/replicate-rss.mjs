// Replication's memory bound, measured: a 1 GiB single-layer image copied between two throwaway
// registries by the copier in a child node process, whose peak RSS (VmHWM) is sampled. The
// copier streams blobs through in chunks (at most maxParallel × chunkBytes in memory); the
// target is a peak RSS under 200 MiB for a 1 GiB layer.
import {spawn, spawnSync} from 'node:child_process'
import {createCipheriv, createHash} from 'node:crypto'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {startRegistry} from './registry.mjs'

const MiB = 1024 * 1024
const PIECE = MiB
/** AES-CTR keystream: random-looking bytes that any offset can be generated from again. */
const KEY = Buffer.alloc(16, 7)

/** The layer from byte `offset` on, generated piece by piece (never whole in memory). */
function layerStream(size, offset = 0) {
  async function* pieces() {
    const zeros = Buffer.alloc(PIECE)
    for (let piece = Math.floor(offset / PIECE); piece * PIECE < size; piece++) {
      // 65536 AES blocks per MiB: the counter of this piece's first block.
      const iv = Buffer.alloc(16)
      iv.writeBigUInt64BE(BigInt(piece) * BigInt(PIECE / 16), 8)
      const bytes = createCipheriv('aes-128-ctr', KEY, iv).update(
        zeros.subarray(0, Math.min(PIECE, size - piece * PIECE)),
      )
      yield piece * PIECE < offset ? bytes.subarray(offset - piece * PIECE) : bytes
    }
  }
  return Readable.from(pieces(), {objectMode: false})
}

async function digestOfStream(stream) {
  const hash = createHash('sha256')
  for await (const piece of stream) hash.update(piece)
  return `sha256:${hash.digest('hex')}`
}

/** src/ compiled with tsc into `out` (the copier and the registry client, and what they import). */
function compile(root, work) {
  const out = join(work, 'compiled')
  const config = join(work, 'tsconfig.bench.json')
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(root, 'tsconfig.json'),
      compilerOptions: {
        noEmit: false,
        outDir: out,
        rootDir: join(root, 'src'),
        typeRoots: [join(root, 'node_modules/@types')],
      },
      files: [
        join(root, 'src/replication/copy-image.ts'),
        join(root, 'src/adapters/registry-http.ts'),
      ],
      include: [],
    }),
  )
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', config],
    {encoding: 'utf8'},
  )
  if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`)
  writeFileSync(join(out, 'package.json'), '{"type": "module"}\n')
  return out
}

const CHILD = `
import {RegistryHttpClient} from './compiled/adapters/registry-http.js'
import {ImageCopier} from './compiled/replication/copy-image.js'
const [source, target, repository, digest, chunkBytes, maxParallel] = process.argv.slice(2)
const retry = {retries: 3, baseMs: 500}
const client = (host) => new RegistryHttpClient({host, insecure: true, retry})
const copier = new ImageCopier({
  maxParallel: Number(maxParallel),
  chunkBytes: Number(chunkBytes),
  retry,
  log: (line) => process.stderr.write(line + '\\n'),
})
const started = Date.now()
const result = await copier.copy({
  source: {name: 'source', registry: client(source)},
  sourceRepository: repository,
  target: {name: 'target', registry: client(target)},
  targetRepository: repository,
  digest,
  tags: ['v1'],
})
process.stdout.write(JSON.stringify({...result, ms: Date.now() - started, maxRssKiB: process.resourceUsage().maxRSS}))
`

/** VmHWM (peak resident set) of a running process, in bytes; 0 once it is gone. */
function peakRss(pid) {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : 0
  } catch {
    return 0
  }
}

function runChild(work, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(work, 'replicate-child.mjs'), ...args], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let sampled = 0
    const timer = setInterval(() => (sampled = Math.max(sampled, peakRss(child.pid))), 50)
    child.stdout.on('data', (piece) => (stdout += piece))
    child.stderr.on('data', (piece) => (stderr += piece))
    child.on('error', reject)
    child.on('exit', (code) => {
      clearInterval(timer)
      if (code !== 0)
        return reject(new Error(`the copy exited with ${code}: ${stderr.slice(-2000)}`))
      resolve({...JSON.parse(stdout), sampledPeak: sampled, log: stderr})
    })
  })
}

/**
 * Builds a 1 GiB single-layer image in a throwaway source registry (the layer generated and
 * uploaded as a stream), copies it to a throwaway target in a child process, and returns the
 * layer size, the child's peak RSS and the copy's wall time.
 */
export async function benchReplicateRss({
  root,
  work,
  log,
  layerBytes = 1024 * MiB,
  chunkBytes = 32 * MiB,
  maxParallel = 4,
}) {
  mkdirSync(work, {recursive: true})
  const compiled = compile(root, work)
  const {RegistryHttpClient} = await import(join(compiled, 'adapters/registry-http.js'))
  writeFileSync(join(work, 'replicate-child.mjs'), CHILD)
  const source = await startRegistry(work, 'rss-source')
  const target = await startRegistry(work, 'rss-target')
  try {
    const repository = 'bench/big'
    const client = new RegistryHttpClient({
      host: source.host,
      insecure: true,
      retry: {retries: 3, baseMs: 500},
    })
    log(`generating a ${layerBytes / MiB} MiB layer into ${source.host}`)
    const layer = await digestOfStream(layerStream(layerBytes))
    await client.uploadBlob(
      repository,
      layer,
      layerBytes,
      async (offset) => layerStream(layerBytes, offset),
      chunkBytes,
    )
    const config = Buffer.from(JSON.stringify({architecture: 'amd64', os: 'linux', rootfs: {}}))
    await client.putBlob(repository, config)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${createHash('sha256').update(config).digest('hex')}`,
          size: config.length,
        },
        layers: [
          {mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size: layerBytes},
        ],
      }),
    )
    const digest = await client.putManifest(
      repository,
      `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
      manifest,
      'application/vnd.oci.image.manifest.v1+json',
    )
    log(`copying ${digest} to ${target.host} in a child process`)
    const result = await runChild(work, [
      source.host,
      target.host,
      repository,
      digest,
      String(chunkBytes),
      String(maxParallel),
    ])
    if (result.digest !== digest) throw new Error(`the copy has ${result.digest}, not ${digest}`)
    if (result.stats.uploaded !== 2 || result.stats.bytes < layerBytes)
      throw new Error(`the copy did not upload the layer: ${JSON.stringify(result.stats)}`)
    const peakRssBytes = Math.max(result.sampledPeak, result.maxRssKiB * 1024)
    log(
      `peak RSS ${(peakRssBytes / MiB).toFixed(1)} MiB for a ${layerBytes / MiB} MiB layer in ${result.ms} ms`,
    )
    return {layerBytes, peakRssBytes, ms: result.ms}
  } finally {
    await Promise.all([source.stop(), target.stop()])
  }
}

// `node bench/lib/replicate-rss.mjs`: one run, the result as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const {mkdtempSync} = await import('node:fs')
  const {tmpdir} = await import('node:os')
  const {dirname, resolve} = await import('node:path')
  const {fileURLToPath} = await import('node:url')
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  const {rmSync} = await import('node:fs')
  const work = mkdtempSync(join(tmpdir(), 'bench-replicate-'))
  try {
    const result = await benchReplicateRss({
      root,
      work,
      log: (line) => process.stderr.write(`[bench] ${line}\n`),
    })
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    // Two registries holding the layer: 2 GiB.
    rmSync(work, {recursive: true, force: true})
  }
}
