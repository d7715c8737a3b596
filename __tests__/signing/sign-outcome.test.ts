import {createHash} from 'node:crypto'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, expect, test} from 'vitest'
import {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import type {DigestSigner, SignTarget} from '../../src/ports.js'
import type {ImagePlan} from '../../src/plan/push-plan.js'
import type {ImageOutcome} from '../../src/release/image-outcome.js'
import {signOutcome} from '../../src/signing/sign-outcome.js'

const d = (c: string): string => `sha256:${c.repeat(64)}`
const sha256 = (body: Buffer): string => `sha256:${createHash('sha256').update(body).digest('hex')}`
const plan = {repository: 'ns/app', imageName: 'reg/ns/app'} as ImagePlan
const outcome = (fields: Partial<ImageOutcome>): ImageOutcome =>
  ({
    name: 'app',
    repository: 'ns/app',
    imageName: 'reg/ns/app',
    refs: [],
    digest: '',
    pushed: true,
    status: 'pushed',
    durationMs: 0,
    built: true,
    ...fields,
  }) as ImageOutcome
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
const index = (children: object[]) => {
  const body = Buffer.from(JSON.stringify({manifests: children}))
  return {body, mediaType: INDEX_TYPE, digest: sha256(body)}
}
const single = {
  body: Buffer.from('{}'),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: sha256(Buffer.from('{}')),
}

/** `top` in `want` stands for the pushed digest: the hash of the manifest the registry holds. */
test.each([
  {
    why: 'a single manifest: its digest only',
    given: {},
    manifest: single,
    want: ['top'],
  },
  {
    why: 'a merge: the index and each platform manifest, once each',
    given: {platforms: [{platform: 'linux/amd64', ref: 'x', digest: d('b')}]},
    manifest: index([
      {digest: d('b'), platform: {os: 'linux'}},
      {digest: d('c'), platform: {os: 'linux'}},
    ]),
    want: ['top', d('b'), d('c')],
  },
  {
    why: 'a buildx index with attestations: those are not images, so not signed',
    given: {},
    manifest: index([
      {digest: d('b'), platform: {os: 'linux'}},
      {
        digest: d('c'),
        platform: {os: 'unknown'},
        annotations: {'vnd.docker.reference.type': 'attestation-manifest'},
      },
    ]),
    want: ['top', d('b')],
  },
])('$why', async ({given: fields, manifest, want: wanted}) => {
  const given = outcome({...fields, digest: manifest.digest})
  const want = wanted.map((digest) => (digest === 'top' ? manifest.digest : digest))
  const signed: SignTarget[] = []
  const signer: DigestSigner = {
    kind: 'fake',
    sign: async (target) => (signed.push(target), `at-${target.digest.slice(7, 9)}`),
    signed: async () => false,
  }
  const signatures = await signOutcome([signer], {getManifest: async () => manifest})(
    plan,
    given,
    () => {},
  )
  expect(signed.map((target) => target.digest)).toEqual(want)
  expect(Object.keys(signatures)).toEqual(want)
  expect(signatures[want[0]]).toEqual([`fake: at-${want[0].slice(7, 9)}`])
})

test('an image without a digest cannot be signed, which fails it', async () => {
  const step = signOutcome([{kind: 'fake', sign: async () => 'x', signed: async () => false}], {
    getManifest: async () => undefined,
  })
  await expect(step(plan, outcome({digest: ''}), () => {})).rejects.toThrow(
    /no digest .* cannot be signed/,
  )
})

/** A signer that records every call: none may happen when the digests cannot be trusted. */
function recordingSigner(): DigestSigner & {calls: string[]} {
  const calls: string[] = []
  return {
    kind: 'fake',
    calls,
    sign: async (target) => (calls.push(`sign ${target.digest}`), 'x'),
    signed: async (target) => (calls.push(`signed? ${target.digest}`), false),
  }
}

test.each([
  {
    why: 'an index whose bytes do not hash to the pushed digest (the registry swapped it)',
    given: {digest: sha256(Buffer.from('what was pushed'))},
    // The answer claims the digest asked for, as a lying registry (or a port without checks) would.
    manifest: {...index([{digest: d('e'), platform: {os: 'linux'}}]), digest: 'asked'},
    error:
      /nothing of ns\/app was signed: the manifest read by the pushed digest sha256:[0-9a-f]{64} hashes to sha256:[0-9a-f]{64}/,
  },
  {
    why: 'an index that lists a child that is not a sha256 digest',
    manifest: index([{digest: '../../victim/manifests/latest', platform: {os: 'linux'}}]),
    error: /lists "\.\.\/\.\.\/victim\/manifests\/latest", which is not a sha256 digest/,
  },
  {
    why: 'a pushed digest that is not a sha256 digest',
    given: {digest: 'sha512:abc'},
    manifest: single,
    error: /'sha512:abc' is not a sha256 digest/,
  },
  {
    why: 'a platform digest that is not a sha256 digest',
    given: {platforms: [{platform: 'linux/amd64', ref: 'x', digest: 'sha256:ABC'}]},
    manifest: index([]),
    error: /'sha256:ABC' is not a sha256 digest/,
  },
])('signs nothing for $why', async ({given, manifest, error}) => {
  const signer = recordingSigner()
  const step = signOutcome([signer], {
    getManifest: async (ref) => ({...manifest, digest: ref.reference}),
  })
  await expect(step(plan, outcome({digest: manifest.digest, ...given}), () => {})).rejects.toThrow(
    error,
  )
  expect(signer.calls).toEqual([])
})

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

test('through the HTTP client: a registry that answers the pushed digest with another index gets nothing signed', async () => {
  const pushed = index([{digest: d('b'), platform: {os: 'linux'}}])
  const swapped = index([{digest: d('f'), platform: {os: 'linux'}}])
  const asked: string[] = []
  server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`)
    // Same digest header as the pushed index, other bytes.
    res
      .writeHead(200, {'content-type': INDEX_TYPE, 'docker-content-digest': pushed.digest})
      .end(swapped.body)
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  const registry = new RegistryHttpClient({
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    insecure: true,
    retry: {retries: 0, baseMs: 1},
  })
  const signer = recordingSigner()
  await expect(
    signOutcome([signer], registry)(plan, outcome({digest: pushed.digest}), () => {}),
  ).rejects.toThrow(
    new RegExp(
      `ns/app@${pushed.digest} on 127\\.0\\.0\\.1:\\d+ returned bytes whose digest is ${swapped.digest}`,
    ),
  )
  expect(asked).toEqual([`GET /v2/ns/app/manifests/${pushed.digest}`])
  expect(signer.calls).toEqual([])
})
