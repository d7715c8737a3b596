/**
 * Attestations through `node dist/index.js` (issue 23), against the registries of the test env:
 * - with a cosign key, every pushed digest of a docker-built and of a buildah-built image has a
 *   `.att` manifest whose provenance verifies with the public key (not with another), names that
 *   digest, the commit, the workflow and the base image's digest, and never a build-arg value;
 * - the SBOM of an image built FROM a `docker import`ed base holding this machine's real dpkg
 *   status file, with a small node_modules tree, lists those packages with versions and purls;
 * - a refused `.att` push fails the image, and no moving tag moves;
 * - where the registry has the referrers API (a proxy plays one), each attestation is a referrer
 *   too; without a key, attestations are stored unsigned and the log says so;
 * - a multi-arch merge attests the index and each platform manifest;
 * - a dry run lists what it would attest; an unknown word in the input is an InputError;
 * - cleanup deletes the attestations of deleted images and keeps those of kept ones;
 * - with the Vault key (OCI double), the envelope verifies with the key's public half.
 * No cosign can run here: the checks follow cosign's format (fixtures/attestation-check.ts).
 */
import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {join} from 'node:path'
import {beforeAll, describe, expect, test} from 'vitest'
import {checkAttestations, onlyOne, type Statement} from '../fixtures/attestation-check.js'
import {makeSigningKey} from '../fixtures/cosign-check.js'
import {forward, listenLocally, startFaultProxy} from '../fixtures/fault-proxy.js'
import {apiKeyInputs, makeVaultKey, startOciDouble} from '../fixtures/oci-double.js'
import {startOcirFront} from '../fixtures/ocir-front.js'
import {indexChildren, registryDigest, registryManifest} from '../fixtures/registry-probe.js'
import {registryReader} from '../fixtures/registry-reader.js'
import {PROJECT_ROOT, runAction, runPost} from '../fixtures/run-action.js'
import {multiArchInputs, testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'
const WORKFLOW_REF = 'acme/todo/.github/workflows/release.yml@refs/heads/main'
const ARG_VALUE = 'build-arg-value-never-in-a-statement'
const PROVENANCE = 'https://slsa.dev/provenance/v1'
const SPDX = 'https://spdx.dev/Document'
const key = makeSigningKey()
const stranger = makeSigningKey()

let workspace: string
let base: {ref: string; digest: string}
/** The first package of this machine's dpkg status file, which the base image holds. */
let dpkgPackage: {name: string; version: string}

/** A base image made with `docker import` of a root file system with a real dpkg database. */
function pushBase(namespace: string): string {
  const root = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'rootfs-'))
  mkdirSync(join(root, 'var/lib/dpkg'), {recursive: true})
  mkdirSync(join(root, 'bin'), {recursive: true})
  copyFileSync('/var/lib/dpkg/status', join(root, 'var/lib/dpkg/status'))
  copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'))
  const tarball = `${root}.tar`
  execFileSync('tar', ['-C', root, '-cf', tarball, '.'])
  const ref = `${env.registries.open.host}/${namespace}/dpkg-base:1`
  execFileSync('docker', ['import', tarball, ref], {stdio: 'ignore'})
  execFileSync('docker', ['push', ref], {stdio: 'ignore'})
  return ref
}

function write(path: string, text: string): void {
  mkdirSync(join(workspace, path, '..'), {recursive: true})
  writeFileSync(join(workspace, path), text)
}

beforeAll(async () => {
  const namespace = uniqueNamespace('attbase')
  const ref = pushBase(namespace)
  const digest = await registryDigest(env.registries.open, `${namespace}/dpkg-base`, '1')
  if (!digest) throw new Error('the base image was not pushed')
  base = {ref, digest}
  const status = readFileSync('/var/lib/dpkg/status', 'utf8')
  dpkgPackage = {
    name: /^Package: (.+)$/m.exec(status)?.[1] ?? '',
    version: /^Version: (.+)$/m.exec(status)?.[1] ?? '',
  }
  workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'att-ws-'))
  write('app/Dockerfile', `FROM ${ref}\nARG GREETING\nCOPY . /app/\n`)
  write('app/app.txt', 'hello\n')
  write('app/node_modules/left-pad/package.json', '{"name":"left-pad","version":"1.3.0"}\n')
  write(
    'app/node_modules/@acme/widgets/package.json',
    '{"name":"@acme/widgets","version":"2.0.1","license":"MIT"}\n',
  )
}, 120_000)

