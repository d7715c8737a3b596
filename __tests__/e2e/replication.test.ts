/**
 * replicate-to, end to end with the real engine, the real copy and real registries:
 * - three targets: two token-auth OCIR "regions" (each an OCIR front on 127.0.0.1 in front of its
 *   own throwaway token-auth registry, reached through OCIR_PUSH_REGION_HOSTS) and one htpasswd
 *   registry; four images share a 20 MiB base. Every target holds the same digests, the base's
 *   blobs are uploaded once per target (the registries' access logs), the cosign signatures
 *   verify in every target;
 * - a target that fails for good in the middle of the copy: no moving tag moved in any registry
 *   (the run's own included), the summary names the target; the re-run completes every target.
 */
import {spawn, spawnSync, execFileSync, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {portOpen, registryConfig} from '../../scripts/test-env/index.mjs'
import {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import {checkCosignSignature, makeSigningKey} from '../fixtures/cosign-check.js'
import {
  apiKeyInputs,
  startOciDouble,
  type OciDouble,
  type TestApiKey,
} from '../fixtures/oci-double.js'
import {startOcirFront, type OcirFront} from '../fixtures/ocir-front.js'
import {forward, listenLocally} from '../fixtures/fault-proxy.js'
import {registryDigest, registryManifest} from '../fixtures/registry-probe.js'
import {DEFAULT_SHA, runAction, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace, type RegistryInfo} from '../fixtures/test-env.js'

const env = testEnvironment()
const SHORT = `sha-${DEFAULT_SHA.slice(0, 7)}`
const NAMES = ['svc-a', 'svc-b', 'svc-c', 'svc-d']
const BASE_BYTES = 20 * 1024 * 1024

interface Throwaway {
  host: string
  accessLog: string
  info: RegistryInfo
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address() as AddressInfo
      server.close(() => resolvePort(port))
    })
  })
}

