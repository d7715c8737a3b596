/**
 * An untrusted registry: a proxy in front of the real registries of scripts/test-env that changes
 * manifest and blob bodies on their way back while keeping every header (Docker-Content-Digest
 * included). The client must refuse what it reads, copy no tag, and the signing step must sign
 * nothing. The same calls through an honest proxy succeed, so the refusals are the proxy's doing.
 * The client is driven from src/ (dist/ is built separately).
 */
import {createHash} from 'node:crypto'
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {readManifestFacts} from '../../src/adapters/registry-catalog.js'
import {RegistryHttpClient, RegistryTrustError} from '../../src/adapters/registry-http.js'
import type {ImagePlan} from '../../src/plan/push-plan.js'
import type {DigestSigner} from '../../src/ports.js'
import type {ImageOutcome} from '../../src/release/image-outcome.js'
import {signOutcome} from '../../src/signing/sign-outcome.js'
import {testEnvironment, uniqueNamespace, type RegistryInfo} from '../fixtures/test-env.js'

const env = testEnvironment()
const sha256 = (body: Buffer): string => `sha256:${createHash('sha256').update(body).digest('hex')}`

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'

interface TamperingProxy {
  host: string
  /** Bodies changed so far, as `METHOD path`. */
  tampered: string[]
  /** Every request that reached the registry, as `METHOD path`. */
  forwarded: string[]
  close(): Promise<void>
}

/**
 * Passes every request to `target` with its Host header (so upload Locations point back here);
 * when `tamper` is on, a 200 answer to a manifest or blob GET gets a changed body under the very
 * same headers (Content-Length fixed up).
 */
