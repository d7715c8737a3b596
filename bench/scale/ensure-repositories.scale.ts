/**
 * Part 3: ensure-repositories for 20 images in a tenancy that already has 2,000 repositories,
 * against the OCI test double (signed requests, paged lists). The action's side is the bundle
 * users run, `node dist/index.js` (the `dist/` whose hash bench/run.mjs records), as the runner
 * starts it (`__tests__/fixtures/run-action.ts`), with `ensure-repositories: true` and
 * `push: false`, and the argv shims as its builder, so that a run makes no call but
 * ensure-repositories' own and builds nothing. Counts the API calls per operation and times them,
 * next to a baseline run in this process against an identical double: the OCI guide's way, list
 * every repository once (`oci artifacts container repository list --all`) and create what is
 * missing. Both sides are timed the same way, by a proxy in front of the double: from the first
 * Artifacts API request it receives to the end of its last response.
 *
 * Started by bench/run.mjs through bench/vitest.bench.config.ts; writes JSON to BENCH_SCALE_OUT.
 * When dist/index.js, the double or the baseline's client is missing, or their API is not the one
 * this file knows, it writes `{skipped: reason}` instead of failing.
 */
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, request as httpRequest, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {expect, test, vi} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MODULES = [
  'dist/index.js',
  '__tests__/fixtures/oci-double.ts',
  '__tests__/fixtures/run-action.ts',
  '__tests__/fixtures/argv-shims/docker',
  'src/adapters/oci-client.ts',
  'src/config/oci-key.ts',
]
const SEEDED = 2000
const IMAGES = 20
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3)
const OPERATIONS = [
  'ListContainerRepositories',
  'GetContainerRepository',
  'CreateContainerRepository',
] as const

type Operation = (typeof OPERATIONS)[number]
type Calls = Record<Operation, number> & {total: number}

