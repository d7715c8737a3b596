/**
 * Annotations (DOCKER_METADATA_ANNOTATIONS_LEVELS) read back from the registry, every run
 * `node dist/index.js` as the runner runs it: per-platform buildah builds carry the manifest
 * annotations and the merged index the index annotations; podman the same for one image; the
 * classic docker builder, which cannot, warns before building and still pushes.
 */
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryManifest} from '../fixtures/registry-probe.js'
import {
  DEFAULT_SHA,
  PROJECT_ROOT,
  runAction,
  runPost,
  workflowCommands,
  type ActionRun,
} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const WORKSPACE = join(PROJECT_ROOT, 'examples/todo-app')
const SHA_TAG = `sha-${DEFAULT_SHA.slice(0, 7)}`
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const REVISION = 'org.opencontainers.image.revision'
const VERSION = 'org.opencontainers.image.version'

interface Manifest {
  mediaType: string
  annotations?: Record<string, string>
  manifests?: {digest: string; annotations?: Record<string, string>}[]
}

async function run(
  registry: (typeof env.registries)['htpasswd'],
  namespace: string,
  inputs: Record<string, string>,
  levels?: string,
): Promise<ActionRun> {
  const result = await runAction({
    inputs: {
      registry: registry.host,
      namespace,
      ...(registry.username
        ? {username: registry.username, 'auth-token': registry.password as string}
        : {}),
      images: '- todo-frontend: frontend',
      retries: '1',
      ...inputs,
    },
    workspace: WORKSPACE,
    env: {
      OCIR_PUSH_RETRY_BASE_MS: '10',
      ...(levels ? {DOCKER_METADATA_ANNOTATIONS_LEVELS: levels} : {}),
    },
  })
  await runPost(result)
  return result
}

const manifest = async (
  registry: (typeof env.registries)['htpasswd'],
  repository: string,
  reference: string,
) => (await registryManifest(registry, repository, reference)) as unknown as Manifest

describe('annotations in the registry', () => {
  test('stage platform (buildah) + merge with index,manifest: manifest annotations on each leg, index annotations on the index', async () => {
    const registry = env.registries.token
    const namespace = uniqueNamespace('an')
    const repository = `${namespace}/todo-frontend`
    for (const platforms of ['linux/amd64', 'linux/arm64']) {
      const leg = await run(
        registry,
        namespace,
        {builder: 'buildah', stage: 'platform', platforms},
        'index,manifest',
      )
      expect(leg.errors).toEqual([])
      expect(leg.exitCode).toBe(0)
      // buildah built OCI format for them (a Docker manifest has no annotations).
      const pushed = await manifest(
        registry,
        repository,
        `${SHA_TAG}-${platforms.replace('/', '-')}`,
      )
      expect(pushed.mediaType).toBe(OCI_MANIFEST)
      expect(pushed.annotations).toMatchObject({[REVISION]: DEFAULT_SHA, [VERSION]: 'main'})
    }

    const merge = await run(
      registry,
      namespace,
      {stage: 'merge', platforms: 'linux/amd64,linux/arm64'},
      'index,manifest',
    )
    expect(merge.errors).toEqual([])
    expect(merge.exitCode).toBe(0)
    const lines = merge.outputs.annotations.split('\n')
    expect(lines).toContain(`index:${REVISION}=${DEFAULT_SHA}`)
    expect(lines).toContain(`manifest:${REVISION}=${DEFAULT_SHA}`)
    expect(lines.indexOf(`index:${REVISION}=${DEFAULT_SHA}`)).toBeLessThan(
      lines.indexOf(`manifest:${REVISION}=${DEFAULT_SHA}`),
    )
    for (const tag of [SHA_TAG, 'latest']) {
      const index = await manifest(registry, repository, tag)
      expect(index.mediaType).toBe(OCI_INDEX)
      expect(index.annotations).toMatchObject({[REVISION]: DEFAULT_SHA, [VERSION]: 'main'})
      // No manifest-descriptor level asked for: the entries carry none.
      expect(index.manifests).toHaveLength(2)
      for (const entry of index.manifests ?? []) {
        expect(entry.annotations).toBeUndefined()
        // Each entry is a leg with its own manifest annotations.
        expect((await manifest(registry, repository, entry.digest)).annotations).toMatchObject({
          [REVISION]: DEFAULT_SHA,
        })
      }
    }
  })

  test('podman, manifest level: the pushed manifest is OCI and carries the annotations', async () => {
    const registry = env.registries.htpasswd
    const namespace = uniqueNamespace('an')
    const result = await run(registry, namespace, {builder: 'podman'}, 'manifest')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs.annotations.split('\n')).toContain(`manifest:${REVISION}=${DEFAULT_SHA}`)
    const pushed = await manifest(registry, `${namespace}/todo-frontend`, SHA_TAG)
    expect(pushed.mediaType).toBe(OCI_MANIFEST)
    expect(pushed.annotations).toMatchObject({[REVISION]: DEFAULT_SHA, [VERSION]: 'main'})
  })

  test('podman, levels unset: Docker format as before, no annotation; the output has the manifest level', async () => {
    const registry = env.registries.htpasswd
    const namespace = uniqueNamespace('an')
    const result = await run(registry, namespace, {builder: 'podman'})
    expect(result.exitCode).toBe(0)
    expect(result.outputs.annotations.split('\n')).toContain(`manifest:${REVISION}=${DEFAULT_SHA}`)
    const pushed = await manifest(registry, `${namespace}/todo-frontend`, SHA_TAG)
    expect(pushed.mediaType).toBe(DOCKER_MANIFEST)
    expect(pushed.annotations).toBeUndefined()
  })

  test('the classic docker builder warns that it cannot set manifest annotations, and still pushes', async () => {
    const registry = env.registries.open
    const namespace = uniqueNamespace('an')
    const result = await run(registry, namespace, {builder: 'docker'}, 'manifest,index')
    expect(result.errors).toEqual([])
    expect(result.exitCode).toBe(0)
    const warnings = workflowCommands(result.stdout, 'warning')
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^builder docker \(the classic builder\) cannot set manifest annotations: .*go only on the indexes this action writes/,
        ),
      ]),
    )
    // Preflight: before the plan is logged, so before any build.
    const warned = result.stdout.indexOf('::warning::builder docker')
    expect(warned).toBeGreaterThanOrEqual(0)
    expect(warned).toBeLessThan(result.stdout.indexOf('::group::Plan'))
    expect(warned).toBeLessThan(result.stdout.indexOf('::group::todo-frontend'))
    const pushed = await manifest(registry, `${namespace}/todo-frontend`, SHA_TAG)
    expect(pushed.mediaType).toBe(DOCKER_MANIFEST)
    expect(pushed.annotations).toBeUndefined()
  })
})
