/**
 * Build secrets through `node dist/index.js`: buildah and podman mount a `secrets` value, a
 * `secret-files` file and a `secret-envs` variable for `RUN --mount=type=secret` and push to the
 * htpasswd registry. No value is in a layer (of the image or of its -buildcache), the image
 * config, a label, the log, the outputs, the summary or the state, nor in the command line or the
 * environment of any child process, sampled while the action runs; the value files are gone
 * after the build. The classic builder refuses secrets before anything is pushed: named
 * (`builder: docker`, with the inputs) or picked by `builder: auto` (once it picked it).
 *
 * buildx is not run here: the buildx stand-in refuses `--secret` ("not emulated"). Its argv is
 * covered by __tests__/plan/builder-commands.test.ts and __tests__/e2e/dry-run-argv.test.ts.
 */
import {createHash} from 'node:crypto'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {describe, expect, test} from 'vitest'
import {everythingWritten, runSampled} from '../fixtures/leak-probe.js'
import {
  registryBlob,
  registryLabels,
  registryManifest,
  registryTags,
} from '../fixtures/registry-probe.js'
import {PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace, type RegistryInfo} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.htpasswd

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

/** The three secrets of a run, unique to it. */
function secretsOf(nonce: string) {
  return {
    npm: `npm-Value-${nonce}=with=equals`,
    fileLines: [`gpg-line-one-${nonce}`, `gpg-line-two-${nonce}`],
    feed: `feed-Token-${nonce}`,
  }
}

/**
 * A checkout whose Dockerfile mounts each secret and checks it by its SHA-256 (so the value
 * itself is nowhere in the Dockerfile or the image history), and a secret file outside it.
 */
function checkoutFor(values: ReturnType<typeof secretsOf>): {workspace: string; file: string} {
  const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'bsec-ws-'))
  const fileContent = `${values.fileLines.join('\n')}\n`
  const check = (id: string, value: string): string =>
    `RUN --mount=type=secret,id=${id} test "$(sha256sum < /run/secrets/${id} | cut -d' ' -f1)" = "${sha256(value)}"`
  mkdirSync(join(workspace, 'app'))
  writeFileSync(
    join(workspace, 'app', 'Dockerfile'),
    [
      `FROM ${env.baseImageInRegistry}`,
      'RUN --mount=type=secret,id=npm cat /run/secrets/npm > /dev/null && test -s /run/secrets/npm',
      check('npm', values.npm),
      check('gpg', fileContent),
      check('feed', values.feed),
      'RUN echo built > /built',
      '',
    ].join('\n'),
  )
  const secretDir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'bsec-files-'))
  const file = join(secretDir, 'gpg.key')
  writeFileSync(file, fileContent, {mode: 0o600})
  return {workspace, file}
}

/** buildah and podman pull the FROM image over plain HTTP from our registries only. */
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

/** The bytes of every layer (decompressed) and the config of every manifest under each tag. */
async function imageBytes(
  probe: RegistryInfo,
  repository: string,
): Promise<{tags: number; blobs: Buffer[]}> {
  const tags = await registryTags(probe, repository)
  const blobs: Buffer[] = []
  for (const tag of tags) {
    const manifest = (await registryManifest(probe, repository, tag)) as {
      config: {digest: string}
      layers: {digest: string}[]
    }
    for (const {digest} of [manifest.config, ...manifest.layers]) {
      const raw = await registryBlob(probe, repository, digest)
      blobs.push(raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw)
    }
  }
  return {tags: tags.length, blobs}
}

