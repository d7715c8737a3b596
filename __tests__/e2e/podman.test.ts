/**
 * podman really builds and pushes here (the three-image pushes to the htpasswd and token-auth
 * registries are rows of multi-image.test.ts): a Dockerfile with a RUN step runs in podman's OCI
 * runtime on a base image from our registry, and a broken build fails cleanly.
 */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {DEFAULT_SHA, PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.htpasswd
const SHA_TAG = `sha-${DEFAULT_SHA.slice(0, 7)}`

const inputs = (namespace: string, images: string): Record<string, string> => ({
  registry: registry.host,
  namespace,
  username: registry.username as string,
  'auth-token': registry.password as string,
  images,
  builder: 'podman',
  retries: '1',
})

/**
 * podman pulls a FROM image over HTTPS unless registries.conf says otherwise; Docker treats
 * loopback registries as plain HTTP by itself. This file says so for our registries only, so a
 * build can start FROM the busybox base in the open registry.
 */
function registriesConf(dir: string): string {
  const path = join(dir, 'registries.conf')
  writeFileSync(
    path,
    Object.values(env.registries)
      .map(({host}) => `[[registry]]\nlocation = "${host}"\ninsecure = true\n`)
      .join('\n'),
  )
  return path
}

test('a RUN step runs in podman on a base image from the registry; tags and digest are in the registry', async () => {
  const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'podman-run-'))
  const nonce = uniqueNamespace('n')
  mkdirSync(join(workspace, 'worker'))
  writeFileSync(
    join(workspace, 'worker/Dockerfile'),
    `FROM ${env.baseImageInRegistry}\nARG GREETING\nRUN echo "$GREETING ${nonce}" > /greeting && cat /greeting\n`,
  )
  const namespace = uniqueNamespace('pod')
  const run = await runAction({
    inputs: inputs(namespace, '- name: worker\n  context: worker\n  build-args: {GREETING: hello}'),
    workspace,
    env: {CONTAINERS_REGISTRIES_CONF: registriesConf(workspace), OCIR_PUSH_RETRY_BASE_MS: '10'},
  })
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  // The RUN step's own output, printed by the container podman started.
  expect(run.stdout).toContain(`hello ${nonce}`)
  const [image] = JSON.parse(run.outputs.images) as {name: string; digest: string; tags: string[]}[]
  expect([...image.tags].sort()).toEqual(['latest', 'main', SHA_TAG])
  expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  const repository = `${namespace}/worker`
  expect((await registryTags(registry, repository)).sort()).toEqual([...image.tags].sort())
  for (const tag of image.tags)
    expect(await registryDigest(registry, repository, tag), tag).toBe(image.digest)
  expect((await runPost(run)).exitCode).toBe(0)
})

test('a broken Dockerfile fails the step with one error naming the image and podman; nothing is pushed', async () => {
  const namespace = uniqueNamespace('pod')
  const run = await runAction({
    inputs: inputs(namespace, '- broken-app: ./broken'),
    workspace: join(PROJECT_ROOT, '__tests__/fixtures'),
  })
  expect(run.exitCode).not.toBe(0)
  expect(run.errors).toHaveLength(1)
  expect(run.errors[0]).toMatch(
    /image 'broken-app' failed: podman build failed .*does-not-exist\.txt/,
  )
  expect(run.errors[0]).toMatch(/No moving tag .* was changed/)
  expect(JSON.parse(run.outputs.images)).toMatchObject([
    {name: 'broken-app', status: 'failed', pushed: false},
  ])
  expect(JSON.parse(run.outputs.digests)).toEqual({})
  expect(await registryTags(registry, `${namespace}/broken-app`)).toEqual([])
  expect((await runPost(run)).exitCode).toBe(0)
})
