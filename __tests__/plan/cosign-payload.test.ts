import {describe, expect, test} from 'vitest'
import {
  cosignPayload,
  layerSignature,
  signatureConfig,
  signatureLayers,
  signatureManifest,
  signatureTag,
  type SignatureLayer,
} from '../../src/plan/cosign-payload.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`

describe('the simple signing payload', () => {
  test.each([
    {
      why: 'a registry with a port keeps it in the identity',
      reference: '127.0.0.1:5000/ns/todo-frontend',
    },
    {why: 'an OCIR repository path with slashes', reference: 'iad.ocir.io/ns1/team/api'},
  ])('$why', ({reference}) => {
    expect(cosignPayload(reference, DIGEST).toString()).toBe(
      `{"critical":{"identity":{"docker-reference":"${reference}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"cosign container image signature"},"optional":null}`,
    )
  })

  test.each([
    {why: 'a tag is not a digest', digest: 'latest'},
    {why: 'a short digest', digest: 'sha256:abc'},
    {why: 'another algorithm', digest: `sha512:${'a'.repeat(128)}`},
  ])('refuses to sign what is not a sha256 digest: $why', ({digest}) => {
    expect(() => cosignPayload('h/r', digest)).toThrow(/not a sha256 digest/)
  })
})

test.each([
  {
    why: 'the colon becomes a dash and .sig is appended',
    digest: DIGEST,
    want: `sha256-${'ab'.repeat(32)}.sig`,
  },
])('signature tag: $why', ({digest, want}) => {
  expect(signatureTag(digest)).toBe(want)
})

const layer = (n: number, signature = `sig${n}`): SignatureLayer => ({
  mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  size: 10 + n,
  digest: `sha256:${String(n).repeat(64)}`,
  annotations: {'dev.cosignproject.cosign/signature': signature},
})

describe('an existing .sig manifest', () => {
  test.each([
    {why: 'none yet', existing: undefined, want: []},
    {why: 'not JSON', existing: '<html>', want: []},
    {why: 'JSON without layers', existing: '{"manifests":[]}', want: []},
    {
      why: 'every layer is kept, a foreign one included',
      existing: JSON.stringify({layers: [layer(1), {mediaType: 'x', size: 1, digest: 'sha256:2'}]}),
      want: [layer(1), {mediaType: 'x', size: 1, digest: 'sha256:2'}],
    },
  ])('$why', ({existing, want}) => {
    expect(signatureLayers(existing)).toEqual(want)
  })

  test.each([
    {why: 'a simple signing layer has its signature', layer: layer(1), want: 'sig1'},
    {
      why: 'another media type has none',
      layer: {...layer(1), mediaType: 'application/vnd.dsse.envelope.v1+json'},
      want: undefined,
    },
  ])('$why', ({layer: given, want}) => {
    expect(layerSignature(given)).toBe(want)
  })
})

test('the manifest lists every layer in order under an OCI config whose diff ids are the layers', () => {
  const layers = [layer(1), layer(2)]
  const config = JSON.parse(signatureConfig(layers).toString()) as {
    rootfs: {type: string; diff_ids: string[]}
    history: unknown[]
  }
  expect(config.rootfs).toEqual({type: 'layers', diff_ids: layers.map((l) => l.digest)})
  expect(config.history).toHaveLength(2)
  expect(JSON.parse(signatureManifest(layers, {size: 5, digest: 'sha256:c'}).toString())).toEqual({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {mediaType: 'application/vnd.oci.image.config.v1+json', size: 5, digest: 'sha256:c'},
    layers,
  })
})