async function startTamperingProxy(target: string, tamper: boolean): Promise<TamperingProxy> {
  const [hostname, port] = target.split(':')
  const proxy: TamperingProxy = {host: '', tampered: [], forwarded: [], close: async () => {}}
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const what = `${incoming.method} ${incoming.url}`
    proxy.forwarded.push(what)
    const upstream = request(
      {
        hostname,
        port: Number(port),
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (answer) => {
        const changes =
          tamper &&
          incoming.method === 'GET' &&
          answer.statusCode === 200 &&
          /\/(manifests|blobs)\/[^/]+$/.test(new URL(incoming.url ?? '/', 'http://x').pathname)
        if (!changes) {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(outgoing)
          return
        }
        const chunks: Buffer[] = []
        answer.on('data', (chunk: Buffer) => chunks.push(chunk))
        answer.on('end', () => {
          const original = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<
            string,
            unknown
          >
          // A plausible change: a different annotation (for a config, a different label).
          const body = Buffer.from(
            JSON.stringify({...original, annotations: {'org.example.swapped': 'yes'}}),
          )
          proxy.tampered.push(what)
          outgoing.writeHead(200, {...answer.headers, 'content-length': String(body.length)})
          outgoing.end(body)
        })
      },
    )
    upstream.on('error', () => outgoing.destroy())
    incoming.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return proxy
}

function clientOf(registry: RegistryInfo, host = registry.host): RegistryHttpClient {
  return new RegistryHttpClient({
    host,
    insecure: true,
    username: registry.username,
    password: registry.password,
    retry: {retries: 1, baseMs: 20},
  })
}

/** A signer that records every call; none may happen here. */
function recordingSigner(): DigestSigner & {calls: string[]} {
  const calls: string[] = []
  return {
    kind: 'recording',
    calls,
    sign: async (target) => (calls.push(`sign ${target.digest}`), 'nowhere'),
    signed: async (target) => (calls.push(`signed? ${target.digest}`), false),
  }
}

describe.each([
  {why: 'the open registry', registry: env.registries.open},
  {why: 'the token registry (Bearer)', registry: env.registries.token},
])('a proxy that alters bodies in front of $why', ({registry}) => {
  const repository = `${uniqueNamespace('untrusted')}/app`
  let manifestDigest = ''
  let indexDigest = ''
  let configDigest = ''
  let tampering: TamperingProxy
  let honest: TamperingProxy

  beforeAll(async () => {
    // Seeded directly: a config blob, an image manifest under `v1`, an index over it under `multi`.
    const direct = clientOf(registry)
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: {Labels: {'org.opencontainers.image.version': '1.0.0'}},
        rootfs: {type: 'layers', diff_ids: []},
      }),
    )
    configDigest = await direct.putBlob(repository, config)
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [],
      }),
    )
    manifestDigest = await direct.putManifest(repository, 'v1', manifest, OCI_MANIFEST)
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: manifestDigest,
            size: manifest.length,
            platform: {os: 'linux', architecture: 'amd64'},
          },
        ],
      }),
    )
    indexDigest = await direct.putManifest(repository, 'multi', index, OCI_INDEX)
    expect([manifestDigest, indexDigest]).toEqual([sha256(manifest), sha256(index)])
    tampering = await startTamperingProxy(registry.host, true)
    honest = await startTamperingProxy(registry.host, false)
  })

  afterAll(async () => {
    await tampering?.close()
    await honest?.close()
  })

  test('read by tag: the changed manifest is refused, naming the registry, the tag and both digests', async () => {
    const failure = await clientOf(registry, tampering.host)
      .getManifest({repository, reference: 'v1'})
      .catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(RegistryTrustError)
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^GET manifest ${repository}:v1 on ${tampering.host} returned bytes whose digest is sha256:[0-9a-f]{64}, not the ${manifestDigest} its Docker-Content-Digest header names$`,
      ),
    )
    expect(tampering.tampered).toContain(`GET /v2/${repository}/manifests/v1`)
    // Through the honest proxy the same read is fine.
    expect(
      (await clientOf(registry, honest.host).getManifest({repository, reference: 'v1'}))?.digest,
    ).toBe(manifestDigest)
  })

  test('read by digest: refused too', async () => {
    await expect(
      clientOf(registry, tampering.host).getManifest({repository, reference: indexDigest}),
    ).rejects.toThrow(
      new RegExp(
        `^GET manifest ${repository}@${indexDigest} on ${tampering.host} returned bytes whose digest is sha256:[0-9a-f]{64}$`,
      ),
    )
  })

  test('a config blob that was changed is refused', async () => {
    await expect(
      clientOf(registry, tampering.host).getBlob(repository, configDigest),
    ).rejects.toThrow(/returned bytes whose digest is sha256:[0-9a-f]{64}$/)
    expect(await clientOf(registry, honest.host).getBlob(repository, configDigest)).toBeTruthy()
  })

  test('a moving tag copied from a changed manifest is not written', async () => {
    const before = tampering.forwarded.length
    await expect(
      clientOf(registry, tampering.host).copyManifest({repository, reference: 'v1'}, ['latest']),
    ).rejects.toThrow(RegistryTrustError)
    expect(tampering.forwarded.slice(before).filter((line) => line.startsWith('PUT'))).toEqual([])
    expect(
      await clientOf(registry).manifestDigest({repository, reference: 'latest'}),
    ).toBeUndefined()
  })

  test('the signing step signs nothing when the index read by the pushed digest was changed', async () => {
    const signer = recordingSigner()
    const plan = {repository, imageName: `${registry.host}/${repository}`} as ImagePlan
    const outcome = {
      name: 'app',
      repository,
      imageName: plan.imageName,
      refs: [],
      digest: indexDigest,
      pushed: true,
      status: 'pushed',
      durationMs: 0,
      built: true,
    } as unknown as ImageOutcome
    await expect(
      signOutcome([signer], clientOf(registry, tampering.host))(plan, outcome, () => {}),
    ).rejects.toThrow(new RegExp(`${indexDigest} on ${tampering.host} returned bytes whose digest`))
    expect(signer.calls).toEqual([])

    // Through the honest proxy: the index and its one platform manifest.
    const signatures = await signOutcome([signer], clientOf(registry, honest.host))(
      plan,
      outcome,
      () => {},
    )
    expect(Object.keys(signatures)).toEqual([indexDigest, manifestDigest])
  })

  test('cleanup reads no facts from a changed manifest', async () => {
    await expect(
      readManifestFacts(clientOf(registry, tampering.host), repository, indexDigest),
    ).rejects.toThrow(RegistryTrustError)
    expect(
      (await readManifestFacts(clientOf(registry, honest.host), repository, indexDigest))?.children,
    ).toEqual([manifestDigest])
  })
})