describe.each(['buildah', 'podman'])('builder %s', (builder) => {
  test('mounts secrets, secret-files and secret-envs; no value anywhere but the build', async () => {
    const namespace = uniqueNamespace('bsec')
    const values = secretsOf(namespace)
    const {workspace, file} = checkoutFor(values)
    const {run, samples} = await runSampled({
      inputs: {
        registry: registry.host,
        namespace,
        username: registry.username,
        'auth-token': registry.password,
        images: '- app: app',
        builder,
        retries: '1',
        secrets: `npm=${values.npm}`,
        'secret-files': `gpg=${file}`,
        'secret-envs': 'feed=FEED_TOKEN',
      },
      workspace,
      env: {
        CONTAINERS_REGISTRIES_CONF: registriesConf(workspace),
        OCIR_PUSH_RETRY_BASE_MS: '10',
        FEED_TOKEN: values.feed,
      },
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.outputs.images)).toMatchObject([
      {name: 'app', status: 'pushed', pushed: true},
    ])
    // Masked the moment they were read, each line of the file too.
    expect(run.masks).toEqual(
      expect.arrayContaining([values.npm, values.feed, ...values.fileLines]),
    )

    const secrets = [values.npm, values.feed, ...values.fileLines]
    const written = everythingWritten(run)
    const labels = JSON.stringify(await registryLabels(registry, `${namespace}/app`, 'latest'))
    const image = await imageBytes(registry, `${namespace}/app`)
    const cache = await imageBytes(registry, `${namespace}/app-buildcache`)
    expect(image.tags).toBeGreaterThan(0)
    // buildah and podman pushed each step's layers to the cache repository (--layers).
    expect(cache.tags).toBeGreaterThan(0)
    expect(samples.length).toBeGreaterThan(0)
    for (const secret of secrets) {
      expect(written).not.toContain(secret)
      expect(labels).not.toContain(secret)
      expect(samples.filter((sample) => sample.includes(secret))).toEqual([])
      for (const blob of [...image.blobs, ...cache.blobs])
        expect(blob.includes(secret), 'a layer or config holds a secret').toBe(false)
    }
    // The variable itself is no child's either.
    expect(samples.filter((sample) => sample.includes('FEED_TOKEN='))).toEqual([])

    // The value files were removed right after the build; the post step removes the rest.
    const {dockerConfigDir} = JSON.parse(run.state.cleanup) as {dockerConfigDir: string}
    expect(readdirSync(dockerConfigDir).filter((name) => name.startsWith('secret-'))).toEqual([])
    expect((await runPost(run)).exitCode).toBe(0)
  })
})

describe('the classic builder cannot mount secrets: refused before anything is pushed', () => {
  const value = 'Classic-Builder-Secret-3318'

  test('builder: docker fails with the inputs, naming secrets and the builders that can', async () => {
    const namespace = uniqueNamespace('bsecd')
    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace,
        username: registry.username,
        'auth-token': registry.password,
        images: '- todo-frontend: frontend',
        builder: 'docker',
        secrets: `npm=${value}`,
      },
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(
      /input 'secrets' gives build secrets \(npm\), which the classic docker builder cannot mount: only buildx, buildah, podman can.*use builder: buildx .*buildah or podman/,
    )
    expect(everythingWritten(run)).not.toContain(value)
    // Refused with the inputs: no login, nothing for the post step, nothing in the registry.
    expect(run.state.cleanup).toBeUndefined()
    expect(await registryTags(registry, `${namespace}/todo-frontend`)).toEqual([])
  })

  test('builder: auto that picks docker fails once it picked it, before any login or build', async () => {
    // A runner with docker (its engine answers) but no buildx, and no buildah or podman.
    const runner = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'bsec-auto-'))
    symlinkSync(join(PROJECT_ROOT, '__tests__/fixtures/argv-shims/shim'), join(runner, 'docker'))
    const log = join(runner, 'argv.log')
    writeFileSync(log, '')
    const run = await runAction({
      inputs: {
        registry: '127.0.0.1:5999',
        namespace: 'auto',
        username: 'tester',
        'auth-token': 'not-a-real-token',
        images: '- todo-frontend: frontend',
        builder: 'auto',
        secrets: `npm=${value}`,
      },
      env: {PATH: runner, ARGV_LOG: log, ARGV_SHIM_FAIL: 'docker buildx'},
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(
      /input 'secrets' gives build secrets \(npm\), which the classic docker builder \(picked by builder: auto\) cannot mount: only buildx, buildah, podman can.*docker\/setup-buildx-action/,
    )
    // Only the probes ran: no login, no pull, no build, no push.
    const calls = readFileSync(log, 'utf8')
      .split('\x1e')
      .filter((record) => record !== '')
      .map((record) => record.split('\x1f').slice(0, 2).join(' '))
    expect(calls).toEqual(['docker buildx', 'docker info'])
    expect(everythingWritten(run)).not.toContain(value)
    expect(readFileSync(log, 'utf8')).not.toContain(value)
    expect((await runPost(run)).exitCode).toBe(0)
  })

  test('a dry run with builder: docker is refused the same way', async () => {
    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace: uniqueNamespace('bsecdry'),
        images: '- todo-frontend: frontend',
        builder: 'docker',
        'dry-run': 'true',
        secrets: `npm=${value}`,
      },
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors[0]).toMatch(/input 'secrets' gives build secrets \(npm\)/)
    expect(everythingWritten(run)).not.toContain(value)
  })
})
