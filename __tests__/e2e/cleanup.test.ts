/**
 * `stage: cleanup` against the real token-auth registry, on a repository seeded by real runs of
 * the action (`node dist/index.js`): eleven commits on main, two releases with their aliases, two
 * pull requests (the first with two heads), and a twelfth main commit built as a multi-arch image
 * (two `stage: platform` runs with buildah, then `stage: merge`). The seed is made once; every
 * test cleans its own copy of it (copied inside the registry, byte for byte).
 */
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {beforeAll, describe, expect, test} from 'vitest'
import {readManifestFacts} from '../../src/adapters/registry-catalog.js'
import {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import {startOciDouble, apiKeyInputs} from '../fixtures/oci-double.js'
import {startOcirFront} from '../fixtures/ocir-front.js'
import {startFaultProxy} from '../fixtures/fault-proxy.js'
import {
  pulledArchitecture,
  registryDigest,
  registryManifest,
  registryTagMap,
} from '../fixtures/registry-probe.js'
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

/** A 40-hex commit sha that starts with the given label's hex form. */
function sha(label: string): string {
  return Buffer.from(label).toString('hex').padEnd(40, '0').slice(0, 40)
}
const short = (label: string): string => `sha-${sha(label).slice(0, 7)}`

const workspace = mkdtempSync(join(process.env.RUNNER_TEMP ?? '/tmp', 'cleanup-ws-'))
mkdirSync(join(workspace, 'app'))
writeFileSync(join(workspace, 'app', 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /\n')
writeFileSync(join(workspace, 'app', 'hello.txt'), 'hello\n')

const credentials = {
  username: registry.username as string,
  'auth-token': registry.password as string,
}

function client(host = registry.host): RegistryHttpClient {
  return new RegistryHttpClient({
    host,
    insecure: true,
    username: registry.username,
    password: registry.password,
    retry: {retries: 1, baseMs: 50},
  })
}

interface Seeding {
  label: string
  eventName: string
  ref: string
  event: Record<string, unknown>
  inputs?: Record<string, string>
}

function pushMain(label: string, inputs?: Record<string, string>): Seeding {
  return {
    label,
    eventName: 'push',
    ref: 'refs/heads/main',
    event: {ref: 'refs/heads/main', after: sha(label), repository: REPOSITORY_DATA},
    inputs,
  }
}
function pushTag(label: string, tag: string): Seeding {
  return {
    label,
    eventName: 'push',
    ref: `refs/tags/${tag}`,
    event: {ref: `refs/tags/${tag}`, after: sha(label), repository: REPOSITORY_DATA},
  }
}
function pullRequest(label: string, number: number, action = 'synchronize'): Seeding {
  return {
    label,
    eventName: 'pull_request',
    ref: `refs/pull/${number}/merge`,
    event: {
      action,
      number,
      pull_request: {
        number,
        head: {ref: `feature-${number}`, sha: sha(label)},
        base: {ref: 'main', sha: sha('base')},
      },
      repository: REPOSITORY_DATA,
    },
  }
}

/** One real run of the action; `hour` sets SOURCE_DATE_EPOCH, so every version has its own time. */
async function run(
  seeding: Seeding,
  hour: number,
  inputs: Record<string, string>,
  host = registry.host,
): Promise<ActionRun> {
  const result = await runAction({
    inputs: {registry: host, ...credentials, builder: 'buildah', ...inputs, ...seeding.inputs},
    eventName: seeding.eventName,
    ref: seeding.ref,
    event: seeding.event,
    sha: sha(seeding.label),
    workspace,
    env: {SOURCE_DATE_EPOCH: String(EPOCH + hour * 3600), OCIR_PUSH_RETRY_BASE_MS: '10'},
  })
  await runPost(result)
  return result
}

async function seed(namespace: string): Promise<void> {
  const steps: Seeding[] = [
    ...['c1', 'c2', 'c3', 'c4', 'c5'].map((label) => pushMain(label)),
    pushTag('r1', 'v1.0.0'),
    ...['c6', 'c7', 'c8', 'c9'].map((label) => pushMain(label)),
    pullRequest('p1a', 1),
    pullRequest('p1b', 1),
    pullRequest('p2', 2),
    pushTag('r2', 'v1.1.0'),
    pushMain('c10'),
    pushMain('c11'),
    pushMain('c12', {stage: 'platform', platforms: 'linux/amd64'}),
    pushMain('c12', {stage: 'platform', platforms: 'linux/arm64'}),
    pushMain('c12', {stage: 'merge', platforms: 'linux/amd64,linux/arm64'}),
  ]
  for (const [hour, step] of steps.entries()) {
    const result = await run(step, hour, {namespace, images: `- ${IMAGE}: ./app`})
    expect(result.errors, `${step.label} ${step.inputs?.stage ?? ''}`).toEqual([])
    expect(result.exitCode).toBe(0)
  }
}

/** Every tag of the image and the digest it names. */
function tagMap(namespace: string): Promise<Record<string, string>> {
  return registryTagMap(registry, `${namespace}/${IMAGE}`)
}

/** Copies every manifest (legs first, then indexes) and tag of the image to another namespace. */
async function copyImage(from: string, to: string): Promise<void> {
  const registryClient = client()
  const source = `${from}/${IMAGE}`
  const target = `${to}/${IMAGE}`
  const tags = await tagMap(from)
  const manifests = new Map<string, {body: Buffer; mediaType: string}>()
  for (const digest of new Set(Object.values(tags))) {
    const manifest = await registryClient.getManifest({repository: source, reference: digest})
    if (manifest) manifests.set(digest, manifest)
  }
  const parsed = (
    body: Buffer,
  ): {manifests?: unknown; config?: {digest: string}; layers?: {digest: string}[]} =>
    JSON.parse(body.toString('utf8'))
  const ordered = [...manifests.entries()].sort(
    ([, left], [, right]) =>
      Number(Boolean(parsed(left.body).manifests)) - Number(Boolean(parsed(right.body).manifests)),
  )
  for (const [digest, manifest] of ordered) {
    const body = parsed(manifest.body)
    for (const blob of [body.config, ...(body.layers ?? [])].filter(Boolean) as {
      digest: string
    }[]) {
      await registryClient.putBlob(
        target,
        (await registryClient.getBlob(source, blob.digest)) as Buffer,
      )
    }
    await registryClient.putManifest(target, digest, manifest.body, manifest.mediaType)
  }
  for (const [tag, digest] of Object.entries(tags)) {
    const manifest = manifests.get(digest)
    if (manifest) await registryClient.putManifest(target, tag, manifest.body, manifest.mediaType)
  }
}

function cleanupInputs(
  namespace: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {namespace, images: IMAGE, stage: 'cleanup', 'keep-last': '3', retries: '0', ...extra}
}
const SCHEDULE: Seeding = {
  label: 'cleanup',
  eventName: 'schedule',
  ref: 'refs/heads/main',
  event: {schedule: '0 3 * * 0', repository: REPOSITORY_DATA},
}
const CLEANUP_HOUR = 100

/** Tags that stay with keep-last 3: the three newest versions and every kept tag's digest. */
const KEPT_TAGS = [
  // the multi-arch index (newest) with its legs, named by latest and main
  short('c12'),
  'main',
  'latest',
  `${short('c12')}-linux-amd64`,
  `${short('c12')}-linux-arm64`,
  short('c11'),
  short('c10'),
  // the releases and their aliases, whatever their age
  '1.1.0',
  '1.1',
  '1',
  short('r2'),
  '1.0.0',
  '1.0',
  short('r1'),
].sort()

let seedNamespace: string
let seeded: Record<string, string>

/** The tags (and digests) an uninterrupted keep-last 3 cleanup leaves on a fresh copy of the seed. */
async function uninterruptedCleanupState(): Promise<Record<string, string>> {
  const namespace = uniqueNamespace('cu')
  await copyImage(seedNamespace, namespace)
  const cleanup = await run(SCHEDULE, CLEANUP_HOUR, cleanupInputs(namespace))
  expect(cleanup.errors).toEqual([])
  expect(cleanup.exitCode).toBe(0)
  return tagMap(namespace)
}

describe('stage cleanup on the registry API (distribution, token auth)', () => {
  beforeAll(async () => {
    seedNamespace = uniqueNamespace('cs')
    const started = Date.now()
    await seed(seedNamespace)
    seeded = await tagMap(seedNamespace)
    console.log(`cleanup seed: ${Object.keys(seeded).length} tags in ${Date.now() - started} ms`)
  })

  test('keep-last 3: the dry run lists what the real run then deletes; latest, main, releases and the multi-arch index with its legs stay', async () => {
    const namespace = uniqueNamespace('ck')
    await copyImage(seedNamespace, namespace)
    expect(await tagMap(namespace)).toEqual(seeded)

    const dry = await run(SCHEDULE, CLEANUP_HOUR, cleanupInputs(namespace, {'dry-run': 'true'}))
    expect(dry.errors).toEqual([])
    expect(dry.exitCode).toBe(0)
    expect(await tagMap(namespace), 'a dry run deletes nothing').toEqual(seeded)
    const planned = JSON.parse(dry.outputs.deleted) as Record<string, string[]>

    const real = await run(SCHEDULE, CLEANUP_HOUR, cleanupInputs(namespace))
    expect(real.errors).toEqual([])
    expect(real.exitCode).toBe(0)
    const deleted = JSON.parse(real.outputs.deleted) as Record<string, string[]>
    expect(deleted).toEqual(planned)

    const image = `${registry.host}/${namespace}/${IMAGE}`
    const goneTags = Object.keys(seeded)
      .filter((tag) => !KEPT_TAGS.includes(tag))
      .sort()
    expect(goneTags).toEqual(
      [
        ...['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'p1a', 'p1b', 'p2'].map(short),
        'pr-1',
        'pr-2',
      ].sort(),
    )
    expect(deleted[IMAGE].filter((ref) => ref.startsWith(`${image}:`)).sort()).toEqual(
      goneTags.map((tag) => `${image}:${tag}`).sort(),
    )
    // Each deleted version is listed with its digest: 9 commits and 3 pull request heads.
    expect(deleted[IMAGE].filter((ref) => ref.startsWith(`${image}@sha256:`))).toHaveLength(12)
    expect(real.summary).toContain(`${IMAGE}: deleted`)
    expect(real.summary).toContain(`<code>${image}:${short('c1')}</code>`)
    expect(real.stdout).toMatch(new RegExp(`delete ${image}@[0-9a-f]{12} \\[${short('c1')}\\]`))

    const after = await tagMap(namespace)
    expect(Object.keys(after).sort()).toEqual(KEPT_TAGS)
    for (const tag of KEPT_TAGS) expect(after[tag], tag).toBe(seeded[tag])
    // Deleting a digest deleted its tags; the deleted digests are gone.
    for (const ref of deleted[IMAGE].filter((candidate) => candidate.includes('@'))) {
      expect(
        await registryDigest(registry, `${namespace}/${IMAGE}`, ref.split('@')[1]),
      ).toBeUndefined()
    }
    // The multi-arch index still resolves to both platforms' manifests.
    const index = (await registryManifest(registry, `${namespace}/${IMAGE}`, 'latest')) as {
      manifests: {digest: string; platform: {architecture: string}}[]
    }
    expect(index.manifests.map((leg) => leg.platform.architecture)).toEqual(['amd64', 'arm64'])
    for (const leg of index.manifests) {
      const manifest = await registryManifest(registry, `${namespace}/${IMAGE}`, leg.digest)
      expect(manifest, leg.platform.architecture).toBeDefined()
      expect(leg.digest).toBe(after[`${short('c12')}-linux-${leg.platform.architecture}`])
    }
    // A client still pulls the multi-arch image for both platforms.
    for (const arch of ['amd64', 'arm64'])
      expect(pulledArchitecture(registry, `${image}:latest`, `linux/${arch}`), arch).toBe(arch)

    // A second run has nothing left to delete.
    const again = await run(SCHEDULE, CLEANUP_HOUR, cleanupInputs(namespace))
    expect(again.exitCode).toBe(0)
    expect(JSON.parse(again.outputs.deleted)).toEqual({[IMAGE]: []})
  })

  test('closing a pull request deletes its images (both heads) and nothing else', async () => {
    const namespace = uniqueNamespace('cp')
    await copyImage(seedNamespace, namespace)
    const closed = await run(
      pullRequest('p1b', 1, 'closed'),
      CLEANUP_HOUR,
      cleanupInputs(namespace),
    )
    expect(closed.errors).toEqual([])
    expect(closed.exitCode).toBe(0)
    const image = `${registry.host}/${namespace}/${IMAGE}`
    const deleted = JSON.parse(closed.outputs.deleted) as Record<string, string[]>
    expect(deleted[IMAGE].filter((ref) => ref.includes(':') && !ref.includes('@')).sort()).toEqual(
      [`${image}:pr-1`, `${image}:${short('p1a')}`, `${image}:${short('p1b')}`].sort(),
    )
    const after = await tagMap(namespace)
    const expected = {...seeded}
    for (const tag of ['pr-1', short('p1a'), short('p1b')]) delete expected[tag]
    expect(after).toEqual(expected)
  })

  test('a cleanup interrupted by failing deletes reports each failure, fails, and a re-run ends where an uninterrupted one does', async () => {
    // Where an uninterrupted cleanup ends, made here on a copy of its own, so that the comparison
    // below holds whether this test runs alone or after the others.
    const uninterrupted = await uninterruptedCleanupState()
    const namespace = uniqueNamespace('ci')
    await copyImage(seedNamespace, namespace)
    const proxy = await startFaultProxy(registry.host, [
      {name: 'delete', method: 'DELETE', path: /\/manifests\/sha256:/, fault: '500', times: 5},
    ])
    try {
      const interrupted = await run(SCHEDULE, CLEANUP_HOUR, cleanupInputs(namespace), proxy.host)
      expect(interrupted.exitCode).not.toBe(0)
      expect(proxy.injected.delete).toBe(5)
      expect(interrupted.errors).toHaveLength(1)
      expect(interrupted.errors[0].match(/deleting \S+ \[[^\]]*\] failed/g)).toHaveLength(5)
      expect(interrupted.errors[0]).toMatch(
        /re-run the cleanup: what is already gone counts as deleted$/,
      )
      const partly = JSON.parse(interrupted.outputs.deleted) as Record<string, string[]>
      expect(partly[IMAGE].filter((ref) => ref.includes('@'))).toHaveLength(12 - 5)

      const rerun = await run(SCHEDULE, CLEANUP_HOUR, cleanupInputs(namespace), proxy.host)
      expect(rerun.errors).toEqual([])
      expect(rerun.exitCode).toBe(0)
      expect(
        JSON.parse(rerun.outputs.deleted)[IMAGE].filter((ref: string) => ref.includes('@')),
      ).toHaveLength(5)
    } finally {
      await proxy.close()
    }
    const after = await tagMap(namespace)
    expect(after, 'the re-run ends where the uninterrupted cleanup did').toEqual(uninterrupted)
    expect(Object.keys(after).sort()).toEqual(KEPT_TAGS)
    for (const tag of KEPT_TAGS) expect(after[tag], tag).toBe(seeded[tag])
  })

  test('the same scenario through the OCI double and the Artifacts API: the same versions stay', async () => {
    const namespace = uniqueNamespace('co')
    await copyImage(seedNamespace, namespace)
    // Small pages, so listing the 20 images takes several.
    const started = await startOciDouble({namespace, pageSize: 4})
    const {double, compartments} = started
    const front = await startOcirFront(double, double.url, env)
    try {
      // What OCIR would hold after the same pushes: one image per digest with its tags, created
      // when it was pushed.
      const registryClient = client()
      const byDigest = new Map<string, string[]>()
      for (const [tag, digest] of Object.entries(seeded))
        byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag])
      const images = []
      for (const [digest, tags] of byDigest) {
        const facts = await readManifestFacts(registryClient, `${namespace}/${IMAGE}`, digest)
        images.push({digest, tags, timeCreated: facts?.created ?? new Date(EPOCH * 1000)})
      }
      double.seedImages(compartments[1], IMAGE, images)

      const cleanup = await runAction({
        inputs: {
          registry: front.host,
          namespace,
          ...apiKeyInputs(started),
          images: IMAGE,
          stage: 'cleanup',
          'keep-last': '3',
          retries: '0',
        },
        eventName: SCHEDULE.eventName,
        event: SCHEDULE.event,
        workspace,
        env: {SOURCE_DATE_EPOCH: String(EPOCH + CLEANUP_HOUR * 3600)},
      })
      await runPost(cleanup)
      expect(cleanup.errors).toEqual([])
      expect(cleanup.exitCode).toBe(0)
      expect(double.unauthenticated).toBe(0)
      expect(double.calls.ListContainerImages).toBeGreaterThanOrEqual(5)
      expect(double.calls.DeleteContainerImage).toBe(12)
      expect(double.calls.RemoveContainerVersion).toBe(0)

      const remaining = double.availableImages(IMAGE)
      expect(remaining.flatMap((image) => image.tags).sort()).toEqual(KEPT_TAGS)
      for (const image of remaining)
        for (const tag of image.tags) expect(image.digest, tag).toBe(seeded[tag])
      const deleted = JSON.parse(cleanup.outputs.deleted) as Record<string, string[]>
      const tagsGone = deleted[IMAGE].filter((ref) => !ref.includes('@')).map((ref) =>
        ref.split(':').pop(),
      )
      expect(tagsGone.sort()).toEqual(
        Object.keys(seeded)
          .filter((tag) => !KEPT_TAGS.includes(tag))
          .sort(),
      )
    } finally {
      await front.close()
      await double.stop()
    }
  })

  test('closing a pull request through the Artifacts API removes only the pr tag where a kept tag shares its digest', async () => {
    const started = await startOciDouble({namespace: 'unused'})
    const {double, compartments} = started
    try {
      // Nothing on the registry: a digest the registry does not know reads as a plain image.
      double.seedImages(compartments[0], 'svc', [
        {digest: `sha256:${'a'.repeat(64)}`, tags: ['pr-7', 'main'], timeCreated: new Date()},
        {digest: `sha256:${'b'.repeat(64)}`, tags: ['sha-0000007'], timeCreated: new Date()},
      ])
      const closed = await runAction({
        inputs: {
          // The open registry: manifests are read without a login.
          registry: env.registries.open.host,
          namespace: 'unused',
          ...apiKeyInputs(started),
          push: 'false',
          images: 'svc',
          stage: 'cleanup',
          retries: '0',
        },
        eventName: 'pull_request',
        event: pullRequest('p7', 7, 'closed').event,
        workspace,
      })
      expect(closed.errors).toEqual([])
      expect(double.calls.RemoveContainerVersion).toBe(1)
      expect(double.availableImages('svc')).toEqual([
        {digest: `sha256:${'a'.repeat(64)}`, tags: ['main']},
        {digest: `sha256:${'b'.repeat(64)}`, tags: ['sha-0000007']},
      ])
    } finally {
      await double.stop()
    }
  })
})

describe('a registry that refuses deletes', () => {
  test('fails the step once, with an error naming the registry and how to allow deletes', async () => {
    // Our own distribution registry, deletes left at their default (off); never the shared ones.
    const dir = mkdtempSync(join(process.env.RUNNER_TEMP ?? '/tmp', 'nodelete-'))
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address() as {port: number}
        server.close(() => resolve(address.port))
      })
    })
    writeFileSync(
      join(dir, 'config.yml'),
      `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    )
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {stdio: 'ignore'})
    try {
      const host = `127.0.0.1:${port}`
      const own = new RegistryHttpClient({host, insecure: true, retry: {retries: 20, baseMs: 50}})
      for (const [index, tag] of ['sha-0000001', 'sha-0000002'].entries()) {
        const created = new Date((EPOCH + index * 3600) * 1000).toISOString()
        const config = Buffer.from(
          JSON.stringify({
            architecture: 'amd64',
            os: 'linux',
            created,
            config: {Labels: {'org.opencontainers.image.created': created}},
            rootfs: {type: 'layers', diff_ids: []},
          }),
        )
        const configDigest = await own.putBlob('ns/app', config)
        const manifest = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            config: {
              mediaType: 'application/vnd.oci.image.config.v1+json',
              digest: configDigest,
              size: config.length,
            },
            layers: [],
          }),
        )
        await own.putManifest('ns/app', tag, manifest, 'application/vnd.oci.image.manifest.v1+json')
      }
      const refused = await runAction({
        inputs: {
          registry: host,
          namespace: 'ns',
          images: 'app',
          stage: 'cleanup',
          'keep-last': '0',
          retries: '0',
        },
        eventName: SCHEDULE.eventName,
        event: SCHEDULE.event,
        workspace,
      })
      expect(refused.exitCode).not.toBe(0)
      expect(refused.errors).toHaveLength(1)
      expect(refused.errors[0]).toMatch(
        new RegExp(`the registry ${host} refuses deletes .*HTTP 405 \\(UNSUPPORTED`),
      )
      expect(refused.errors[0]).toMatch(/storage.delete.enabled: true.*Nothing was deleted$/)
      expect((await own.listTags('ns/app')).sort()).toEqual(['sha-0000001', 'sha-0000002'])
    } finally {
      child.kill()
    }
  })
})