async function release(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const run = await runAction({
    inputs,
    workspace,
    sha: SHA,
    env: {OCIR_PUSH_RETRY_BASE_MS: '10', GITHUB_WORKFLOW_REF: WORKFLOW_REF, ...extraEnv},
  })
  await runPost(run)
  return {
    run,
    images: JSON.parse(run.outputs.images ?? '[]') as {
      name: string
      repository: string
      digest: string
      status: string
    }[],
    attestations: JSON.parse(run.outputs.attestations ?? '{}') as Record<
      string,
      Record<string, string[]>
    >,
  }
}

function imagesInput(name: string): string {
  return `- name: ${name}\n  context: app\n  build-args:\n    GREETING: ${ARG_VALUE}\n`
}

/** What the provenance of `digest` must say. */
function expectProvenance(statement: Statement, imageName: string, digest: string): void {
  expect(statement._type).toBe('https://in-toto.io/Statement/v1')
  expect(statement.subject).toEqual([{name: imageName, digest: {sha256: digest.slice(7)}}])
  const text = JSON.stringify(statement)
  expect(text).not.toContain(ARG_VALUE)
  const predicate = statement.predicate as {
    buildDefinition: {
      buildType: string
      externalParameters: Record<string, unknown>
      internalParameters: {buildArgs: string[]}
      resolvedDependencies: {uri?: string; digest?: Record<string, string>}[]
    }
    runDetails: {builder: {id: string}; metadata: {invocationId: string}}
  }
  const {buildDefinition, runDetails} = predicate
  expect(buildDefinition.buildType).toBe(
    'https://github.com/ocir-push/ocir-push/buildtypes/release/v1',
  )
  expect(buildDefinition.externalParameters).toMatchObject({sha: SHA, ref: 'refs/heads/main'})
  expect(buildDefinition.internalParameters.buildArgs).toEqual(['GREETING'])
  expect(buildDefinition.resolvedDependencies).toContainEqual(
    expect.objectContaining({digest: {gitCommit: SHA}}),
  )
  expect(buildDefinition.resolvedDependencies).toContainEqual(
    expect.objectContaining({digest: {sha256: base.digest.slice(7)}}),
  )
  expect(runDetails.builder.id).toBe(`https://github.com/${WORKFLOW_REF}`)
  expect(runDetails.metadata.invocationId).toBe(
    'https://github.com/acme/todo/actions/runs/1/attempts/1',
  )
}

/** What the SBOM must list: the base's dpkg packages and the node_modules tree, with purls. */
function expectSbom(statement: Statement, imageName: string, digest: string): void {
  expect(statement.subject).toEqual([{name: imageName, digest: {sha256: digest.slice(7)}}])
  const document = statement.predicate as {
    spdxVersion: string
    packages: {
      name: string
      versionInfo?: string
      externalRefs?: {referenceType: string; referenceLocator: string}[]
    }[]
  }
  expect(document.spdxVersion).toBe('SPDX-2.3')
  const purlOf = (name: string): string | undefined =>
    document.packages
      .find((listed) => listed.name === name)
      ?.externalRefs?.find((ref) => ref.referenceType === 'purl')?.referenceLocator
  const versionOf = (name: string): string | undefined =>
    document.packages.find((listed) => listed.name === name)?.versionInfo
  expect(versionOf('left-pad')).toBe('1.3.0')
  expect(purlOf('left-pad')).toBe('pkg:npm/left-pad@1.3.0')
  expect(versionOf('@acme/widgets')).toBe('2.0.1')
  expect(purlOf('@acme/widgets')).toBe('pkg:npm/%40acme/widgets@2.0.1')
  expect(versionOf(dpkgPackage.name)).toBe(dpkgPackage.version)
  expect(purlOf(dpkgPackage.name)).toMatch(
    new RegExp(`^pkg:deb/[a-z]+/${dpkgPackage.name.replace(/[+.]/g, '\\$&')}@`),
  )
}

