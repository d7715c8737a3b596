/**
 * Keyless OCI through `node dist/index.js`: GitHub's OIDC token (from a stand-in for the runner's
 * ID-token service) exchanged at an identity domain double for a session token (UPST), which
 * signs every OCI call (`ST$<upst>`) and gets the OCIR registry token; no auth token, no API key.
 */
import {verify} from 'node:crypto'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {
  IdentityDomainDouble,
  RunnerIdTokenService,
  TestIssuer,
} from '../fixtures/identity-domain.js'
import {
  makeVaultKey,
  PSS,
  startOciDouble,
  type OciDouble,
  type VaultKey,
} from '../fixtures/oci-double.js'
import {startOcirFront, type OcirFront} from '../fixtures/ocir-front.js'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {PROJECT_ROOT, runAction, runPost, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const WORKSPACE = join(PROJECT_ROOT, 'examples/todo-app')
const TWO_IMAGES = '- todo-frontend: frontend\n- todo-backend: backend'
const MAIN_SUB = 'repo:acme/todo:ref:refs/heads/main'

interface Setup {
  double: OciDouble
  front: OcirFront
  issuer: TestIssuer
  runner: RunnerIdTokenService
  domain: IdentityDomainDouble
  vaultKey: VaultKey
  namespace: string
  tenancyId: string
  clientSecret: string
  inputs: Record<string, string>
}

async function setUp(options: {upstLifetimeSeconds?: number} = {}): Promise<Setup> {
  const namespace = uniqueNamespace('keyless')
  const vaultKey = makeVaultKey()
  const started = await startOciDouble({namespace, vaultKeys: [vaultKey]})
  const double = started.double
  const front = await startOcirFront(double, double.url, env)
  const issuer = new TestIssuer()
  const runner = new RunnerIdTokenService({issuer, subject: MAIN_SUB})
  await runner.start()
  const clientSecret = `secret-${Math.random().toString(36).slice(2)}`
  const domain = new IdentityDomainDouble({
    double,
    tenancyId: started.tenancyId,
    clientId: 'ocir-push-ci',
    clientSecret,
    trust: {issuer, audience: '', subRule: /^repo:acme\/todo:ref:refs\/heads\/main$/},
    upstLifetimeSeconds: options.upstLifetimeSeconds,
  })
  await domain.start()
  // The audience GitHub's token is asked for defaults to the domain URL.
  domain.options.trust.audience = domain.url
  return {
    double,
    front,
    issuer,
    runner,
    domain,
    vaultKey,
    namespace,
    tenancyId: started.tenancyId,
    clientSecret,
    inputs: {
      registry: front.host,
      'oci-identity-domain': domain.url,
      'oci-oidc-client-id': 'ocir-push-ci',
      'oci-oidc-client-secret': clientSecret,
      'oci-region': 'us-ashburn-1',
      'oci-endpoint': double.url,
      'ensure-repositories': 'true',
      'sign-kms-key-id': vaultKey.keyId,
      'sign-kms-key-version-id': vaultKey.keyVersionId,
      'sign-kms-crypto-endpoint': double.url,
      images: TWO_IMAGES,
      builder: 'docker',
      retries: '1',
    },
  }
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  await setup?.front.close()
  await setup?.domain.stop()
  await setup?.runner.stop()
  await setup?.double.stop()
}

/** No token, key or client secret in anything the runner shows or keeps. */
function expectNoLeak(run: ActionRun, setup: Setup): void {
  const visible = [
    run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    JSON.stringify(run.outputs),
    JSON.stringify(run.state),
    run.summary,
  ].join('\n')
  const secrets = [
    setup.clientSecret,
    setup.runner.requestToken,
    ...setup.runner.issued,
    ...setup.domain.issuedUpsts.map((upst) => upst.token),
    ...setup.double.issuedTokens,
  ]
  expect(secrets.length).toBeGreaterThan(2)
  for (const secret of secrets) expect(visible).not.toContain(secret)
  expect(visible).not.toMatch(/PRIVATE KEY|ST\$/)
  // What the runner would mask: the client secret and every session token.
  expect(run.masks).toContain(setup.clientSecret)
  for (const upst of setup.domain.issuedUpsts) expect(run.masks).toContain(upst.token)
}

describe('keyless OCI: a release with neither an auth token nor an API key', () => {
  let setup: Setup
  beforeAll(async () => {
    setup = await setUp()
  })
  afterAll(() => tearDown(setup))

  test('looks the namespace up, ensures the repositories, logs in as BEARER_TOKEN, pushes and signs with the Vault key, every OCI call signed with ST$<upst>', async () => {
    const {double, domain, runner, namespace, vaultKey} = setup
    const run = await runAction({
      inputs: setup.inputs,
      workspace: WORKSPACE,
      env: {...runner.env(), OCIR_PUSH_RETRY_BASE_MS: '10'},
    })
    await runPost(run)
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain("Exchanged GitHub's OIDC token at")
    expect(run.outputs.namespace).toBe(namespace)
    expect(run.outputs.username).toBe('BEARER_TOKEN')
    // The runner was asked for a token for the domain, and the domain exchanged it.
    expect(runner.audiences).toEqual([domain.url])
    expect(domain.issuedUpsts).toHaveLength(1)
    // Only session-token signatures, none refused.
    expect(double.signedWith.apiKey).toBe(0)
    expect(double.signedWith.session).toBeGreaterThan(0)
    expect(double.unauthenticated).toBe(0)
    expect(double.sessionTokensUsed).toEqual([domain.issuedUpsts[0].token])
    expect(double.calls.GetNamespace).toBe(1)
    expect(double.calls.GetDockerToken).toBeGreaterThan(0)
    expect(double.repositoriesNamed('todo-frontend')).toHaveLength(1)
    expect(double.repositoriesNamed('todo-backend')).toHaveLength(1)
    expect(setup.front.registryTokens).toBeGreaterThan(0)

    const images = JSON.parse(run.outputs.images) as {name: string; digest: string}[]
    expect(images).toHaveLength(2)
    for (const image of images) {
      expect(
        await registryDigest(env.registries.token, `${namespace}/${image.name}`, 'latest'),
      ).toBe(image.digest)
      const signature = double.signatures.find(
        (candidate) => double.lookedUpImages.get(candidate.imageId)?.digest === image.digest,
      )
      expect(signature?.kmsKeyVersionId).toBe(vaultKey.keyVersionId)
      const message = Buffer.from(signature?.message ?? '', 'base64')
      const bytes = Buffer.from(signature?.signature ?? '', 'base64')
      expect(verify('sha256', message, {key: vaultKey.publicKey, ...PSS}, bytes)).toBe(true)
    }
    expectNoLeak(run, setup)
  })

  const failures: {
    why: string
    arrange: (setup: Setup) => {inputs?: Record<string, string>; env?: Record<string, string>}
    error: RegExp
    fix: RegExp
  }[] = [
    {
      why: 'a wrong client secret',
      arrange: ({inputs, runner}) => ({
        inputs: {...inputs, 'oci-oidc-client-secret': 'not-the-secret'},
        env: runner.env(),
      }),
      error:
        /refused to exchange GitHub's OIDC token: invalid_client: Client authentication failed/,
      fix: /check oci-oidc-client-id and oci-oidc-client-secret against the confidential application/,
    },
    {
      why: 'an issuer the domain does not trust',
      arrange: ({runner}) => {
        runner.options.issuer = new TestIssuer('https://token.example.com')
        return {env: runner.env()}
      },
      error:
        /invalid_grant: No Identity Propagation Trust found for issuer https:\/\/token\.example\.com/,
      fix: /Identity Propagation Trust .*issuer https:\/\/token\.actions\.githubusercontent\.com/,
    },
    {
      why: 'a sub the trust rule rejects',
      arrange: ({runner}) => {
        runner.options.subject = 'repo:acme/todo:pull_request'
        return {env: runner.env()}
      },
      error: /claim sub repo:acme\/todo:pull_request does not match the trust rule/,
      fix: /rule must accept its sub, e\.g\. repo:<org>\/<repo>:ref:refs\/heads\/main/,
    },
    {
      why: 'an expired GitHub token',
      arrange: ({runner}) => {
        runner.options.lifetimeSeconds = -60
        return {env: runner.env()}
      },
      error: /subject_token has expired/,
      fix: /re-run the job/,
    },
    {
      why: 'no id-token permission (no ACTIONS_ID_TOKEN_REQUEST_URL)',
      arrange: () => ({env: {}}),
      error: /keyless OCI needs GitHub's OIDC token/,
      fix: /permissions: id-token: write/,
    },
    {
      why: 'keyless together with an API key',
      arrange: ({inputs, runner}) => ({
        inputs: {...inputs, 'oci-user': 'ocid1.user.oc1..aaaa', 'oci-fingerprint': '12:34'},
        env: runner.env(),
      }),
      error: /input 'oci-identity-domain'/,
      fix: /the API key \(oci-user, oci-fingerprint\) are both given: keep one/,
    },
    {
      why: 'keyless together with an auth token',
      arrange: ({inputs, runner}) => ({
        inputs: {...inputs, username: 'jdoe', 'auth-token': 'tok-123456'},
        env: runner.env(),
      }),
      error: /input 'oci-identity-domain'/,
      fix: /and auth-token are both given: keep one/,
    },
  ]

  test.each(failures)(
    '$why fails before any OCI call or push, naming cause and fix',
    async (row) => {
      const fresh = await setUp()
      try {
        const arranged = row.arrange(fresh)
        const run = await runAction({
          inputs: arranged.inputs ?? fresh.inputs,
          workspace: WORKSPACE,
          env: {...arranged.env, OCIR_PUSH_RETRY_BASE_MS: '10'},
        })
        await runPost(run)
        expect(run.exitCode).not.toBe(0)
        expect(run.errors).toHaveLength(1)
        expect(run.errors[0]).toMatch(row.error)
        expect(run.errors[0]).toMatch(row.fix)
        expect(fresh.double.totalCalls()).toBe(0)
        expect(fresh.front.registryTokens).toBe(0)
        expect(fresh.domain.issuedUpsts).toEqual([])
        expect(
          await registryTags(env.registries.token, `${fresh.namespace}/todo-frontend`),
        ).toEqual([])
        expect(run.stdout).not.toMatch(/Logged in to/)
        expectNoLeakOnFailure(run, fresh)
      } finally {
        await tearDown(fresh)
      }
    },
  )

  test("a fork's pull request (no OIDC token, no client secret) builds without pushing", async () => {
    const fresh = await setUp()
    try {
      const run = await runAction({
        inputs: {
          registry: fresh.front.host,
          'oci-identity-domain': fresh.domain.url,
          'oci-oidc-client-id': 'ocir-push-ci',
          // GitHub withholds secrets from a fork's pull request: the client secret is empty.
          'oci-oidc-client-secret': '',
          'oci-region': 'us-ashburn-1',
          'oci-endpoint': fresh.double.url,
          'ensure-repositories': 'true',
          images: TWO_IMAGES,
          builder: 'docker',
        },
        workspace: WORKSPACE,
        eventName: 'pull_request',
        event: {
          pull_request: {
            number: 7,
            head: {sha: 'f'.repeat(40), repo: {full_name: 'stranger/todo'}},
            base: {repo: {full_name: 'acme/todo'}},
          },
          repository: {default_branch: 'main', full_name: 'acme/todo'},
        },
        ref: 'refs/pull/7/merge',
      })
      await runPost(run)
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      expect(run.stdout).toMatch(/GitHub withholds secrets from this pull request/)
      expect(fresh.double.totalCalls()).toBe(0)
      expect(fresh.domain.exchanges).toBe(0)
    } finally {
      await tearDown(fresh)
    }
  })
})

/** A refused run: the secrets it had (client secret, GitHub's tokens) stay out of sight too. */
function expectNoLeakOnFailure(run: ActionRun, setup: Setup): void {
  const visible = [
    run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    JSON.stringify(run.outputs),
    JSON.stringify(run.state),
    run.summary,
  ].join('\n')
  for (const secret of [setup.clientSecret, setup.runner.requestToken, ...setup.runner.issued])
    expect(visible).not.toContain(secret)
}

describe('keyless OCI: the session token is renewed before it expires', () => {
  let setup: Setup
  // UPSTs last 8 s here (OCI's last up to an hour), renewed 4 s before they expire.
  beforeAll(async () => {
    setup = await setUp({upstLifetimeSeconds: 8})
  })
  afterAll(() => tearDown(setup))

  test('a run longer than a session token signs its late calls with a renewed one, bound to the same key', async () => {
    const {double, domain, runner} = setup
    // The Vault part starts only after the first token has expired: its calls need a renewed one.
    double.delay('LookupContainerImageByUri', 9_000)
    const run = await runAction({
      inputs: setup.inputs,
      workspace: WORKSPACE,
      env: {...runner.env(), OCIR_PUSH_RETRY_BASE_MS: '10', OCIR_PUSH_SESSION_RENEW_MS: '4000'},
    })
    await runPost(run)
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toContain('Renewed the OCI session token')
    expect(domain.issuedUpsts.length).toBeGreaterThanOrEqual(2)
    expect(double.sessionTokensUsed.length).toBeGreaterThanOrEqual(2)
    expect(double.expiredSessionRefusals).toBe(0)
    expect(double.unauthenticated).toBe(0)
    expect(double.signedWith.apiKey).toBe(0)
    // One key pair for the whole run: every renewal is bound to the same public key.
    const keys = domain.issuedUpsts.map((upst) =>
      upst.publicKey.export({type: 'spki', format: 'der'}).toString('base64'),
    )
    expect(new Set(keys).size).toBe(1)
    expect(double.signatures).toHaveLength(2)
    expectNoLeak(run, setup)
  })
})