/** A distribution registry of its own (token auth like the environment's, or htpasswd), with its access log. */
async function startThrowaway(
  work: string,
  name: string,
  auth: 'token' | 'htpasswd',
): Promise<Throwaway> {
  const port = await freePort()
  const token = env.registries.token
  const authLines =
    auth === 'token'
      ? [
          'auth:',
          '  token:',
          `    realm: ${token.realm}`,
          `    service: ${token.service}`,
          `    issuer: ${token.issuer}`,
          `    rootcertbundle: ${token.issuerCert}`,
        ]
      : [
          'auth:',
          '  htpasswd:',
          '    realm: ocir-push-test',
          `    path: ${join(env.stateDir, 'htpasswd')}`,
        ]
  const config = registryConfig(name, port, authLines, work)
  const accessLog = join(work, `${name}.access.log`)
  const child: ChildProcess = spawn('docker-registry', ['serve', config], {
    stdio: ['ignore', openSync(accessLog, 'w'), openSync(join(work, `${name}.log`), 'w')],
  })
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit))
  for (let tries = 0; !(await portOpen(port)); tries++) {
    if (tries > 100) throw new Error(`registry ${name} did not start`)
    await new Promise((resolveWait) => setTimeout(resolveWait, 100))
  }
  const host = `127.0.0.1:${port}`
  const source = auth === 'token' ? token : env.registries.htpasswd
  return {
    host,
    accessLog,
    info: {host, username: source.username, password: source.password, log: accessLog},
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/** Completed blob uploads (the PUT that ends one) of a digest, in an access log. */
function uploadsOf(accessLog: string, digest: string): number {
  const hex = digest.replace('sha256:', '')
  return readFileSync(accessLog, 'utf8')
    .split('\n')
    .filter((line) => /"PUT \/v2\/[^ ]*\/blobs\/uploads\//.test(line))
    .filter((line) => line.includes(`sha256%3A${hex}`) || line.includes(`sha256:${hex}`))
    .filter((line) => /HTTP\/[\d.]+" 201 /.test(line)).length
}

/** Each of `tags` of `repository` names `digest` in every place (undefined: is in none). */
async function expectTags(
  places: readonly {name: string; info: RegistryInfo}[],
  repository: string,
  tags: readonly string[],
  digest: string | undefined,
): Promise<void> {
  for (const place of places)
    for (const tag of tags)
      expect(
        await registryDigest(place.info, repository, tag),
        `${place.name} ${repository}:${tag}`,
      ).toBe(digest)
}

/** The run's log without its `::add-mask::` commands: what a reader of the log sees. */
function unmasked(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/** A proxy that answers 500 to everything after `healthy` requests, until healed. */
async function startBreakingProxy(
  target: string,
  healthy: number,
): Promise<{host: string; heal(): void; broken: () => number; close(): Promise<void>}> {
  let seen = 0
  let broken = 0
  let healed = false
  const server: Server = createServer((req, res) => {
    seen++
    if (!healed && seen > healthy) {
      broken++
      req.resume()
      res.writeHead(500, {'content-length': '0'}).end()
      return
    }
    forward(target, req, res)
  })
  return {...(await listenLocally(server)), heal: () => (healed = true), broken: () => broken}
}

/** A base image of 20 MiB of random data and busybox (docker import), and `count` services FROM it. */
function makeWorkspace(work: string, tag: string, names: readonly string[]): string {
  const root = join(work, 'base-root')
  mkdirSync(join(root, 'bin'), {recursive: true})
  mkdirSync(join(root, 'data'), {recursive: true})
  copyFileSync(join(env.stateDir, 'busybox-root', 'bin', 'busybox'), join(root, 'bin', 'busybox'))
  symlinkSync('busybox', join(root, 'bin', 'sh'))
  writeFileSync(join(root, 'data', 'random'), randomBytes(BASE_BYTES))
  execFileSync('sh', ['-c', `tar -C "${root}" -c . | docker import - ${tag}`], {stdio: 'ignore'})
  const workspace = join(work, 'workspace')
  for (const name of names) {
    mkdirSync(join(workspace, name), {recursive: true})
    writeFileSync(join(workspace, name, 'app.txt'), `${name}\n`)
    writeFileSync(join(workspace, name, 'Dockerfile'), `FROM ${tag}\nCOPY app.txt /app.txt\n`)
  }
  return workspace
}

/** Removes the local images a test left: its base, and every tag naming its namespace. */
function removeLocalImages(namespace: string): void {
  const ids = execFileSync(
    'docker',
    ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}'],
    {encoding: 'utf8'},
  )
    .split('\n')
    .filter(
      (line) =>
        line.includes(`/${namespace}/`) || line.startsWith(`replication-base:${namespace} `),
    )
    .map((line) => line.split(' ')[1])
  if (ids.length > 0) spawnSync('docker', ['image', 'rm', '-f', ...new Set(ids)], {stdio: 'ignore'})
}

function client(registry: RegistryInfo): RegistryHttpClient {
  return new RegistryHttpClient({
    host: registry.host,
    insecure: true,
    username: registry.username,
    password: registry.password,
    retry: {retries: 0, baseMs: 10},
  })
}

interface Setup {
  double: OciDouble
  started: {double: OciDouble; key: TestApiKey; tenancyId: string; userId: string}
  primary: OcirFront
  work: string
}

async function startSetup(namespace: string): Promise<Setup> {
  const started = await startOciDouble({namespace})
  const primary = await startOcirFront(started.double, started.double.url, env)
  return {
    double: started.double,
    started,
    primary,
    work: mkdtempSync(join(tmpdir(), 'replication-')),
  }
}

function images(names: readonly string[]): string {
  return names.map((name) => `- ${name}: ${name}`).join('\n')
}

function repliesOf(run: ActionRun): Record<string, Record<string, string>> {
  return JSON.parse(run.outputs.replicas ?? '{}') as Record<string, Record<string, string>>
}

describe('replicate-to: two OCIR regions and an htpasswd registry', () => {
  const namespace = uniqueNamespace('rep')
  const key = makeSigningKey()
  let setup: Setup
  let regions: {name: string; registry: Throwaway; front: OcirFront}[]
  let htpasswd: Throwaway
  let workspace: string

  beforeAll(async () => {
    setup = await startSetup(namespace)
    regions = []
    for (const name of ['fra.ocir.io', 'ams.ocir.io']) {
      const registry = await startThrowaway(setup.work, name.split('.')[0], 'token')
      const front = await startOcirFront(setup.double, setup.double.url, env, registry.host)
      regions.push({name, registry, front})
    }
    htpasswd = await startThrowaway(setup.work, 'mirror', 'htpasswd')
    workspace = makeWorkspace(setup.work, `replication-base:${namespace}`, NAMES)
  }, 120_000)
  afterAll(async () => {
    for (const region of regions ?? []) {
      await region.front.close()
      await region.registry.stop()
    }
    await htpasswd?.stop()
    await setup?.primary.close()
    await setup?.double.stop()
    removeLocalImages(namespace)
  })

  test('every target holds the same digests and signatures; the base goes up once per target; the moving tags moved everywhere', async () => {
    const run = await runAction({
      workspace,
      inputs: {
        registry: setup.primary.host,
        ...apiKeyInputs(setup.started),
        images: images(NAMES),
        builder: 'docker',
        'max-parallel': '2',
        'sign-key': key.pkcs8Pem,
        'ensure-repositories': 'true',
        'replicate-to': `fra\neu-amsterdam-1   # a region id\n${htpasswd.host}`,
        'replicate-auth': `${htpasswd.host}:\n  username: ${htpasswd.info.username}\n  password: ${htpasswd.info.password}\n`,
      },
      env: {
        OCIR_PUSH_REGION_HOSTS: JSON.stringify(
          Object.fromEntries(regions.map((region) => [region.name, region.front.host])),
        ),
      },
    })
    expect(run.errors, run.stdout).toEqual([])
    expect(run.exitCode).toBe(0)
    const digests = JSON.parse(run.outputs.digests) as Record<string, string>
    const targets = [
      ...regions.map((region) => ({
        name: region.name,
        info: region.registry.info,
        log: region.registry.accessLog,
      })),
      {name: htpasswd.host, info: htpasswd.info, log: htpasswd.accessLog},
    ]
    expect(repliesOf(run)).toEqual(
      Object.fromEntries(
        NAMES.map((name) => [
          name,
          Object.fromEntries(targets.map((target) => [target.name, digests[name]])),
        ]),
      ),
    )
    expect(run.summary).toContain('<th>replicas</th>')
    // The password of replicate-auth is masked.
    expect(run.masks).toContain(htpasswd.info.password)

    const primary: RegistryInfo = {...env.registries.token}
    const published = JSON.parse(run.outputs.images) as {name: string; repository: string}[]
    for (const name of NAMES) {
      const repository = `${namespace}/${name}`
      expect(await registryDigest(primary, repository, 'latest')).toBe(digests[name])
      await expectTags(targets, repository, [SHORT, 'main', 'latest'], digests[name])
    }

    // The base layer (20 MiB of random data) is uploaded once per target, then mounted or skipped.
    const manifest = (await registryManifest(primary, `${namespace}/${NAMES[0]}`, 'latest')) as {
      layers: {digest: string; size: number}[]
    }
    const base = manifest.layers[0]
    expect(base.size).toBeGreaterThan(BASE_BYTES)
    for (const target of targets) expect(uploadsOf(target.log, base.digest), target.name).toBe(1)

    // The cosign signatures (made in the run's registry, copied) verify in every target.
    for (const target of targets) {
      const reader = client(target.info)
      for (const image of published) {
        const verdict = await checkCosignSignature(
          reader,
          `${namespace}/${image.name}`,
          image.repository,
          digests[image.name],
          key.publicKey,
        )
        expect(
          verdict.verified,
          `${target.name} ${image.name}: ${verdict.problems.join(', ')}`,
        ).toBeGreaterThan(0)
      }
    }
    // The regions' repositories were ensured (through the OCI double standing in for every region).
    for (const name of NAMES) expect(setup.double.repositoriesNamed(name).length).toBeGreaterThan(0)
  }, 600_000)
})

describe('replicate-to: a target that fails for good in the middle of the copy', () => {
  const namespace = uniqueNamespace('repf')
  const names = NAMES.slice(0, 2)
  let setup: Setup
  let region: {registry: Throwaway; front: OcirFront}
  let mirror: Throwaway
  let proxy: Awaited<ReturnType<typeof startBreakingProxy>>
  let workspace: string

  beforeAll(async () => {
    setup = await startSetup(namespace)
    const registry = await startThrowaway(setup.work, 'fra', 'token')
    region = {
      registry,
      front: await startOcirFront(setup.double, setup.double.url, env, registry.host),
    }
    mirror = await startThrowaway(setup.work, 'mirror', 'htpasswd')
    // The login check and a few blobs pass; then every request gets a 500.
    proxy = await startBreakingProxy(mirror.host, 12)
    workspace = makeWorkspace(setup.work, `replication-base:${namespace}`, names)
  }, 120_000)
  afterAll(async () => {
    await proxy?.close()
    await region?.front.close()
    await region?.registry.stop()
    await mirror?.stop()
    await setup?.primary.close()
    await setup?.double.stop()
    removeLocalImages(namespace)
  })

  test('preflight: a target that refuses the login stops the run before anything is built or pushed, naming the target and the fix', async () => {
    const run = await runAction({
      workspace,
      inputs: {
        registry: setup.primary.host,
        ...apiKeyInputs(setup.started),
        images: images(names),
        builder: 'docker',
        'replicate-to': `fra\n${mirror.host}`,
        'replicate-auth': `${mirror.host}: {username: ${mirror.info.username}, password: not-the-password}`,
      },
      env: {OCIR_PUSH_REGION_HOSTS: JSON.stringify({'fra.ocir.io': region.front.host})},
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      new RegExp(
        `replication target ${mirror.host.replace(/\./g, '\\.')} refused the login as tester.*check the username and password of ${mirror.host.replace(/\./g, '\\.')} in replicate-auth.*Nothing was built or pushed`,
      ),
    )
    expect(run.masks).toContain('not-the-password')
    expect(unmasked(run)).not.toContain('not-the-password')
    for (const name of names)
      expect(
        await registryDigest(env.registries.token, `${namespace}/${name}`, SHORT),
      ).toBeUndefined()
  }, 300_000)

  test('no moving tag moves in any registry, the summary names the target; the re-run completes every target', async () => {
    const run = (): Promise<ActionRun> =>
      runAction({
        workspace,
        inputs: {
          registry: setup.primary.host,
          ...apiKeyInputs(setup.started),
          images: images(names),
          builder: 'docker',
          retries: '1',
          'replicate-to': `fra\n${proxy.host}`,
          'replicate-auth': `${proxy.host}: {username: ${mirror.info.username}, password: ${mirror.info.password}}`,
        },
        env: {
          OCIR_PUSH_REGION_HOSTS: JSON.stringify({'fra.ocir.io': region.front.host}),
          OCIR_PUSH_RETRY_BASE_MS: '20',
        },
      })
    const failed = await run()
    expect(failed.exitCode).toBe(1)
    expect(proxy.broken()).toBeGreaterThan(0)
    // It failed in the middle: some blobs had reached the target.
    expect(readFileSync(mirror.accessLog, 'utf8')).toMatch(
      /"PUT \/v2\/[^ ]*\/blobs\/uploads\/[^ ]* HTTP\/[\d.]+" 201 /,
    )
    expect(failed.summary).toContain(`replication failed in ${proxy.host}`)
    expect(failed.errors.join('\n')).toContain(proxy.host)
    const primary: RegistryInfo = {...env.registries.token}
    const places = [primary, region.registry.info, mirror.info].map((info) => ({
      name: info.host,
      info,
    }))
    for (const name of names) {
      const repository = `${namespace}/${name}`
      await expectTags(places, repository, ['latest', 'main'], undefined)
      // The run's own registry holds the immutable reference: only the moving tags waited.
      expect(await registryDigest(primary, repository, SHORT)).toMatch(/^sha256:/)
    }

    proxy.heal()
    const rerun = await run()
    expect(rerun.errors, rerun.stdout).toEqual([])
    expect(rerun.exitCode).toBe(0)
    const digests = JSON.parse(rerun.outputs.digests) as Record<string, string>
    for (const name of names)
      await expectTags(places, `${namespace}/${name}`, [SHORT, 'latest', 'main'], digests[name])
    expect(Object.keys(repliesOf(rerun)[names[0]]).sort()).toEqual(
      ['fra.ocir.io', proxy.host].sort(),
    )
  }, 600_000)
})

describe('replicate-to in a dry run', () => {
  test('lists the logins, the copies and the moves, and replicates nothing', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'replication-dry-'))
    writeFileSync(join(workspace, 'Dockerfile'), `FROM ${env.baseImage}\n`)
    const run = await runAction({
      workspace,
      inputs: {
        region: 'fra',
        namespace: 'ns1',
        username: 'jdoe@example.com',
        'auth-token': 'token-not-used',
        images: '- app: .',
        'dry-run': 'true',
        'replicate-to': 'ams\nregistry.example.com',
        'replicate-auth': 'registry.example.com: {username: ci, password: mirror-secret}',
      },
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.summary).toContain(
      '# copy fra.ocir.io/ns1/app@<pushed digest> to ams.ocir.io/ns1/app',
    )
    expect(run.summary).toContain(
      '# copy fra.ocir.io/ns1/app@<pushed digest> to registry.example.com/ns1/app',
    )
    expect(run.summary).toContain('# move latest in ams.ocir.io/ns1/app')
    expect(run.summary).toContain('# move main in registry.example.com/ns1/app')
    expect(run.summary).toContain('# log in to registry.example.com (replicate-auth: ci)')
    expect(run.outputs.replicas).toBe('{}')
    expect(run.masks).toContain('mirror-secret')
    expect(unmasked(run) + run.summary).not.toContain('mirror-secret')
  })
})

describe('replicate-to: bad input stops the run before anything happens', () => {
  test('a region while the run’s registry is not OCIR (no namespace or login to carry over)', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'replication-bad-'))
    writeFileSync(join(workspace, 'Dockerfile'), `FROM ${env.baseImage}\n`)
    const run = await runAction({
      workspace,
      inputs: {
        registry: env.registries.open.host,
        namespace: uniqueNamespace('repi'),
        images: '- app: .',
        'replicate-to': 'fra',
      },
    })
    expect(run.exitCode).toBe(1)
    expect(run.errors).toEqual([
      expect.stringMatching(
        /input 'replicate-to' has an unusable value 'fra'.*127\.0\.0\.1:5000 is not OCIR/,
      ),
    ])
  })
})

