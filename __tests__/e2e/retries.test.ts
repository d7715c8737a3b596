import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {startFaultProxy, type FaultProxy, type FaultRule} from '../fixtures/fault-proxy.js'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {runAction} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const open = env.registries.open
const IMAGES = '- todo-frontend: frontend\n- todo-backend: backend'
/** Fixed build time, so both runs build the same images (the created label is this time). */
const RUN_ENV = {SOURCE_DATE_EPOCH: '1700000000', OCIR_PUSH_RETRY_BASE_MS: '50'}

/**
 * Per image, so which image meets which fault does not depend on timing; no request gets more
 * faults than retries=3 allows. Docker's pushes meet them on the manifest PUT (docker fails at
 * once there; on blob uploads it would retry by itself after 5 s). The registry client's
 * manifest copies (moving tags main and latest) meet them on the GET and the PUT.
 */
const RULES: FaultRule[] = [
  {
    name: 'docker 429',
    method: 'PUT',
    path: /todo-frontend\/manifests\/sha-/,
    fault: '429',
    times: 1,
  },
  {
    name: 'docker reset',
    method: 'PUT',
    path: /todo-frontend\/manifests\/sha-/,
    fault: 'reset',
    times: 1,
  },
  {
    name: 'docker 503',
    method: 'PUT',
    path: /todo-backend\/manifests\/sha-/,
    fault: '503',
    times: 1,
    retryAfter: 1,
  },
  {
    name: 'docker reset 2',
    method: 'PUT',
    path: /todo-backend\/manifests\/sha-/,
    fault: 'reset',
    times: 1,
  },
  {
    name: 'copy GET 503',
    method: 'GET',
    path: /todo-frontend\/manifests\/sha256:/,
    fault: '503',
    times: 1,
    retryAfter: 1,
  },
  {
    name: 'copy PUT 429',
    method: 'PUT',
    path: /todo-frontend\/manifests\/latest/,
    fault: '429',
    times: 1,
  },
  {
    name: 'copy GET reset',
    method: 'GET',
    path: /todo-backend\/manifests\/sha256:/,
    fault: 'reset',
    times: 1,
  },
  {
    name: 'copy PUT reset',
    method: 'PUT',
    path: /todo-backend\/manifests\/main/,
    fault: 'reset',
    times: 1,
  },
]

let proxy: FaultProxy
beforeAll(async () => {
  proxy = await startFaultProxy(open.host, RULES)
})
afterAll(() => proxy.close())

test('pushes and manifest copies through resets, 503 with Retry-After and 429 succeed, with the digests of a clean run', async () => {
  const cleanNamespace = uniqueNamespace('clean')
  const clean = await runAction({
    inputs: {registry: open.host, namespace: cleanNamespace, images: IMAGES, builder: 'docker'},
    env: RUN_ENV,
  })
  expect(clean.errors).toEqual([])
  const cleanDigests = JSON.parse(clean.outputs.digests) as Record<string, string>

  const namespace = uniqueNamespace('faulty')
  const run = await runAction({
    inputs: {registry: proxy.host, namespace, images: IMAGES, builder: 'docker', retries: '3'},
    env: RUN_ENV,
  })
  expect(run.errors).toEqual([])
  expect(run.exitCode).toBe(0)
  expect(proxy.injected).toEqual(Object.fromEntries(RULES.map((rule) => [rule.name, 1])))
  expect(JSON.parse(run.outputs.digests)).toEqual(cleanDigests)

  // Read the registry directly, not through the proxy.
  for (const name of ['todo-frontend', 'todo-backend']) {
    const repository = `${namespace}/${name}`
    expect((await registryTags(open, repository)).sort()).toEqual(['latest', 'main', 'sha-0123456'])
    for (const tag of ['latest', 'main', 'sha-0123456'])
      expect(await registryDigest(open, repository, tag), `${repository}:${tag}`).toBe(
        cleanDigests[name],
      )
  }

  // Each retry is logged; the docker pushes needed three attempts, never more than four.
  expect(run.stdout).toMatch(/push .*todo-frontend:sha-0123456: transient failure .*attempt 2 of 4/)
  expect(run.stdout).toMatch(/push .*todo-backend:sha-0123456: transient failure .*attempt 3 of 4/)
  // The registry client waited as long as Retry-After asked after the 503 on the copy's GET.
  const faulted = proxy.log.findIndex((entry) => entry.rule === 'copy GET 503')
  const retried = proxy.log.findIndex(
    (entry, index) =>
      index > faulted && entry.method === 'GET' && entry.url === proxy.log[faulted].url,
  )
  expect(proxy.log[retried].at - proxy.log[faulted].at).toBeGreaterThanOrEqual(950)
})

test('a registry that keeps failing fails the step after retries+1 attempts, naming the image', async () => {
  const failing = await startFaultProxy(open.host, [
    {name: 'always 503', method: 'PUT', path: /manifests\/sha-/, fault: '503', times: 100},
  ])
  try {
    const run = await runAction({
      inputs: {
        registry: failing.host,
        namespace: uniqueNamespace(),
        images: '- todo-frontend: frontend',
        builder: 'docker',
        retries: '2',
      },
      env: RUN_ENV,
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.errors[0]).toMatch(
      /image 'todo-frontend' failed: docker push failed .*503.*gave up after 3 attempts/,
    )
    expect(failing.injected['always 503']).toBe(3)
  } finally {
    await failing.close()
  }
})

describe('a login that keeps failing names what happened', () => {
  const htpasswd = env.registries.htpasswd
  const loginInputs = (host: string): Record<string, string> => ({
    registry: host,
    namespace: uniqueNamespace(),
    images: '- todo-frontend: frontend',
    builder: 'docker',
    username: htpasswd.username ?? '',
    'auth-token': htpasswd.password ?? '',
    retries: '1',
  })

  test('a registry answering 503 is failing, not the credentials', async () => {
    const failing = await startFaultProxy(htpasswd.host, [
      {name: 'login 503', method: 'GET', path: /^\/v2\/$/, fault: '503', times: 100, retryAfter: 0},
    ])
    try {
      const run = await runAction({inputs: loginInputs(failing.host), env: RUN_ENV})
      expect(run.exitCode).not.toBe(0)
      expect(run.errors[0]).toMatch(
        new RegExp(
          `the login to ${failing.host.replace(/\./g, '\\.')} as 'tester' failed .*answered HTTP 503 after 2 attempts: the registry is failing, not your credentials; re-run later or raise retries`,
        ),
      )
      expect(run.errors[0]).not.toMatch(/check username/)
    } finally {
      await failing.close()
    }
  })

  test('an address nobody listens at points at the registry input', async () => {
    const run = await runAction({inputs: loginInputs('127.0.0.1:9'), env: RUN_ENV})
    expect(run.exitCode).not.toBe(0)
    expect(run.errors[0]).toMatch(
      /the login to 127\.0\.0\.1:9 as 'tester' failed \(.*connection refused.*\).*127\.0\.0\.1:9 could not be reached: check the address in the registry input/,
    )
  })
})
