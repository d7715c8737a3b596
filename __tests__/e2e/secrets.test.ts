/**
 * Secrets never leak: across a successful push, a refused login and a dry run, the token and its
 * base64 form appear in no log, output, summary or state file, no process command line, and no
 * environment of a child process, sampled while the action runs. The same holds for a signed
 * release: the signing key (as given and decrypted), its password and the Vault's answers. And the post step cleans up
 * after a run that failed after logging in.
 */
import {generateKeyPairSync} from 'node:crypto'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {everythingWritten, runSampled} from '../fixtures/leak-probe.js'
import {PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'
import {cosignEncryptedKey, makeSigningKey} from '../fixtures/cosign-check.js'
import {makeVaultKey, startOciDouble} from '../fixtures/oci-double.js'
import {startOcirFront} from '../fixtures/ocir-front.js'

const env = testEnvironment()
const registry = env.registries.htpasswd

/** The action's command line as /proc shows it. */

describe('the token and its base64 form never leak', () => {
  const images =
    '- todo-frontend: ./frontend\n- name: todo-backend\n  context: backend\n  build-args:\n    APP_VERSION: "2.0"'
  const NAMES = ['todo-frontend', 'todo-backend']
  test.each([
    {why: 'a successful push', token: registry.password as string, inputs: {}, ends: 'pushed'},
    {why: 'a refused login', token: 'Wr0ng-But-Secret-Token-42', inputs: {}, ends: 'refused'},
    {
      why: 'a dry run',
      token: 'Dry-Run-Secret-Token-99',
      inputs: {'dry-run': 'true'},
      ends: 'planned',
    },
  ])('$why', async ({token, inputs, ends}) => {
    // A namespace per row: what one row pushed must not count for another.
    const namespace = uniqueNamespace('leak')
    const {run, samples} = await runSampled({
      inputs: {
        registry: registry.host,
        namespace,
        username: registry.username,
        'auth-token': token,
        images,
        builder: 'docker',
        ...inputs,
      },
    })
    const base64 = Buffer.from(`${registry.username}:${token}`).toString('base64')
    expect(run.stdout).toContain(`::add-mask::${token}`)
    expect(samples.length).toBeGreaterThan(0)
    for (const secret of [token, base64]) {
      expect(everythingWritten(run)).not.toContain(secret)
      expect(samples.filter((sample) => sample.includes(secret))).toEqual([])
    }
    // How the run ended: a row that leaks nothing because it did nothing proves nothing.
    const tags = async (name: string): Promise<string[]> =>
      (await registryTags(registry, `${namespace}/${name}`)).sort()
    if (ends === 'pushed') {
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      const digests = JSON.parse(run.outputs.digests) as Record<string, string>
      expect(JSON.parse(run.outputs.images)).toMatchObject(
        NAMES.map((name) => ({name, status: 'pushed', pushed: true, digest: digests[name]})),
      )
      for (const name of NAMES) {
        expect(await tags(name), name).toEqual(['latest', 'main', 'sha-0123456'])
        expect(await registryDigest(registry, `${namespace}/${name}`, 'latest'), name).toBe(
          digests[name],
        )
      }
    } else if (ends === 'refused') {
      expect(run.exitCode).not.toBe(0)
      expect(run.errors).toHaveLength(1)
      expect(run.errors[0]).toMatch(
        new RegExp(
          `login to ${registry.host.replace(/\./g, '\\.')} as '${registry.username}' was refused`,
        ),
      )
      expect(run.errors[0]).toMatch(new RegExp(`check username '${registry.username}'`))
      for (const name of NAMES) expect(await tags(name), name).toEqual([])
    } else {
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      expect(run.summary).toContain('Commands this run would make:')
      for (const name of NAMES) expect(await tags(name), name).toEqual([])
    }
    expect((await runPost(run)).exitCode).toBe(0)
  })
})

describe('a Dockerfile that is a symlink to a private key outside the workspace', () => {
  // What a hostile checkout can do: link its Dockerfile to a key the runner holds. The run must
  // refuse the file, and never print a line of it (as a reuse doubt, an error, or docker's output).
  const pem = generateKeyPairSync('rsa', {modulusLength: 2048})
    .privateKey.export({type: 'pkcs8', format: 'pem'})
    .toString()
  const keyDir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'leak-key-'))
  writeFileSync(join(keyDir, 'id_rsa.pem'), pem, {mode: 0o600})
  const bodyLines = pem.split('\n').filter((line) => line.length >= 16 && !line.includes('-----'))

  test.each([
    {why: 'a release with reuse', inputs: {}},
    {why: 'a dry run', inputs: {'dry-run': 'true'}},
  ])('$why: no line of the key in the log, outputs, summary or state', async ({inputs}) => {
    const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'leak-ws-'))
    mkdirSync(join(workspace, 'app'))
    writeFileSync(join(workspace, 'app', 'hello.txt'), 'hello\n')
    symlinkSync(join(keyDir, 'id_rsa.pem'), join(workspace, 'app', 'Dockerfile'))
    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace: uniqueNamespace('leakpem'),
        username: registry.username,
        'auth-token': registry.password,
        images: '- leaky-app: app',
        builder: 'docker',
        ...inputs,
      },
      workspace,
    })
    expect(bodyLines.length).toBeGreaterThan(20)
    const written = everythingWritten(run)
    for (const line of bodyLines) expect(written).not.toContain(line)
    // Nor the start of one (a log line cut short would still hold it).
    for (const line of bodyLines) expect(written).not.toContain(line.slice(0, 16))
    expect(written).not.toContain('BEGIN PRIVATE KEY')
    // Refused before anything ran, naming the link's target and the input.
    expect(run.exitCode).not.toBe(0)
    expect(run.errors).toEqual([
      expect.stringMatching(
        /'images'.*the Dockerfile resolves to \S+id_rsa\.pem, outside the workspace/,
      ),
    ])
    expect(run.state.cleanup).toBeUndefined()
  })
})