describe.each(['docker', 'buildah'])('a release built with %s, with a cosign key', (builder) => {
  test('every pushed digest has a .att manifest: provenance and SBOM, signed with the key and not another, about that digest', async () => {
    const registry = env.registries.htpasswd
    const namespace = uniqueNamespace('att')
    const name = `app-${builder}`
    const done = await release({
      registry: registry.host,
      namespace,
      username: registry.username as string,
      'auth-token': registry.password as string,
      images: imagesInput(name),
      builder,
      retries: '1',
      'sign-key': key.pkcs8Pem,
      attestations: 'provenance, sbom',
    })
    expect(done.run.errors).toEqual([])
    expect(done.run.exitCode).toBe(0)
    expect(done.run.summary).toContain('<th>attestations</th>')
    expect(done.run.stdout).not.toContain('stored unsigned')
    // Debian's distribution 2.8 has no referrers API: the log says so, once.
    expect(done.run.stdout.match(/registry has no referrers API/g)).toHaveLength(1)
    const [image] = done.images
    expect(image.status).toBe('pushed')
    const repository = `${namespace}/${name}`
    expect(done.attestations[name]).toEqual({
      [image.digest]: [`${image.repository}:${image.digest.replace(':', '-')}.att`],
    })
    const client = registryReader(registry)
    const verdict = await checkAttestations(client, repository, image.digest, key.publicKey)
    expect(verdict.problems).toEqual([])
    const provenance = onlyOne(verdict, PROVENANCE)
    expect(provenance.verified).toBe(1)
    expectProvenance(provenance.statement, image.repository, image.digest)
    const sbom = onlyOne(verdict, SPDX)
    expect(sbom.verified).toBe(1)
    expectSbom(sbom.statement, image.repository, image.digest)
    const other = await checkAttestations(client, repository, image.digest, stranger.publicKey)
    expect(other.found.map((found) => found.verified)).toEqual([0, 0])
    // The moving tags name the attested digest.
    expect(await registryDigest(registry, repository, 'latest')).toBe(image.digest)
  })
})

test('a refused .att push fails the image: no moving tag of any image moves', async () => {
  const open = env.registries.open
  const proxy = await startFaultProxy(open.host, [
    {
      name: 'att',
      method: 'PUT',
      path: /\/manifests\/sha256-[0-9a-f]{64}\.att$/,
      fault: '500',
      times: 1000,
    },
  ])
  try {
    const namespace = uniqueNamespace('attfail')
    const done = await release({
      registry: proxy.host,
      namespace,
      images: `${imagesInput('app-one')}${imagesInput('app-two')}`,
      builder: 'docker',
      retries: '1',
      'sign-key': key.pkcs8Pem,
    })
    expect(done.run.exitCode).not.toBe(0)
    expect(proxy.injected.att).toBeGreaterThan(0)
    expect(done.images.map((image) => image.status)).toEqual(['failed', 'failed'])
    expect(done.run.errors.join('\n')).toMatch(/sha256-[0-9a-f]{64}\.att/)
    for (const name of ['app-one', 'app-two']) {
      // The immutable tag was pushed; latest and the branch tag were not.
      expect(await registryDigest(open, `${namespace}/${name}`, 'sha-a1b2c3d')).toBeDefined()
      expect(await registryDigest(open, `${namespace}/${name}`, 'latest')).toBeUndefined()
      expect(await registryDigest(open, `${namespace}/${name}`, 'main')).toBeUndefined()
      // Nor was anything signed.
      const digest = await registryDigest(open, `${namespace}/${name}`, 'sha-a1b2c3d')
      expect(
        await registryDigest(open, `${namespace}/${name}`, `${digest?.replace(':', '-')}.sig`),
      ).toBeUndefined()
    }
  } finally {
    await proxy.close()
  }
})

