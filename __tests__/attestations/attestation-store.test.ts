import {describe, expect, test} from 'vitest'
import {sameAttestation} from '../../src/attestations/attest-outcome.js'
import {
  AttestationStore,
  type AttestationRegistry,
} from '../../src/attestations/attestation-store.js'
import {signEnvelope} from '../../src/attestations/dsse.js'
import {cosignKeySigner} from '../../src/attestations/envelope-signers.js'
import {
  attestationLayer,
  mergeAttestationLayers,
  signatureLayers,
} from '../../src/plan/cosign-payload.js'
import {checkAttestations} from '../fixtures/attestation-check.js'
import {makeSigningKey} from '../fixtures/cosign-check.js'
import {digestOf as sha, memoryRegistry} from '../fixtures/memory-registry.js'

/** The memory registry, with referrers answered with OCI-Subject when `referrersApi`. */
function referrerRegistry(referrersApi: boolean) {
  const memory = memoryRegistry()
  const {manifests, blobs} = memory
  const deleted: string[] = []
  const registry: AttestationRegistry = {
    ...memory,
    putReferrer: async (repository, body) => {
      manifests.set(`${repository}:${sha(body)}`, body)
      const subject = (JSON.parse(body.toString()) as {subject: {digest: string}}).subject.digest
      return {digest: sha(body), subject: referrersApi ? subject : undefined}
    },
    deleteManifest: async (repository, reference) => {
      deleted.push(reference)
      return manifests.delete(`${repository}:${reference}`)
    },
  }
  return {registry, manifests, blobs, deleted}
}

const image = Buffer.from('{"schemaVersion":2}')
const target = {repository: 'ns/app', imageName: 'r.example/ns/app', digest: sha(image)}
const attTag = `ns/app:${target.digest.replace(':', '-')}.att`
const PROVENANCE = 'https://slsa.dev/provenance/v1'
const payload = Buffer.from(
  JSON.stringify({
    subject: [{digest: {sha256: target.digest.slice(7)}}],
    predicateType: PROVENANCE,
  }),
)

function layersOf(manifests: Map<string, Buffer>): ReturnType<typeof signatureLayers> {
  return signatureLayers(manifests.get(attTag)?.toString())
}

describe('the .att manifest', () => {
  test('an attestation is added next to what is there (another tool’s layer stays); the same statement signed again by this key is not added twice', async () => {
    const {registry, manifests} = referrerRegistry(false)
    manifests.set('ns/app:' + target.digest, image)
    const key = makeSigningKey()
    const signers = [cosignKeySigner(key.privateKey)]
    const store = new AttestationStore(registry, sameAttestation(signers))
    // Someone else's attestation already there.
    const foreign = Buffer.from(
      JSON.stringify({
        payloadType: 'application/vnd.in-toto+json',
        payload: Buffer.from('{"predicateType":"https://example/other"}').toString('base64'),
        signatures: [],
      }),
    )
    await registry.putBlob('ns/app', foreign)
    const foreignLayer = attestationLayer(foreign, sha(foreign), 'https://example/other')
    manifests.set(
      attTag,
      Buffer.from(
        JSON.stringify({
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {mediaType: 'application/vnd.oci.image.config.v1+json'},
          layers: [foreignLayer],
        }),
      ),
    )

    const lines: string[] = []
    const envelope = await signEnvelope(payload, signers)
    const where = await store.store(target, {predicateType: PROVENANCE, payload, envelope}, (l) =>
      lines.push(l),
    )
    expect(where).toEqual([`r.example/${attTag}`])
    expect(layersOf(manifests).map((layer) => layer.digest)).toEqual([sha(foreign), sha(envelope)])

    // Signed again (ECDSA signatures differ each time): recognised, not added.
    const again = await signEnvelope(payload, signers)
    expect(again.equals(envelope)).toBe(false)
    await store.store(target, {predicateType: PROVENANCE, payload, envelope: again}, (l) =>
      lines.push(l),
    )
    expect(layersOf(manifests)).toHaveLength(2)
    expect(lines.some((line) => line.includes('already attested'))).toBe(true)

    // Another key's signature of the same statement is not this key's: it is added.
    const other = [cosignKeySigner(makeSigningKey().privateKey)]
    await new AttestationStore(registry, sameAttestation(other)).store(
      target,
      {predicateType: PROVENANCE, payload, envelope: await signEnvelope(payload, other)},
      () => {},
    )
    expect(layersOf(manifests)).toHaveLength(3)
    const verdict = await checkAttestations(registry, 'ns/app', target.digest, key.publicKey)
    expect(verdict.found.filter((found) => found.verified === 1)).toHaveLength(1)
  })

  test('mergeAttestationLayers adds, keeps the others, and adds an identical layer once', () => {
    const one = attestationLayer(Buffer.from('1'), sha(Buffer.from('1')), PROVENANCE)
    const two = attestationLayer(Buffer.from('2'), sha(Buffer.from('2')), PROVENANCE)
    expect(mergeAttestationLayers([], one)).toEqual([one])
    expect(mergeAttestationLayers([one], two)).toEqual([one, two])
    expect(mergeAttestationLayers([one, two], one)).toBeUndefined()
  })
})

describe('referrers', () => {
  test('a registry that answers OCI-Subject keeps the referrer, and the reference is returned', async () => {
    const {registry, manifests} = referrerRegistry(true)
    manifests.set('ns/app:' + target.digest, image)
    const store = new AttestationStore(registry, sameAttestation([]))
    const envelope = await signEnvelope(payload, [])
    const where = await store.store(
      target,
      {predicateType: PROVENANCE, payload, envelope},
      () => {},
    )
    expect(where).toHaveLength(2)
    const referrer = JSON.parse(
      manifests.get(`ns/app:${where[1].split('@')[1]}`)?.toString() ?? '{}',
    ) as {artifactType: string; subject: {digest: string; size: number}; layers: {digest: string}[]}
    expect(referrer.artifactType).toBe('application/vnd.dsse.envelope.v1+json')
    expect(referrer.subject).toMatchObject({digest: target.digest, size: image.length})
    expect(referrer.layers[0].digest).toBe(sha(envelope))
  })

  test('a registry without the API: the manifest goes again, and the log says so once', async () => {
    const {registry, manifests, deleted} = referrerRegistry(false)
    manifests.set('ns/app:' + target.digest, image)
    const store = new AttestationStore(registry, sameAttestation([]))
    const lines: string[] = []
    for (const kind of ['a', 'b']) {
      const statement = Buffer.from(`{"kind":"${kind}"}`)
      const where = await store.store(
        target,
        {predicateType: kind, payload: statement, envelope: await signEnvelope(statement, [])},
        (l) => lines.push(l),
      )
      expect(where).toEqual([`r.example/${attTag}`])
    }
    expect(deleted).toHaveLength(1)
    expect(lines.filter((line) => line.includes('registry has no referrers API'))).toHaveLength(1)
  })
})
