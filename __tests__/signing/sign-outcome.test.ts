import {expect, test} from 'vitest'
import type {DigestSigner, SignTarget} from '../../src/adapters/ports.js'
import type {ImagePlan} from '../../src/plan/push-plan.js'
import type {ImageOutcome} from '../../src/release/image-outcome.js'
import {signOutcome} from '../../src/signing/sign-outcome.js'

const d = (c: string): string => `sha256:${c.repeat(64)}`
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
const index = (children: object[]) => ({
  body: Buffer.from(JSON.stringify({manifests: children})),
  mediaType: 'application/vnd.oci.image.index.v1+json',
  digest: d('a'),
})

test.each([
  {
    why: 'a single manifest: its digest only',
    given: outcome({digest: d('a')}),
    manifest: {
      body: Buffer.from('{}'),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: d('a'),
    },
    want: [d('a')],
  },
  {
    why: 'a merge: the index and each platform manifest, once each',
    given: outcome({
      digest: d('a'),
      platforms: [{platform: 'linux/amd64', ref: 'x', digest: d('b')}],
    }),
    manifest: index([
      {digest: d('b'), platform: {os: 'linux'}},
      {digest: d('c'), platform: {os: 'linux'}},
    ]),
    want: [d('a'), d('b'), d('c')],
  },
  {
    why: 'a buildx index with attestations: those are not images, so not signed',
    given: outcome({digest: d('a')}),
    manifest: index([
      {digest: d('b'), platform: {os: 'linux'}},
      {
        digest: d('c'),
        platform: {os: 'unknown'},
        annotations: {'vnd.docker.reference.type': 'attestation-manifest'},
      },
    ]),
    want: [d('a'), d('b')],
  },
])('$why', async ({given, manifest, want}) => {
  const signed: SignTarget[] = []
  const signer: DigestSigner = {
    kind: 'fake',
    sign: async (target) => (signed.push(target), `at-${target.digest.slice(7, 9)}`),
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
  const step = signOutcome([{kind: 'fake', sign: async () => 'x'}], {
    getManifest: async () => undefined,
  })
  await expect(step(plan, outcome({digest: ''}), () => {})).rejects.toThrow(
    /no digest .* cannot be signed/,
  )
})