/**
 * Debian's distribution 2.8 has no referrers API; this proxy plays one that has it: it answers
 * a manifest PUT whose body has a `subject` with `OCI-Subject` naming it, as OCI 1.1 registries do.
 */
async function startReferrersProxy(
  target: string,
): Promise<{host: string; close(): Promise<void>}> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      let subject: string | undefined
      if (req.method === 'PUT' && /\/manifests\//.test(req.url ?? ''))
        try {
          subject = (JSON.parse(body.toString()) as {subject?: {digest?: string}}).subject?.digest
        } catch {
          subject = undefined
        }
      forward(target, req, res, {
        body,
        headers: (answer) => ({...answer.headers, ...(subject ? {'oci-subject': subject} : {})}),
      })
    })
  })
  return listenLocally(server)
}

test('where the registry has the referrers API, each attestation is also a referrer of the image; without a key it is stored unsigned, and the log says so', async () => {
  const open = env.registries.open
  const proxy = await startReferrersProxy(open.host)
  try {
    const namespace = uniqueNamespace('attref')
    const done = await release({
      registry: proxy.host,
      namespace,
      images: imagesInput('app'),
      builder: 'docker',
      retries: '1',
      attestations: 'provenance',
    })
    expect(done.run.errors).toEqual([])
    expect(done.run.stdout).not.toContain('registry has no referrers API')
    expect(done.run.stdout).toContain('stored unsigned: no sign-key or Vault key')
    const [image] = done.images
    const places = done.attestations.app[image.digest]
    expect(places[0]).toBe(`${image.repository}:${image.digest.replace(':', '-')}.att`)
    expect(places[1]).toMatch(new RegExp(`^${image.repository}@sha256:[0-9a-f]{64}$`))
    const referrer = (await registryManifest(
      open,
      `${namespace}/app`,
      places[1].split('@')[1],
    )) as {artifactType: string; subject: {digest: string}; annotations: Record<string, string>}
    expect(referrer.artifactType).toBe('application/vnd.dsse.envelope.v1+json')
    expect(referrer.subject.digest).toBe(image.digest)
    expect(referrer.annotations.predicateType).toBe(PROVENANCE)
    const verdict = await checkAttestations(registryReader(open), `${namespace}/app`, image.digest)
    expect(onlyOne(verdict, PROVENANCE).signatures).toBe(0)
  } finally {
    await proxy.close()
  }
})

test('a multi-arch merge attests the index (provenance) and each platform manifest (provenance and SBOM)', async () => {
  const token = env.registries.token
  const namespace = uniqueNamespace('attma')
  const base = multiArchInputs(token, namespace)
  const todo = join(PROJECT_ROOT, 'examples/todo-app')
  for (const platforms of ['linux/amd64', 'linux/arm64']) {
    const leg = await runAction({inputs: {...base, stage: 'platform', platforms}, workspace: todo})
    await runPost(leg)
    expect(leg.errors).toEqual([])
  }
  const merge = await runAction({
    inputs: {
      ...base,
      stage: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      'sign-key': key.pkcs8Pem,
      attestations: 'provenance,sbom',
    },
    workspace: todo,
    env: {GITHUB_WORKFLOW_REF: WORKFLOW_REF},
  })
  await runPost(merge)
  expect(merge.errors).toEqual([])
  const [image] = JSON.parse(merge.outputs.images) as {digest: string; repository: string}[]
  const repository = `${namespace}/todo-frontend`
  const children = await indexChildren(token, repository, image.digest)
  expect(children).toHaveLength(2)
  const attested = JSON.parse(merge.outputs.attestations) as Record<
    string,
    Record<string, string[]>
  >
  expect(Object.keys(attested['todo-frontend'])).toEqual([image.digest, ...children])
  const client = registryReader(token)
  const ofIndex = await checkAttestations(client, repository, image.digest, key.publicKey)
  expect(ofIndex.problems).toEqual([])
  expect(ofIndex.found.map((found) => [found.annotation, found.verified])).toEqual([
    [PROVENANCE, 1],
  ])
  expect(onlyOne(ofIndex, PROVENANCE).statement.predicate).toMatchObject({
    buildDefinition: {
      internalParameters: {stage: 'merge', platforms: ['linux/amd64', 'linux/arm64']},
    },
  })
  for (const digest of children) {
    const verdict = await checkAttestations(client, repository, digest, key.publicKey)
    expect(verdict.problems).toEqual([])
    expect(verdict.found.map((found) => [found.annotation, found.verified])).toEqual([
      [PROVENANCE, 1],
      [SPDX, 1],
    ])
    expect(onlyOne(verdict, SPDX).statement.subject[0].digest.sha256).toBe(digest.slice(7))
  }
})