test('a release signed with a cosign key and a Vault key leaks neither key, the password, nor what the Vault answered', async () => {
  const signingKey = makeSigningKey()
  const password = 'Signing-Key-Password-7731'
  const keyText = cosignEncryptedKey(signingKey.privateKey, password)
  const vaultKey = makeVaultKey()
  const namespace = uniqueNamespace('leaksig')
  const started = await startOciDouble({namespace, vaultKeys: [vaultKey]})
  const front = await startOcirFront(started.double, started.double.url, env)
  try {
    const {run, samples} = await runSampled({
      inputs: {
        registry: front.host,
        'oci-user': started.userId,
        'oci-tenancy': started.tenancyId,
        'oci-fingerprint': started.key.fingerprint,
        'oci-private-key': started.key.privateKeyPem,
        'oci-region': 'us-ashburn-1',
        'oci-endpoint': started.double.url,
        'sign-key': keyText,
        'sign-key-password': password,
        'sign-kms-key-id': vaultKey.keyId,
        'sign-kms-key-version-id': vaultKey.keyVersionId,
        'sign-kms-crypto-endpoint': started.double.url,
        images: '- todo-frontend: ./frontend\n- todo-backend: ./backend',
        builder: 'docker',
      },
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(Object.keys(JSON.parse(run.outputs.signatures) as object)).toHaveLength(2)
    // Each of the two digests: its OCIR image signature, and its provenance envelope (attestations
    // are on by default with a key), both signed through the Vault.
    expect(started.double.issuedSignatures).toHaveLength(4)
    expect(Object.keys(JSON.parse(run.outputs.attestations) as object)).toHaveLength(2)
    expect(run.stdout).toContain(`::add-mask::${password}`)
    const bodyLines = (pem: string): string[] =>
      pem.split('\n').filter((line) => line.length >= 16 && !line.includes('-----'))
    const decrypted = signingKey.privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
    const secrets = [
      password,
      ...bodyLines(keyText),
      ...bodyLines(decrypted),
      signingKey.privateKey.export({type: 'pkcs8', format: 'der'}).toString('base64').slice(0, 40),
      ...started.double.issuedSignatures,
    ]
    for (const secret of secrets) {
      expect(everythingWritten(run)).not.toContain(secret)
      expect(samples.filter((sample) => sample.includes(secret))).toEqual([])
    }
    await runPost(run)
  } finally {
    await front.close()
    await started.double.stop()
  }
})

test('a run that fails after the login is still cleaned up by the post step, and other logins stay', async () => {
  const namespace = uniqueNamespace('fail')
  const scratch = join(process.env.RUNNER_TEMP as string, namespace)
  const dockerConfig = join(scratch, 'docker')
  mkdirSync(dockerConfig, {recursive: true})
  const theirs = {auths: {'other.example.com': {auth: 'b3RoZXI6c2VjcmV0'}}}
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify(theirs), {mode: 0o600})

  const run = await runAction({
    inputs: {
      registry: registry.host,
      namespace,
      username: registry.username,
      'auth-token': registry.password,
      images: '- broken-app: ./broken',
      builder: 'docker',
    },
    workspace: join(PROJECT_ROOT, '__tests__/fixtures'),
    env: {DOCKER_CONFIG: dockerConfig},
  })
  expect(run.exitCode).not.toBe(0)
  expect(run.errors[0]).toMatch(/broken-app/)
  const {dockerConfigDir} = JSON.parse(run.state.cleanup) as {dockerConfigDir: string}
  expect(readFileSync(join(dockerConfigDir, 'config.json'), 'utf8')).toContain(registry.host)

  const post = await runPost(run)
  expect(post.exitCode).toBe(0)
  expect(readdirSync(run.env.RUNNER_TEMP).filter((f) => f.startsWith('ocir-push-docker-'))).toEqual(
    [],
  )
  expect(JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8'))).toEqual(theirs)
})

test('the post step never fails the job, even with state pointing nowhere', async () => {
  const run = await runAction({
    inputs: {registry: registry.host, images: 'todo-frontend', 'dry-run': 'true'},
    workspace: join(PROJECT_ROOT, 'examples/todo-app/frontend'),
  })
  const post = await runPost({
    ...run,
    state: {
      ...run.state,
      isPost: 'true',
      cleanup: '{"dockerConfigDir":"/nonexistent/x","host":"h","logout":true}',
    },
  })
  expect(post.exitCode).toBe(0)
})