interface Sample {
  calls: Calls
  ms: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function write(result: unknown): void {
  const out = process.env.BENCH_SCALE_OUT
  if (out) writeFileSync(out, JSON.stringify(result, null, 2))
  else console.log(JSON.stringify(result, null, 2))
}

/**
 * A pass-through proxy in front of the double that notes when the first request arrived and when
 * the last response ended: the time a client spent on the API, measured the same way for both
 * sides, whatever process the client runs in. Headers pass unchanged (the signature covers host).
 */
async function startTimingProxy(
  target: string,
): Promise<{url: string; window: () => number; reset: () => void; close: () => Promise<void>}> {
  const {hostname, port} = new URL(target)
  let first: number | undefined
  let last: number | undefined
  const server: Server = createServer((request, response) => {
    first ??= performance.now()
    const upstream = httpRequest(
      {hostname, port, method: request.method, path: request.url, headers: request.headers},
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(response)
      },
    )
    upstream.on('error', (err) => response.destroy(err))
    response.on('finish', () => (last = performance.now()))
    request.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}`,
    window: () => (first === undefined || last === undefined ? Number.NaN : last - first),
    reset: () => {
      first = undefined
      last = undefined
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

test('ensure-repositories: 20 images, 2,000 repositories', async () => {
  const missing = MODULES.filter((path) => !existsSync(join(ROOT, path)))
  if (missing.length > 0) {
    write({skipped: `missing: ${missing.join(', ')}`})
    return
  }
  // Imported here, not at the top, so a missing or renamed export is a skip with a reason.
  let double: typeof import('../../__tests__/fixtures/oci-double.js')
  let runner: typeof import('../../__tests__/fixtures/run-action.js')
  let client: typeof import('../../src/adapters/oci-client.js')
  let key: typeof import('../../src/config/oci-key.js')
  try {
    ;[double, runner, client, key] = await Promise.all([
      import('../../__tests__/fixtures/oci-double.js'),
      import('../../__tests__/fixtures/run-action.js'),
      import('../../src/adapters/oci-client.js'),
      import('../../src/config/oci-key.js'),
    ])
  } catch (err) {
    write({skipped: `could not load the modules: ${String(err)}`})
    return
  }
  const api = {
    startOciDouble: double.startOciDouble,
    runAction: runner.runAction,
    createArtifactsClient: client.createArtifactsClient,
    parseOciApiKey: key.parseOciApiKey,
  }
  const absent = Object.entries(api)
    .filter(([, value]) => typeof value !== 'function')
    .map(([name]) => name)
  if (absent.length > 0) {
    write({skipped: `the modules do not export ${absent.join(', ')}`})
    return
  }
  // The action's runs get a runner temp dir of their own, removed at the end.
  const runnerTemp = mkdtempSync(join(tmpdir(), 'ocir-push-scale-'))
  process.env.RUNNER_TEMP = runnerTemp
  const shims = join(ROOT, '__tests__/fixtures/argv-shims')
  // The SDK's retrier logs every failed attempt on console.warn; nothing fails here, but be quiet.
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)

  type Started = Awaited<ReturnType<typeof api.startOciDouble>>
  const newDouble = (filterAfterPaging: boolean): Promise<Started> =>
    api.startOciDouble({seedCount: SEEDED, filterAfterPaging})
  const artifactsFor = (
    started: Started,
    endpoint = started.double.url,
  ): ReturnType<typeof api.createArtifactsClient> =>
    // The baseline's client: the OCI SDK's, made as the action makes its own (key parsed once).
    api.createArtifactsClient({
      apiKey: api.parseOciApiKey({
        user: started.userId,
        tenancy: started.tenancyId,
        fingerprint: started.key.fingerprint,
        privateKey: started.key.privateKeyPem,
        region: 'us-ashburn-1',
      }),
      retries: 3,
      endpoint,
    })
  const callsOf = (started: Started): Calls => {
    const calls = Object.fromEntries(
      OPERATIONS.map((operation) => [operation, started.double.calls[operation]]),
    ) as Calls
    calls.total = started.double.totalCalls()
    return calls
  }

  // The first client in this process pays for loading the SDK (the baseline's side); measured
  // once, kept out of every sample. The action loads it in its own process, before its first call.
  const warm = await newDouble(false)
  const sdkStarted = performance.now()
  await artifactsFor(warm)
  const sdkLoadMs = performance.now() - sdkStarted
  await warm.double.stop()

  const scenarios = [
    {
      id: 'firstRelease',
      what: '20 new names (every repository missing), moving tag latest',
      filterAfterPaging: false,
      status: 'created',
      names: (): string[] => Array.from({length: IMAGES}, (_, index) => `todo/service-${index}`),
    },
    {
      id: 'steadyState',
      what: '20 names that exist, spread over the compartments, moving tag latest',
      filterAfterPaging: false,
      status: 'existed',
      names: (): string[] =>
        Array.from(
          {length: IMAGES},
          (_, index) => `seeded/service-${String(index * 97).padStart(4, '0')}`,
        ),
    },
    {
      id: 'lateFilter',
      what: '20 new names; the server applies displayName after paging (worst case)',
      filterAfterPaging: true,
      status: 'created',
      names: (): string[] => Array.from({length: IMAGES}, (_, index) => `todo/service-${index}`),
    },
  ]

  /**
   * The action's path: `node dist/index.js` with ensure-repositories on, as a push to main (so
   * `latest` moves), `push: false` and the argv shims as the builder: no registry, no login, no
   * build, only the Artifacts API calls of ensure-repositories.
   */
  const viaAction = async (
    started: Started,
    names: string[],
    status: string,
  ): Promise<Sample & {minimum: number}> => {
    const proxy = await startTimingProxy(started.double.url)
    try {
      started.double.resetCalls()
      const argvLog = join(runnerTemp, 'argv.log')
      writeFileSync(argvLog, '')
      const run = await api.runAction({
        inputs: {
          registry: '127.0.0.1:9',
          namespace: 'bench',
          'oci-user': started.userId,
          'oci-tenancy': started.tenancyId,
          'oci-fingerprint': started.key.fingerprint,
          'oci-private-key': started.key.privateKeyPem,
          'oci-region': 'us-ashburn-1',
          'oci-endpoint': proxy.url,
          'ensure-repositories': 'true',
          push: 'false',
          builder: 'docker',
          images: names.map((name) => `- name: ${name}\n  context: frontend`).join('\n'),
        },
        env: {PATH: `${shims}:${process.env.PATH ?? ''}`, ARGV_LOG: argvLog},
      })
      expect(run.errors, run.stdout).toEqual([])
      expect(run.exitCode).toBe(0)
      // Every name ensured, as the scenario expects: created when missing, found when it exists.
      for (const name of names) expect(run.summary).toContain(`${name}: ${status}`)
      for (const name of names) expect(started.double.repositoriesNamed(name)).toHaveLength(1)
      const calls = callsOf(started)
      // Nothing but ensure-repositories' calls went to the API.
      expect(calls.total).toBe(
        calls.ListContainerRepositories +
          calls.GetContainerRepository +
          calls.CreateContainerRepository,
      )
      // 1 filtered look-up per name; + 1 create per missing name; + 1 get per existing one,
      // because list results do not say whether a repository is immutable and `latest` would move.
      const minimum = names.length * 2
      return {calls, ms: proxy.window(), minimum}
    } finally {
      await proxy.close()
    }
  }

  /** Baseline: list the whole tenancy once, then get or create per name. */
  const viaListAll = async (started: Started, names: string[]): Promise<Sample> => {
    const proxy = await startTimingProxy(started.double.url)
    try {
      const artifacts = await artifactsFor(started, proxy.url)
      started.double.resetCalls()
      proxy.reset()
      const existing = new Map<string, string>()
      let page: string | undefined
      do {
        const response = await artifacts.listContainerRepositories({
          compartmentId: started.tenancyId,
          compartmentIdInSubtree: true,
          page,
        })
        for (const item of response.containerRepositoryCollection.items)
          existing.set(item.displayName, item.id)
        page = response.opcNextPage || undefined
      } while (page)
      for (const name of names) {
        const id = existing.get(name)
        if (id) {
          await artifacts.getContainerRepository({repositoryId: id})
        } else {
          await artifacts.createContainerRepository({
            createContainerRepositoryDetails: {
              compartmentId: started.tenancyId,
              displayName: name,
              isPublic: false,
              isImmutable: false,
            },
          })
        }
      }
      return {calls: callsOf(started), ms: proxy.window()}
    } finally {
      await proxy.close()
    }
  }

  const results: Record<string, unknown> = {}
  for (const scenario of scenarios) {
    const action: (Sample & {minimum: number})[] = []
    const listAll: Sample[] = []
    for (let run = 0; run < RUNS; run++) {
      // Fresh doubles, and the order alternates, so neither side meets a warmer server.
      const order = run % 2 === 0 ? ['action', 'listAll'] : ['listAll', 'action']
      for (const side of order) {
        const started = await newDouble(scenario.filterAfterPaging)
        try {
          if (side === 'action')
            action.push(await viaAction(started, scenario.names(), scenario.status))
          else listAll.push(await viaListAll(started, scenario.names()))
        } finally {
          await started.double.stop()
        }
      }
    }
    results[scenario.id] = {
      what: scenario.what,
      action: {
        calls: action[0].calls,
        msMedian: median(action.map((s) => s.ms)),
        ms: action.map((s) => Math.round(s.ms)),
      },
      listAll: {
        calls: listAll[0].calls,
        msMedian: median(listAll.map((s) => s.ms)),
        ms: listAll.map((s) => Math.round(s.ms)),
      },
      minimumCalls: action[0].minimum,
    }
  }
  rmSync(runnerTemp, {recursive: true, force: true})
  write({
    measured: 'node dist/index.js (ensure-repositories: true, push: false, argv shims as builder)',
    timing:
      'from the first Artifacts API request to the end of the last response, at a proxy in front of the double, both sides',
    seededRepositories: SEEDED,
    images: IMAGES,
    pageSize: 100,
    concurrency: 4,
    runs: RUNS,
    sdkLoadMs: Math.round(sdkLoadMs),
    minimumDefinition:
      'per name: 1 ListContainerRepositories filtered by displayName (one page); +1 ' +
      'CreateContainerRepository when missing; +1 GetContainerRepository when it exists and the ' +
      'run moves a tag (list results lack isImmutable)',
    scenarios: results,
  })
})