test('a dry run lists what it would attest: each image, and each platform manifest of a merge', async () => {
  const inputs = {
    registry: 'iad.ocir.io',
    namespace: 'ns1',
    username: 'jdoe',
    'auth-token': 'never-used',
    images: '- todo-frontend: frontend',
    'dry-run': 'true',
    attestations: 'provenance, sbom',
  }
  const todo = join(PROJECT_ROOT, 'examples/todo-app')
  const single = await runAction({inputs, workspace: todo})
  expect(single.errors).toEqual([])
  expect(single.summary).toMatch(
    /# attest iad\.ocir\.io\/ns1\/todo-frontend@.{0,8}pushed digest.{0,8}: provenance, sbom \(unsigned: no signing key\)/,
  )
  expect(single.outputs.attestations).toBe('{}')
  const merge = await runAction({
    inputs: {
      ...inputs,
      stage: 'merge',
      platforms: 'linux/amd64,linux/arm64',
      'sign-key': key.pkcs8Pem,
    },
    workspace: todo,
  })
  expect(merge.errors).toEqual([])
  expect(merge.summary).toMatch(
    /# attest iad\.ocir\.io\/ns1\/todo-frontend@.{0,8}pushed digest.{0,8}: provenance \(signed with the cosign key\)/,
  )
  expect(merge.summary).toMatch(
    /# attest iad\.ocir\.io\/ns1\/todo-frontend@.{0,8}linux\/arm64 manifest digest.{0,8}: provenance, sbom \(signed with the cosign key\)/,
  )
})

test('bad input: an unknown attestation is an error naming the input, the value and the words', async () => {
  const run = await runAction({
    workspace: join(PROJECT_ROOT, 'examples/todo-app'),
    inputs: {
      registry: '127.0.0.1:5000',
      namespace: 'ns',
      images: '- todo-frontend: frontend',
      attestations: 'provenance, slsa',
    },
  })
  expect(run.exitCode).not.toBe(0)
  expect(run.errors.join('\n')).toMatch(
    /input 'attestations' has an unusable value 'provenance, slsa'.*'slsa'.*provenance, sbom/,
  )
})

