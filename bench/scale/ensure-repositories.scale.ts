/**
 * Part 3: ensure-repositories for 20 images in a tenancy that already has 2,000 repositories,
 * against the OCI test double (signed requests, paged lists). Counts the API calls per operation
 * and times them, next to a baseline run in the same process against an identical double: the OCI
 * guide's way, list every repository once (`oci artifacts container repository list --all`) and
 * create what is missing.
 *
 * Started by bench/run.mjs through bench/vitest.bench.config.ts; writes JSON to BENCH_SCALE_OUT.
 * When the double or the store is missing, or their API is not the one this file knows, it writes
 * `{skipped: reason}` instead of failing.
 */
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {fileURLToPath} from 'node:url'
import {expect, test, vi} from 'vitest'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const MODULES = [
  '__tests__/fixtures/oci-double.ts',
  'src/adapters/oci-client.ts',
  'src/adapters/oci-repository-store.ts',
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

test('ensure-repositories: 20 images, 2,000 repositories', async () => {
  const missing = MODULES.filter((path) => !existsSync(join(ROOT, path)))
  if (missing.length > 0) {
    write({skipped: `not written yet: ${missing.join(', ')}`})
    return
  }
  // Imported here, not at the top, so a missing or renamed export is a skip with a reason.
  let double: typeof import('../../__tests__/fixtures/oci-double.js')
  let client: typeof import('../../src/adapters/oci-client.js')
  let store: typeof import('../../src/adapters/oci-repository-store.js')
  let key: typeof import('../../src/config/oci-key.js')
  try {
    ;[double, client, store, key] = await Promise.all([
      import('../../__tests__/fixtures/oci-double.js'),
      import('../../src/adapters/oci-client.js'),
      import('../../src/adapters/oci-repository-store.js'),
      import('../../src/config/oci-key.js'),
    ])
  } catch (err) {
    write({skipped: `could not load the modules: ${String(err)}`})
    return
  }
  const api = {
    startOciDouble: double.startOciDouble,
    createArtifactsClient: client.createArtifactsClient,
    OciRepositoryStore: store.OciRepositoryStore,
    ensureRepositories: store.ensureRepositories,
    parseOciApiKey: key.parseOciApiKey,
  }
  const absent = Object.entries(api)
    .filter(([, value]) => typeof value !== 'function')
    .map(([name]) => name)
  if (absent.length > 0) {
    write({skipped: `the modules do not export ${absent.join(', ')}`})
    return
  }
  // The SDK's retrier logs every failed attempt on console.warn; nothing fails here, but be quiet.
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)

  type Started = Awaited<ReturnType<typeof api.startOciDouble>>
  const newDouble = (filterAfterPaging: boolean): Promise<Started> =>
    api.startOciDouble({seedCount: SEEDED, filterAfterPaging})
  const artifactsFor = (started: Started): ReturnType<typeof api.createArtifactsClient> =>
    // As connect.ts: the key parsed once (as readConfig does), then the client built from it.
    api.createArtifactsClient({
      apiKey: api.parseOciApiKey({
        user: started.userId,
        tenancy: started.tenancyId,
        fingerprint: started.key.fingerprint,
        privateKey: started.key.privateKeyPem,
        region: 'us-ashburn-1',
      }),
      retries: 3,
      endpoint: started.double.url,
    })
  const callsOf = (started: Started): Calls => {
    const calls = Object.fromEntries(
      OPERATIONS.map((operation) => [operation, started.double.calls[operation]]),
    ) as Calls
    calls.total = started.double.totalCalls()
    return calls
  }

  // The first client pays for loading the SDK; measured once, kept out of every sample.
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
      names: (): string[] => Array.from({length: IMAGES}, (_, index) => `todo/service-${index}`),
    },
    {
      id: 'steadyState',
      what: '20 names that exist, spread over the compartments, moving tag latest',
      filterAfterPaging: false,
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
      names: (): string[] => Array.from({length: IMAGES}, (_, index) => `todo/service-${index}`),
    },
  ]

  /** The action's path: OciRepositoryStore + ensureRepositories, as connect.ts wires them. */
  const viaAction = async (
    started: Started,
    names: string[],
  ): Promise<Sample & {minimum: number}> => {
    const artifacts = await artifactsFor(started)
    const repositoryStore = new api.OciRepositoryStore(artifacts, started.tenancyId)
    started.double.resetCalls()
    const begin = performance.now()
    const outcomes = await api.ensureRepositories(repositoryStore, {
      tenancy: started.tenancyId,
      names,
      isPublic: false,
      isImmutable: false,
      movingTagsFor: () => ['latest'],
    })
    const ms = performance.now() - begin
    expect(outcomes.filter((outcome) => outcome.status === 'failed')).toEqual([])
    // 1 filtered look-up per name; + 1 create per missing name; + 1 get per existing one, because
    // list results do not say whether a repository is immutable and `latest` would move.
    const minimum = names.length + outcomes.length
    return {calls: callsOf(started), ms, minimum}
  }

  /** Baseline: list the whole tenancy once, then get or create per name. */
  const viaListAll = async (started: Started, names: string[]): Promise<Sample> => {
    const artifacts = await artifactsFor(started)
    started.double.resetCalls()
    const begin = performance.now()
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
    const ms = performance.now() - begin
    return {calls: callsOf(started), ms}
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
          if (side === 'action') action.push(await viaAction(started, scenario.names()))
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
  write({
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
