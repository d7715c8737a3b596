/**
 * Signatures go with their image (`stage: cleanup`): five releases of one image on main, each
 * signed with `sign-key` (cosign `.sig` manifests), then a cleanup with `keep-last: 2`, through
 * `node dist/index.js` against the token-auth registry, and through OCIR's Artifacts API (the OCI
 * double behind the OCIR-like front). The `.sig` manifests are not versions: the two newest
 * images stay with their signatures, which still verify, and every other image goes, its
 * signature right after it. A signature left behind by a digest deleted earlier goes too.
 */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {beforeAll, describe, expect, test} from 'vitest'
import {readManifestFacts} from '../../src/adapters/registry-catalog.js'
import {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import {checkCosignSignature, makeSigningKey} from '../fixtures/cosign-check.js'
import {startOciDouble, apiKeyInputs} from '../fixtures/oci-double.js'
import {startOcirFront} from '../fixtures/ocir-front.js'
import {registryDigest, registryTagMap} from '../fixtures/registry-probe.js'
import {runAction, runPost, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.token
const IMAGE = 'app'
const EPOCH = 1_700_000_000
const REPOSITORY_DATA = {
  default_branch: 'main',
  full_name: 'acme/todo',
  html_url: 'https://github.com/acme/todo',
}
const SCHEDULE = {schedule: '0 3 * * 0', repository: REPOSITORY_DATA}
const key = makeSigningKey()

const workspace = mkdtempSync(join(process.env.RUNNER_TEMP ?? '/tmp', 'cleanup-sig-ws-'))
mkdirSync(join(workspace, 'app'))
writeFileSync(join(workspace, 'app', 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /\n')
writeFileSync(join(workspace, 'app', 'hello.txt'), 'hello\n')

const credentials = {
  username: registry.username as string,
  'auth-token': registry.password as string,
}
const client = new RegistryHttpClient({
  host: registry.host,
  insecure: true,
  username: registry.username,
  password: registry.password,
  retry: {retries: 1, baseMs: 50},
})

const shaOf = (n: number): string => `${n}`.repeat(7).padEnd(40, 'c')
const sigTag = (digest: string): string => `${digest.replace(':', '-')}.sig`

/** One signed release on main at commit `n`, created `n` hours after EPOCH; its digest. */
async function release(namespace: string, n: number): Promise<string> {
  const sha = shaOf(n)
  const run = await runAction({
    inputs: {
      registry: registry.host,
      ...credentials,
      namespace,
      images: `- ${IMAGE}: ./app`,
      builder: 'buildah',
      'sign-key': key.pkcs8Pem,
      // Signatures only: attestations.test.ts has the cleanup of `.att` manifests.
      attestations: 'none',
      retries: '1',
    },
    ref: 'refs/heads/main',
    event: {ref: 'refs/heads/main', after: sha, repository: REPOSITORY_DATA},
    sha,
    workspace,
    env: {SOURCE_DATE_EPOCH: String(EPOCH + n * 3600), OCIR_PUSH_RETRY_BASE_MS: '10'},
  })
  await runPost(run)
  expect(run.errors, `release ${n}`).toEqual([])
  const [image] = JSON.parse(run.outputs.images) as {digest: string}[]
  return image.digest
}

/** Every tag of the image and the digest it names. */
function tagMap(namespace: string): Promise<Record<string, string>> {
  return registryTagMap(registry, `${namespace}/${IMAGE}`)
}

async function verified(namespace: string, digest: string): Promise<number> {
  const verdict = await checkCosignSignature(
    client,
    `${namespace}/${IMAGE}`,
    `${registry.host}/${namespace}/${IMAGE}`,
    digest,
    key.publicKey,
  )
  expect(verdict.problems, digest).toEqual([])
  return verdict.verified
}

/** Each deleted digest's `.sig` tag is deleted after the digest itself. */
function expectSignaturesAfterImages(references: string[], image: string, digests: string[]) {
  for (const digest of digests) {
    const imageAt = references.indexOf(`${image}@${digest}`)
    const signatureAt = references.indexOf(`${image}:${sigTag(digest)}`)
    expect(imageAt, digest).toBeGreaterThan(-1)
    expect(signatureAt, digest).toBeGreaterThan(imageAt)
  }
}

describe('cleanup of signed releases: signatures go with their image', () => {
  let namespace: string
  /** The releases' digests, oldest first. */
  const digests: string[] = []

  beforeAll(async () => {
    namespace = uniqueNamespace('csig')
    for (let n = 1; n <= 5; n++) digests.push(await release(namespace, n))
    expect(new Set(digests).size).toBe(5)
    const tags = await tagMap(namespace)
    for (const digest of digests) expect(tags[sigTag(digest)], digest).toBeDefined()
  })

  test('through the Artifacts API (OCI double): keep-last 2 keeps the two newest images and their signatures, and nothing else', async () => {
    const started = await startOciDouble({namespace})
    const {double, compartments} = started
    const front = await startOcirFront(double, double.url, env)
    try {
      // What OCIR would hold after the same pushes: one image per digest with its tags, each
      // signature pushed a minute after the image it signs.
      const byDigest = new Map<string, string[]>()
      for (const [tag, digest] of Object.entries(await tagMap(namespace)))
        byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag])
      const created = new Map<string, Date>()
      for (const digest of digests) {
        const facts = await readManifestFacts(client, `${namespace}/${IMAGE}`, digest)
        created.set(digest, facts?.created as Date)
      }
      const images = [...byDigest].map(([digest, tags]) => {
        const signed = digests.find((candidate) => tags.includes(sigTag(candidate)))
        const time = signed
          ? new Date((created.get(signed) as Date).getTime() + 60_000)
          : (created.get(digest) as Date)
        return {digest, tags, timeCreated: time}
      })
      expect(images).toHaveLength(10)
      double.seedImages(compartments[1], IMAGE, images)

      const cleanup = await runAction({
        inputs: {
          registry: front.host,
          namespace,
          ...apiKeyInputs(started),
          images: IMAGE,
          stage: 'cleanup',
          'keep-last': '2',
          retries: '0',
        },
        eventName: 'schedule',
        event: SCHEDULE,
        workspace,
      })
      await runPost(cleanup)
      expect(cleanup.errors).toEqual([])
      expect(cleanup.exitCode).toBe(0)
      expect(double.calls.DeleteContainerImage).toBe(6)
      expect(double.calls.RemoveContainerVersion).toBe(0)

      const kept = digests.slice(3)
      const signatureOf = (digest: string): string =>
        images.find((image) => image.tags.includes(sigTag(digest)))?.digest as string
      const remaining = double.availableImages(IMAGE)
      expect(remaining.map((image) => image.digest).sort()).toEqual(
        [...kept, ...kept.map(signatureOf)].sort(),
      )
      const remainingTags = remaining.flatMap((image) => image.tags)
      expect(remainingTags.filter((tag) => tag.endsWith('.sig')).sort()).toEqual(
        kept.map(sigTag).sort(),
      )

      const image = `${front.host}/${namespace}/${IMAGE}`
      const deleted = (JSON.parse(cleanup.outputs.deleted) as Record<string, string[]>)[IMAGE]
      expectSignaturesAfterImages(deleted, image, digests.slice(0, 3))
      // The registry behind the front still holds everything: the kept signatures verify.
      for (const digest of kept) expect(await verified(namespace, digest), digest).toBe(1)
    } finally {
      await front.close()
      await double.stop()
    }
  })

  test('through the registry API: the two newest images stay and verify, no signature of a deleted digest is left; a signature left behind earlier goes', async () => {
    const cleanup = (extra: Record<string, string> = {}): Promise<ActionRun> =>
      runAction({
        inputs: {
          registry: registry.host,
          ...credentials,
          namespace,
          images: IMAGE,
          stage: 'cleanup',
          'keep-last': '2',
          retries: '0',
          ...extra,
        },
        eventName: 'schedule',
        event: SCHEDULE,
        workspace,
      })
    const first = await cleanup()
    await runPost(first)
    expect(first.errors).toEqual([])
    expect(first.exitCode).toBe(0)

    const kept = digests.slice(3)
    const gone = digests.slice(0, 3)
    const after = await tagMap(namespace)
    const sha = (n: number): string => `sha-${shaOf(n).slice(0, 7)}`
    expect(Object.keys(after).sort()).toEqual(
      ['latest', 'main', sha(4), sha(5), ...kept.map(sigTag)].sort(),
    )
    expect(after[sha(4)]).toBe(digests[3])
    expect(after[sha(5)]).toBe(digests[4])
    for (const digest of kept) expect(await verified(namespace, digest), digest).toBe(1)
    for (const digest of gone) {
      expect(await registryDigest(registry, `${namespace}/${IMAGE}`, digest)).toBeUndefined()
      expect(
        await registryDigest(registry, `${namespace}/${IMAGE}`, sigTag(digest)),
      ).toBeUndefined()
    }
    const image = `${registry.host}/${namespace}/${IMAGE}`
    const deleted = (JSON.parse(first.outputs.deleted) as Record<string, string[]>)[IMAGE]
    expectSignaturesAfterImages(deleted, image, gone)
    expect(deleted.filter((ref) => ref.includes('@'))).toHaveLength(6)

    // A sixth release; then its predecessor's digest is deleted by hand (as a cleanup before
    // this fix did), leaving its signature behind: the next cleanup deletes that signature.
    digests.push(await release(namespace, 6))
    await client.deleteManifest(`${namespace}/${IMAGE}`, digests[4])
    const orphan = sigTag(digests[4])
    expect(await registryDigest(registry, `${namespace}/${IMAGE}`, orphan)).toBeDefined()
    const second = await cleanup()
    await runPost(second)
    expect(second.errors).toEqual([])
    expect(second.exitCode).toBe(0)
    expect((JSON.parse(second.outputs.deleted) as Record<string, string[]>)[IMAGE]).toEqual([
      `${image}:${orphan}`,
      expect.stringMatching(new RegExp(`^${image}@sha256:[0-9a-f]{64}$`)),
    ])
    const last = await tagMap(namespace)
    expect(Object.keys(last).sort()).toEqual(
      ['latest', 'main', sha(4), sha(6), sigTag(digests[3]), sigTag(digests[5])].sort(),
    )
    for (const digest of [digests[3], digests[5]])
      expect(await verified(namespace, digest), digest).toBe(1)
  })
})