test('cleanup deletes the attestations of the images it deletes, and keeps those of the images it keeps', async () => {
  const token = env.registries.token
  const namespace = uniqueNamespace('attcl')
  const repository = `${namespace}/app`
  const epoch = 1_700_000_000
  const repositoryData = {
    default_branch: 'main',
    full_name: 'acme/todo',
    html_url: 'https://github.com/acme/todo',
  }
  const common = {
    registry: token.host,
    namespace,
    username: token.username as string,
    'auth-token': token.password as string,
    retries: '1',
  }
  const digests: string[] = []
  for (let n = 1; n <= 3; n++) {
    write('app/app.txt', `release ${n}\n`)
    const sha = `${n}`.repeat(7).padEnd(40, 'd')
    const run = await runAction({
      inputs: {...common, images: imagesInput('app'), builder: 'buildah', 'sign-key': key.pkcs8Pem},
      ref: 'refs/heads/main',
      event: {ref: 'refs/heads/main', after: sha, repository: repositoryData},
      sha,
      workspace,
      env: {SOURCE_DATE_EPOCH: String(epoch + n * 3600), OCIR_PUSH_RETRY_BASE_MS: '10'},
    })
    await runPost(run)
    expect(run.errors, `release ${n}`).toEqual([])
    digests.push((JSON.parse(run.outputs.images) as {digest: string}[])[0].digest)
  }
  const attTag = (digest: string): string => `${digest.replace(':', '-')}.att`
  for (const digest of digests)
    expect(await registryDigest(token, repository, attTag(digest)), digest).toBeDefined()
  const cleanup = await runAction({
    inputs: {...common, images: 'app', stage: 'cleanup', 'keep-last': '1'},
    eventName: 'schedule',
    event: {schedule: '0 3 * * 0', repository: repositoryData},
    workspace,
  })
  await runPost(cleanup)
  expect(cleanup.errors).toEqual([])
  const deleted = (JSON.parse(cleanup.outputs.deleted) as Record<string, string[]>).app
  const image = `${token.host}/${repository}`
  for (const digest of digests.slice(0, 2)) {
    expect(await registryDigest(token, repository, digest)).toBeUndefined()
    expect(await registryDigest(token, repository, attTag(digest))).toBeUndefined()
    expect(deleted).toContain(`${image}:${attTag(digest)}`)
  }
  const kept = digests[2]
  expect(await registryDigest(token, repository, kept)).toBe(kept)
  const verdict = await checkAttestations(registryReader(token), repository, kept, key.publicKey)
  expect(verdict.problems).toEqual([])
  expect(onlyOne(verdict, PROVENANCE).verified).toBe(1)
})

test('with the Vault key (OCI double), the envelope verifies with the key’s public half, and not with another', async () => {
  const token = env.registries.token
  const namespace = uniqueNamespace('attkms')
  const vaultKey = makeVaultKey()
  const started = await startOciDouble({
    namespace,
    vaultKeys: [vaultKey],
    imageExists: async (repository, digest) =>
      (await registryDigest(token, repository, digest)) === digest,
  })
  const {double} = started
  const front = await startOcirFront(double, double.url, env)
  try {
    const run = await runAction({
      inputs: {
        registry: front.host,
        ...apiKeyInputs(started),
        'sign-kms-key-id': vaultKey.keyId,
        'sign-kms-key-version-id': vaultKey.keyVersionId,
        'sign-kms-crypto-endpoint': double.url,
        images: '- todo-frontend: frontend',
        builder: 'docker',
        retries: '1',
      },
      workspace: join(PROJECT_ROOT, 'examples/todo-app'),
      env: {OCIR_PUSH_RETRY_BASE_MS: '10', GITHUB_WORKFLOW_REF: WORKFLOW_REF},
    })
    await runPost(run)
    expect(run.errors).toEqual([])
    // The default with a key: provenance. One KMS Sign for it, one for the OCIR signature.
    expect(double.calls.Sign).toBe(2)
    const [image] = JSON.parse(run.outputs.images) as {digest: string}[]
    const repository = `${namespace}/todo-frontend`
    const verdict = await checkAttestations(
      registryReader(token),
      repository,
      image.digest,
      vaultKey.publicKey,
    )
    expect(verdict.problems).toEqual([])
    const provenance = onlyOne(verdict, PROVENANCE)
    expect(provenance.signatures).toBe(1)
    expect(provenance.verified).toBe(1)
    const other = await checkAttestations(
      registryReader(token),
      repository,
      image.digest,
      makeVaultKey().publicKey,
    )
    expect(onlyOne(other, PROVENANCE).verified).toBe(0)
  } finally {
    await front.close()
    await double.stop()
  }
})
