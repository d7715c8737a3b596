import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startOciDouble, type OciDouble} from '../fixtures/oci-double.js'
import {startOcirFront, type OcirFront} from '../fixtures/ocir-front.js'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {runAction, runPost} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()

describe('OCI API-key credentials, against the OCI double and a real registry behind an OCIR-like front', () => {
  let double: OciDouble
  let doubleUrl: string
  let front: OcirFront
  let oci: Record<string, string>
  let compartments: string[]
  let namespace: string

  beforeAll(async () => {
    namespace = uniqueNamespace('ns')
    const started = await startOciDouble({seedCount: 2000, namespace})
    double = started.double
    doubleUrl = double.url
    compartments = started.compartments
    oci = {
      'oci-user': started.userId,
      'oci-tenancy': started.tenancyId,
      'oci-fingerprint': started.key.fingerprint,
      'oci-private-key': started.key.privateKeyPem,
      'oci-region': 'us-ashburn-1',
      'oci-endpoint': doubleUrl,
    }
    front = await startOcirFront(double, doubleUrl, env)
  })
  afterAll(async () => {
    await front?.close()
    await double?.stop()
  })

  test('token-free: looks the namespace up, creates the missing repositories in the compartment, logs in as BEARER_TOKEN, pushes, and the post step removes the login', async () => {
    // One of the two images already exists in a child compartment: it must be found, not re-created.
    double.seed([{compartmentId: compartments[2], displayName: 'todo-backend'}])
    const createsBefore = double.calls.CreateContainerRepository
    const run = await runAction({
      inputs: {
        registry: front.host,
        ...oci,
        'ensure-repositories': 'true',
        compartment: compartments[3],
        'repository-public': 'true',
        images: '- todo-frontend: ./frontend\n- todo-backend: ./backend',
        builder: 'docker',
      },
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.namespace).toBe(namespace)
    expect(run.outputs.username).toBe('BEARER_TOKEN')
    expect(double.calls.CreateContainerRepository - createsBefore).toBe(1)
    const created = double.repositoriesNamed('todo-frontend')
    expect(created).toMatchObject([
      {compartmentId: compartments[3], isPublic: true, isImmutable: false},
    ])
    expect(double.repositoriesNamed('todo-backend')).toHaveLength(1)
    expect(front.registryTokens).toBeGreaterThan(0)

    const digests = JSON.parse(run.outputs.digests) as Record<string, string>
    for (const name of ['todo-frontend', 'todo-backend']) {
      expect(await registryDigest(env.registries.token, `${namespace}/${name}`, 'latest')).toBe(
        digests[name],
      )
      expect((await registryTags(env.registries.token, `${namespace}/${name}`)).sort()).toEqual([
        'latest',
        'main',
        'sha-0123456',
      ])
    }
    // The short-lived token never shows up in the log.
    const visible = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n')
    for (const token of double.issuedTokens) expect(visible).not.toContain(token)

    const state = JSON.parse(run.state.cleanup) as {dockerConfigDir: string}
    expect(existsSync(state.dockerConfigDir)).toBe(true)
    expect((await runPost(run)).exitCode).toBe(0)
    expect(existsSync(state.dockerConfigDir)).toBe(false)
    expect(
      readdirSync(run.env.RUNNER_TEMP).filter((f) => f.startsWith('ocir-push-docker-')),
    ).toEqual([])
  })

  test('push: false still ensures the repositories (a pull request prepares them); a dry run says it would and creates none', async () => {
    const creates = (): number => double.calls.CreateContainerRepository
    const dryBefore = creates()
    const dry = await runAction({
      inputs: {
        registry: front.host,
        ...oci,
        'ensure-repositories': 'true',
        compartment: compartments[3],
        images: '- todo-notification: ./notification',
        builder: 'docker',
        'dry-run': 'true',
      },
    })
    expect(dry.exitCode, dry.stdout).toBe(0)
    expect(creates()).toBe(dryBefore)
    expect(dry.summary).toMatch(
      /# ensure the repositories todo-notification .* in ocid1\.compartment[^:]*: a missing one is created private through the OCI Artifacts API \(a dry run creates none\)/,
    )
    expect(double.repositoriesNamed('todo-notification')).toEqual([])

    const run = await runAction({
      inputs: {
        registry: front.host,
        ...oci,
        'ensure-repositories': 'true',
        compartment: compartments[3],
        images: '- todo-notification: ./notification',
        builder: 'docker',
        push: 'false',
      },
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(double.repositoriesNamed('todo-notification')).toMatchObject([
      {compartmentId: compartments[3], isPublic: false},
    ])
    expect(run.summary).toContain('todo-notification: created')
    expect(JSON.parse(run.outputs.images)).toMatchObject([
      {name: 'todo-notification', pushed: false},
    ])
    expect(await registryTags(env.registries.token, `${namespace}/todo-notification`)).toEqual([])
  })

  test("two runs at once create each repository once, both succeed, and the SDK's retry chatter stays out of the log", async () => {
    const names = [uniqueNamespace('svc-a'), uniqueNamespace('svc-b')]
    const images = names.map((name) => `- ${name}: ./frontend`).join('\n')
    // Both runs look both names up before either creates one: the worst interleaving.
    double.holdUntil('ListContainerRepositories', 4)
    const runs = await Promise.all(
      [1, 2].map(() =>
        runAction({
          inputs: {
            registry: front.host,
            namespace,
            ...oci,
            'ensure-repositories': 'true',
            images,
            builder: 'docker',
            tags: 'type=sha',
          },
          env: {OCIR_PUSH_RETRY_BASE_MS: '10'},
        }),
      ),
    )
    for (const run of runs) {
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      // The runner shows ::debug:: lines only when step debugging is on.
      const shown = `${run.stdout}\n${run.stderr}`
        .split('\n')
        .filter((line) => !line.startsWith('::debug::') && !line.startsWith('::add-mask::'))
      expect(shown.join('\n')).not.toMatch(/Request cannot be retried|Retrying request/)
      await runPost(run)
    }
    // The race really happened: one run's creates were answered 409 and taken as success.
    expect(runs.map((run) => run.stdout).join('\n')).toMatch(/::debug::OCI SDK: .*already exists/)
    for (const name of names) expect(double.repositoriesNamed(name)).toHaveLength(1)
  })

  test("a namespace that is not the tenancy's fails before anything is built, explaining namespace vs tenancy name", async () => {
    const run = await runAction({
      inputs: {
        registry: 'iad.ocir.io',
        namespace: 'mytenancyname',
        ...oci,
        images: 'todo-frontend',
        'dry-run': 'false',
      },
      workspace: join(process.cwd(), 'examples/todo-app/frontend'),
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(
      new RegExp(
        `namespace 'mytenancyname' is not the namespace of tenancy .*'${namespace}'.*not the tenancy name`,
      ),
    )
    expect(run.state.cleanup).toBeUndefined()
  })
})

describe('dry run: region and username resolution through node dist/index.js', () => {
  test.each([
    {
      why: 'a region key',
      inputs: {region: 'fra', namespace: 'ns1', username: 'jdoe@acme.com'},
      registry: 'fra.ocir.io',
      username: 'ns1/jdoe@acme.com',
    },
    {
      why: 'a region id in capitals and a federated user',
      inputs: {
        region: 'US-PHOENIX-1',
        namespace: 'ns1',
        username: 'oracleidentitycloudservice/jdoe',
      },
      registry: 'phx.ocir.io',
      username: 'ns1/oracleidentitycloudservice/jdoe',
    },
    {
      why: 'a government realm and an identity-domain user',
      inputs: {region: 'us-gov-ashburn-1', namespace: 'ns1', username: 'mydomain/jdoe'},
      registry: 'ocir.us-gov-ashburn-1.oci.oraclegovcloud.com',
      username: 'ns1/mydomain/jdoe',
    },
    {
      why: 'OCI_CLI_REGION as the fallback and an already prefixed user',
      inputs: {namespace: 'ns1', username: 'ns1/jdoe'},
      env: {OCI_CLI_REGION: 'eu-jovanovac-1'},
      registry: 'ocir.eu-jovanovac-1.oci.oraclecloud20.com',
      username: 'ns1/jdoe',
    },
    {
      why: 'a Gitea registry keeps the username as given',
      inputs: {registry: 'localhost:3000', namespace: 'raibid-admin', username: 'raibid-admin'},
      registry: 'localhost:3000',
      username: 'raibid-admin',
    },
  ])('$why', async ({inputs, env: extraEnv, registry, username}) => {
    const run = await runAction({
      inputs: {...inputs, 'auth-token': 'never-used', images: 'todo-frontend', 'dry-run': 'true'},
      workspace: join(process.cwd(), 'examples/todo-app/frontend'),
      env: extraEnv,
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.outputs.registry).toBe(registry)
    expect(run.outputs.username).toBe(username)
    expect(run.outputs.tags.split('\n')[0]).toBe(
      `${registry}/${inputs.namespace}/todo-frontend:main`,
    )
  })

  test('an unknown region lists the closest known ones', async () => {
    const run = await runAction({
      inputs: {
        region: 'us-ashburn-2x',
        namespace: 'ns1',
        images: 'todo-frontend',
        'dry-run': 'true',
      },
      workspace: join(process.cwd(), 'examples/todo-app/frontend'),
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors[0]).toMatch(
      /input 'region' has an unusable value 'us-ashburn-2x'.*us-ashburn-/,
    )
  })
})
