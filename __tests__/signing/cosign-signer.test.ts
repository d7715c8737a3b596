import {describe, expect, test} from 'vitest'
import {CosignSigner} from '../../src/signing/cosign-signer.js'
import {checkCosignSignature, makeSigningKey} from '../fixtures/cosign-check.js'
import {memoryRegistry} from '../fixtures/memory-registry.js'

const target = {
  repository: 'ns/todo-frontend',
  imageName: 'registry.example:5000/ns/todo-frontend',
  digest: `sha256:${'e'.repeat(64)}`,
}
const sigTag = `ns/todo-frontend:sha256-${'e'.repeat(64)}.sig`

describe('cosign signatures in the .sig manifest', () => {
  test('a second key adds a layer next to the first; both verify; a key signs a digest once', async () => {
    const registry = memoryRegistry()
    const first = makeSigningKey()
    const second = makeSigningKey()
    const lines: string[] = []
    const where = await new CosignSigner(registry, first.privateKey).sign(target, (l) =>
      lines.push(l),
    )
    expect(where).toBe(`registry.example:5000/${sigTag}`)
    await new CosignSigner(registry, second.privateKey).sign(target, (l) => lines.push(l))
    await new CosignSigner(registry, first.privateKey).sign(target, (l) => lines.push(l))
    const manifest = JSON.parse(registry.manifests.get(sigTag)?.toString() ?? '{}') as {
      layers: unknown[]
    }
    expect(manifest.layers).toHaveLength(2)
    for (const key of [first, second]) {
      expect(
        await checkCosignSignature(
          registry,
          target.repository,
          target.imageName,
          target.digest,
          key.publicKey,
        ),
      ).toMatchObject({verified: 1})
    }
    expect(lines[2]).toMatch(/already signed with this key/)
  })

  test('a signature names its digest: it does not verify for another digest', async () => {
    const registry = memoryRegistry()
    const key = makeSigningKey()
    await new CosignSigner(registry, key.privateKey).sign(target, () => {})
    // The same layers copied under another digest's tag: the payload names the first digest.
    const other = `sha256:${'f'.repeat(64)}`
    registry.manifests.set(
      `ns/todo-frontend:sha256-${'f'.repeat(64)}.sig`,
      registry.manifests.get(sigTag) as Buffer,
    )
    const verdict = await checkCosignSignature(
      registry,
      target.repository,
      target.imageName,
      other,
      key.publicKey,
    )
    expect(verdict.verified).toBe(0)
    expect(verdict.problems[0]).toMatch(/payload names sha256:e/)
  })
})
