/**
 * Signed releases of the todo app through `node dist/index.js` (issue 15):
 * - cosign signatures with `sign-key`: every pushed digest (an index and each platform manifest
 *   for a merge) verifies with the public key, names that digest and repository, and fails with
 *   another key; cosign's encrypted key works too, and adds its signature next to the first;
 * - OCIR signatures with an OCI Vault key, against the OCI double behind an OCIR-like front: one
 *   registered signature per digest, each verifying with the key's public half;
 * - a signing failure on one image leaves every moving tag of every image where it was.
 * No cosign can run here: the checks follow cosign's SIGNATURE_SPEC (fixtures/cosign-check.ts).
 */
import {verify} from 'node:crypto'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {checkCosignSignature, cosignEncryptedKey, makeSigningKey} from '../fixtures/cosign-check.js'
import {
  makeVaultKey,
  PSS,
  startOciDouble,
  type OciDouble,
  type VaultKey,
} from '../fixtures/oci-double.js'
import {startOcirFront, type OcirFront} from '../fixtures/ocir-front.js'
import {indexChildren, registryDigest} from '../fixtures/registry-probe.js'
import {registryReader} from '../fixtures/registry-reader.js'
import {PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {multiArchInputs, testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const WORKSPACE = join(PROJECT_ROOT, 'examples/todo-app')
const TWO_IMAGES = '- todo-frontend: frontend\n- todo-backend: backend'
const OTHER_SHA = 'fedcba9876543210fedcba9876543210fedcba98'

interface ImageRow {
  name: string
  repository: string
  digest: string
  status: string
}

async function release(inputs: Record<string, string>, sha?: string) {
  const run = await runAction({
    inputs,
    workspace: WORKSPACE,
    sha,
    env: {OCIR_PUSH_RETRY_BASE_MS: '10'},
  })
  await runPost(run)
  return {
    run,
    images: JSON.parse(run.outputs.images ?? '[]') as ImageRow[],
    signatures: JSON.parse(run.outputs.signatures ?? '{}') as Record<
      string,
      Record<string, string[]>
    >,
  }
}

describe('cosign signatures with sign-key', () => {
  const registry = env.registries.htpasswd
  const first = makeSigningKey()
  const second = makeSigningKey()
  const stranger = makeSigningKey()

  test('every pushed digest verifies with the public key and names its digest and repository; another key fails; the key in cosign’s encrypted format works too', async () => {
    const namespace = uniqueNamespace('sig')
    const inputs = {
      registry: registry.host,
      namespace,
      username: registry.username as string,
      'auth-token': registry.password as string,
      images: TWO_IMAGES,
      builder: 'docker',
      retries: '1',
    }
    const signed = await release({...inputs, 'sign-key': first.pkcs8Pem})
    expect(signed.run.errors).toEqual([])
    expect(signed.run.exitCode).toBe(0)
    expect(signed.run.summary).toContain('<th>signatures</th>')
    const client = registryReader(registry)
    for (const image of signed.images) {
      const repository = `${namespace}/${image.name}`
      expect(image.status).toBe('pushed')
      expect(signed.signatures[image.name]).toEqual({
        [image.digest]: [`cosign: ${image.repository}:${image.digest.replace(':', '-')}.sig`],
      })
      const verdict = await checkCosignSignature(
        client,
        repository,
        image.repository,
        image.digest,
        first.publicKey,
      )
      expect(verdict).toEqual({verified: 1, problems: []})
      expect(
        (
          await checkCosignSignature(
            client,
            repository,
            image.repository,
            image.digest,
            stranger.publicKey,
          )
        ).verified,
      ).toBe(0)
      // The moving tags name the signed digest.
      expect(await registryDigest(registry, repository, 'latest')).toBe(image.digest)
    }

    // A later commit, signed with a key in cosign's encrypted format (scrypt + secretbox).
    const again = await release(
      {
        ...inputs,
        'sign-key': cosignEncryptedKey(second.privateKey, 'correct horse'),
        'sign-key-password': 'correct horse',
      },
      OTHER_SHA,
    )
    expect(again.run.errors).toEqual([])
    expect(again.run.exitCode).toBe(0)
    for (const image of again.images) {
      const repository = `${namespace}/${image.name}`
      const verdict = await checkCosignSignature(
        client,
        repository,
        image.repository,
        image.digest,
        second.publicKey,
      )
      expect(verdict).toEqual({verified: 1, problems: []})
      expect(
        (
          await checkCosignSignature(
            client,
            repository,
            image.repository,
            image.digest,
            stranger.publicKey,
          )
        ).verified,
      ).toBe(0)
    }
  })

  test('a multi-arch merge signs the index and each platform manifest', async () => {
    const token = env.registries.token
    const namespace = uniqueNamespace('sigma')
    const base = multiArchInputs(token, namespace)
    for (const platforms of ['linux/amd64', 'linux/arm64']) {
      const leg = await release({...base, stage: 'platform', platforms})
      expect(leg.run.errors).toEqual([])
    }
    const merge = await release({
      ...base,
      stage: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      'sign-key': first.pkcs8Pem,
    })
    expect(merge.run.errors).toEqual([])
    expect(merge.run.exitCode).toBe(0)
    const [image] = merge.images
    const repository = `${namespace}/todo-frontend`
    const digests = [image.digest, ...(await indexChildren(token, repository, image.digest))]
    expect(digests).toHaveLength(3)
    expect(Object.keys(merge.signatures['todo-frontend'])).toEqual(digests)
    const client = registryReader(token)
    for (const digest of digests) {
      expect(
        await checkCosignSignature(client, repository, image.repository, digest, first.publicKey),
      ).toEqual({
        verified: 1,
        problems: [],
      })
      expect(
        (
          await checkCosignSignature(
            client,
            repository,
            image.repository,
            digest,
            stranger.publicKey,
          )
        ).verified,
      ).toBe(0)
    }
  })
})

test('a dry run lists what it would sign: each image, and each platform manifest of a merge', async () => {
  const key = makeSigningKey()
  const base = {
    registry: 'iad.ocir.io',
    namespace: 'ns1',
    username: 'jdoe',
    'auth-token': 'never-used',
    images: TWO_IMAGES,
    'dry-run': 'true',
    'sign-key': key.pkcs8Pem,
  }
  const all = await runAction({inputs: base, workspace: WORKSPACE})
  expect(all.errors).toEqual([])
  for (const name of ['todo-frontend', 'todo-backend'])
    expect(all.summary).toMatch(
      new RegExp(`# sign iad\\.ocir\\.io/ns1/${name}@.*pushed digest.* with the cosign key`),
    )
  const merge = await runAction({
    inputs: {...base, stage: 'merge', platforms: 'linux/amd64,linux/arm64'},
    workspace: WORKSPACE,
  })
  expect(merge.errors).toEqual([])
  expect(merge.summary.match(/# sign iad\.ocir\.io\/ns1\/todo-frontend@/g)).toHaveLength(3)
  expect(merge.summary).toMatch(/todo-frontend@.*linux\/arm64 manifest digest/)
})

describe('OCIR signatures with an OCI Vault key, against the OCI double', () => {
  let double: OciDouble
  let front: OcirFront
  let vaultKey: VaultKey
  let oci: Record<string, string>
  let namespace: string

  beforeAll(async () => {
    namespace = uniqueNamespace('kms')
    vaultKey = makeVaultKey()
    const token = env.registries.token
    const started = await startOciDouble({
      namespace,
      vaultKeys: [vaultKey],
      imageExists: async (repository, digest) =>
        (await registryDigest(token, repository, digest)) === digest,
    })
    double = started.double
    oci = {
      'oci-user': started.userId,
      'oci-tenancy': started.tenancyId,
      'oci-fingerprint': started.key.fingerprint,
      'oci-private-key': started.key.privateKeyPem,
      'oci-region': 'us-ashburn-1',
      'oci-endpoint': double.url,
      'sign-kms-key-id': vaultKey.keyId,
      'sign-kms-key-version-id': vaultKey.keyVersionId,
      'sign-kms-crypto-endpoint': double.url,
      // These tests count and fail KMS Sign calls of OCIR signatures only (attestations.test.ts
      // has the Vault key's attestations).
      attestations: 'none',
    }
    front = await startOcirFront(double, double.url, env)
  })
  afterAll(async () => {
    await front?.close()
    await double?.stop()
  })

  test('one registered signature per digest, each verifying with the key’s public half', async () => {
    const inputs = {
      registry: front.host,
      ...oci,
      images: TWO_IMAGES,
      builder: 'docker',
      retries: '1',
    }
    const signed = await release(inputs)
    expect(signed.run.errors).toEqual([])
    expect(signed.run.exitCode).toBe(0)
    expect(double.calls.Sign).toBe(2)
    for (const image of signed.images) {
      const registered = double.signatures.filter(
        (signature) => double.lookedUpImages.get(signature.imageId)?.digest === image.digest,
      )
      expect(registered).toHaveLength(1)
      const [signature] = registered
      expect(signed.signatures[image.name]).toEqual({[image.digest]: [`ocir: ${signature.id}`]})
      const message = Buffer.from(signature.message, 'base64')
      expect(JSON.parse(message.toString('utf8'))).toEqual({
        description: expect.stringContaining('ocir-push'),
        imageDigest: image.digest,
        kmsKeyId: vaultKey.keyId,
        kmsKeyVersionId: vaultKey.keyVersionId,
        metadata: '',
        region: 'us-ashburn-1',
        repositoryName: image.name,
        signingAlgorithm: 'SHA_256_RSA_PKCS_PSS',
      })
      expect(signature.signingAlgorithm).toBe('SHA_256_RSA_PKCS_PSS')
      const bytes = Buffer.from(signature.signature, 'base64')
      expect(verify('sha256', message, {key: vaultKey.publicKey, ...PSS}, bytes)).toBe(true)
      expect(verify('sha256', message, {key: makeVaultKey().publicKey, ...PSS}, bytes)).toBe(false)
    }
    // The KMS answers stay out of everything the run wrote.
    const written = `${signed.run.stdout}\n${signed.run.stderr}\n${JSON.stringify(signed.run.outputs)}\n${signed.run.summary}`
    for (const issued of double.issuedSignatures) expect(written).not.toContain(issued)

    expect(double.signatures).toHaveLength(2)
  })

  test('a signing failure on one image leaves every moving tag of every image where it was', async () => {
    const token = env.registries.token
    const images =
      '- todo-frontend: frontend\n- todo-backend: backend\n- todo-notification: notification'
    const inputs = {registry: front.host, ...oci, images, builder: 'docker', retries: '1'}
    const before = await release(inputs)
    expect(before.run.exitCode).toBe(0)
    const tagsBefore: Record<string, Record<string, string | undefined>> = {}
    for (const image of before.images) {
      tagsBefore[image.name] = {}
      for (const tag of ['latest', 'main'])
        tagsBefore[image.name][tag] = await registryDigest(token, `${namespace}/${image.name}`, tag)
      expect(tagsBefore[image.name].latest).toBe(image.digest)
    }

    // A later commit; the vault refuses one Sign call.
    double.fail('Sign', 1, 400, 'InvalidParameter', 'The key is disabled')
    const failed = await release(inputs, OTHER_SHA)
    expect(failed.run.exitCode).not.toBe(0)
    expect(failed.run.errors.join('\n')).toMatch(/KMS Sign .*The key is disabled/)
    expect(failed.run.errors.join('\n')).toMatch(/No moving tag .* was changed/)
    for (const image of failed.images) {
      const repository = `${namespace}/${image.name}`
      // The immutable reference was pushed; no moving tag moved.
      expect(await registryDigest(token, repository, `sha-${OTHER_SHA.slice(0, 7)}`)).toBe(
        image.digest,
      )
      expect(image.digest).not.toBe(tagsBefore[image.name].latest)
      for (const tag of ['latest', 'main'])
        expect(await registryDigest(token, repository, tag), `${repository}:${tag}`).toBe(
          tagsBefore[image.name][tag],
        )
    }
  })
})