describe('stage cleanup with replicate-to', () => {
  test('applies the same retention rules in every target', async () => {
    const namespace = uniqueNamespace('repc')
    const work = mkdtempSync(join(tmpdir(), 'replication-cleanup-'))
    const mirror = await startThrowaway(work, 'mirror', 'htpasswd')
    try {
      const workspace = join(work, 'workspace')
      mkdirSync(workspace, {recursive: true})
      writeFileSync(join(workspace, 'Dockerfile'), `FROM ${env.baseImage}\nCOPY Dockerfile /d\n`)
      const primary = env.registries.htpasswd
      const common = {
        registry: primary.host,
        namespace,
        username: primary.username,
        'auth-token': primary.password,
        images: '- app: .',
        builder: 'docker',
        'replicate-to': mirror.host,
        'replicate-auth': `${mirror.host}: {username: ${mirror.info.username}, password: ${mirror.info.password}}`,
      }
      const shas = ['a'.repeat(40), 'b'.repeat(40)]
      for (const sha of shas) {
        const release = await runAction({workspace, sha, inputs: common})
        expect(release.errors, release.stdout).toEqual([])
      }
      const repository = `${namespace}/app`
      const old = await registryDigest(primary, repository, 'sha-aaaaaaa')
      const kept = await registryDigest(primary, repository, 'sha-bbbbbbb')
      expect(old).toMatch(/^sha256:/)
      expect(kept).not.toBe(old)
      expect(await registryDigest(mirror.info, repository, 'sha-aaaaaaa')).toBe(old)

      const cleanup = await runAction({
        workspace,
        inputs: {...common, stage: 'cleanup', 'keep-last': '1'},
      })
      expect(cleanup.errors, cleanup.stdout).toEqual([])
      expect(cleanup.exitCode).toBe(0)
      const deleted = JSON.parse(cleanup.outputs.deleted) as Record<string, string[]>
      expect(deleted.app).toEqual(
        expect.arrayContaining([
          `${primary.host}/${repository}@${old}`,
          `${mirror.host}/${repository}@${old}`,
        ]),
      )
      for (const place of [primary, mirror.info]) {
        expect(await registryDigest(place, repository, 'sha-aaaaaaa'), place.host).toBeUndefined()
        expect(await registryDigest(place, repository, 'latest'), place.host).toBe(kept)
      }
    } finally {
      await mirror.stop()
      removeLocalImages(namespace)
    }
  }, 300_000)
})
