import {writeFileSync} from 'node:fs'
import {afterAll, beforeAll, expect, test} from 'vitest'
import {startFaultProxy, type FaultProxy} from '../fixtures/fault-proxy.js'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {runAction, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.htpasswd
const IMAGES = '- todo-frontend: frontend\n- todo-backend: backend'
/** Fixed build time, so every run builds the very same images. */
const RUN_ENV = {SOURCE_DATE_EPOCH: '1700000000', OCIR_PUSH_RETRY_BASE_MS: '50'}
const RETRIES = 4
/**
 * Seeds of the proxy's PRNG. The first six fault one of the login's two requests (a reset, a 429
 * or a 500 on `GET /v2/`; checked below): docker words a 5xx or 429 there as `401 Unauthorized`.
 * The others fault later requests, or delay the login.
 */
const LOGIN_SEEDS = [7, 8, 13, 19, 23, 27]
const OTHER_SEEDS = [5, 9, 11, 17]

const inputs = (host: string, namespace: string): Record<string, string> => ({
  registry: host,
  namespace,
  images: IMAGES,
  builder: 'docker',
  username: registry.username ?? '',
  'auth-token': registry.password ?? '',
  retries: String(RETRIES),
})

let cleanDigests: Record<string, string>
beforeAll(async () => {
  const clean = await runAction({
    inputs: inputs(registry.host, uniqueNamespace('clean')),
    env: RUN_ENV,
  })
  expect(clean.errors).toEqual([])
  cleanDigests = JSON.parse(clean.outputs.digests) as Record<string, string>
})

const proxies: FaultProxy[] = []
afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()))
})

/** What the proxy did, for a failing run's message. */
function story(proxy: FaultProxy, run: ActionRun): string {
  const faults = proxy.log
    .filter((entry) => typeof entry.outcome === 'string')
    .map((entry) => `${entry.outcome} ${entry.method} ${entry.url}`)
  return `faults: ${faults.join('; ')}\nerrors: ${run.errors.join('\n')}`
}

test.each([
  ...LOGIN_SEEDS.map((seed) => ({seed, faultsLogin: true})),
  ...OTHER_SEEDS.map((seed) => ({seed, faultsLogin: false})),
])(
  'seed $seed: a release through 20 % faults succeeds with the digests of a clean run',
  async ({seed, faultsLogin}) => {
    const proxy = await startFaultProxy(registry.host, {
      seed,
      rate: 0.2,
      maxFaults: RETRIES - 1,
    })
    proxies.push(proxy)
    const namespace = uniqueNamespace(`seed${seed}`)
    const run = await runAction({inputs: inputs(proxy.host, namespace), env: RUN_ENV})
    if (process.env.FAULT_LOG_DIR)
      writeFileSync(
        `${process.env.FAULT_LOG_DIR}/seed-${seed}.log`,
        `${story(proxy, run)}\n${run.stdout}`,
      )
    expect(run.errors, story(proxy, run)).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(JSON.parse(run.outputs.digests)).toEqual(cleanDigests)

    // Read the registry directly, not through the proxy.
    for (const name of ['todo-frontend', 'todo-backend']) {
      const repository = `${namespace}/${name}`
      expect((await registryTags(registry, repository)).sort()).toEqual([
        'latest',
        'main',
        'sha-0123456',
      ])
      for (const tag of ['latest', 'main', 'sha-0123456'])
        expect(await registryDigest(registry, repository, tag), `${repository}:${tag}`).toBe(
          cleanDigests[name],
        )
    }

    // The login's two requests (GET /v2/ without, then with credentials) come first; the login
    // was tried again after the fault.
    const loginFault = proxy.log
      .slice(0, 2)
      .some(
        (entry) =>
          entry.url === '/v2/' && typeof entry.outcome === 'string' && entry.outcome !== 'delay',
      )
    expect(loginFault, story(proxy, run)).toBe(faultsLogin)
    // Only the first login: a fresh login after a refused push may meet faults of its own.
    const firstLogin = run.stdout.slice(0, run.stdout.indexOf('Logged in to'))
    expect(/docker login: transient failure/.test(firstLogin), run.stdout).toBe(faultsLogin)
    expect(Object.values(proxy.injected).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0)
    expect(Object.values(proxy.injected).reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(
      RETRIES - 1,
    )
  },
  180_000,
)
