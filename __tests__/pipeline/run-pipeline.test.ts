import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, test, vi} from 'vitest'
import type {
  ContainerEngine,
  LogSink,
  ManifestRef,
  RegistryClient,
  RepositoryEnsurer,
} from '../../src/ports.js'
import {readConfig} from '../../src/config/read-config.js'
import {CommandError} from '../../src/errors.js'
import {mapWithLimit} from '../../src/map-with-limit.js'
import {runPipeline, type Adapters, type PipelineResult} from '../../src/pipeline.js'
import type {BuildStep} from '../../src/plan/build-step.js'
import {planRun} from '../../src/plan/run-plan.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'
import {repositoryHooks} from '../../src/repositories/step.js'
import type {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import {writeReport} from '../../src/report/write-report.js'
import {RELEASE_STEPS} from '../../src/steps/index.js'
import {defineStep} from '../../src/steps/release-step.js'
import {RetrySession} from '../../src/adapters/retry.js'
import {BUILD_KEY_LABEL} from '../../src/release/relabel.js'

const WORKSPACE = join(PROJECT_ROOT, 'examples/todo-app')
const THREE_IMAGES = '- frontend: frontend\n- backend: backend\n- recurring: recurring'
const SHA = '0123456789abcdef0123456789abcdef01234567'

function configOf(inputs: Record<string, string>, ref = 'refs/heads/main') {
  return readConfig(
    (name) =>
      ({registry: 'r.example', namespace: 'ns', images: THREE_IMAGES, ...inputs})[name] ?? '',
    {
      GITHUB_WORKSPACE: WORKSPACE,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: ref,
      GITHUB_SHA: SHA,
    },
  )
}

function planOf(config: ReturnType<typeof configOf>) {
  return planRun(config, {now: new Date(0), defaultBranch: 'main'})
}

const digestFor = (image: string): string =>
  `sha256:${Buffer.from(image).toString('hex').padEnd(64, '0').slice(0, 64)}`

/** Everything the fakes did, in order. */
type Event = string

/** An engine that takes a little time per build, can fail per image, and tracks overlap. */
class FakeEngine implements ContainerEngine {
  name = 'fake'
  pushesWhileBuilding = false
  exportsRegistryCache = false
  active = 0
  maxActive = 0
  readonly pushAttempts = new Map<string, number>()
  /** Per image: a build failure, or push failures to throw (one per attempt) before succeeding. */
  buildFailures = new Map<string, string>()
  pushFailures = new Map<string, string[]>()

  constructor(readonly events: Event[]) {}

  async login(): Promise<void> {}

  async build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    try {
      for (let i = 0; i < 3; i++) {
        log(`${step.image} build line ${i}`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const failure = this.buildFailures.get(step.image)
      if (failure) throw new CommandError('fake', 'build', 1, failure)
      this.events.push(`build ${step.image}`)
      if (this.pushesWhileBuilding && step.push) {
        for (const ref of step.pushRefs) this.events.push(`push ${ref}`)
        return {digest: digestFor(step.image)}
      }
      return {}
    } finally {
      this.active--
    }
  }

  async push(ref: string, log: LogSink): Promise<{digest: string}> {
    const image = /\/ns\/([^:]+):/.exec(ref)?.[1] ?? ''
    this.pushAttempts.set(ref, (this.pushAttempts.get(ref) ?? 0) + 1)
    const failure = this.pushFailures.get(image)?.shift()
    if (failure) throw new CommandError('fake', 'push', 1, failure)
    log(`pushed ${ref}`)
    this.events.push(`push ${ref}`)
    return {digest: digestFor(image)}
  }
}

class FakeRegistry implements RegistryClient {
  existingTags = new Map<string, string[]>()
  constructor(readonly events: Event[]) {}
  async manifestDigest(ref: ManifestRef): Promise<string | undefined> {
    return digestFor(ref.repository.slice(3))
  }
  async copyManifest(from: ManifestRef, toTags: readonly string[]): Promise<string> {
    for (const tag of toTags)
      this.events.push(`copy ${from.repository}@${from.reference} -> ${tag}`)
    return from.reference
  }
  async getManifest(): Promise<undefined> {
    return undefined
  }
  async putManifest(): Promise<string> {
    throw new Error('the pipeline of stage all never puts manifests itself')
  }
  async listTags(repository: string): Promise<string[]> {
    this.events.push(`list ${repository}`)
    return this.existingTags.get(repository) ?? []
  }
  async openBlob(): Promise<undefined> {
    return undefined
  }
  async getBlob(): Promise<undefined> {
    return undefined
  }
  async putBlob(): Promise<string> {
    throw new Error('the pipeline of stage all never puts blobs itself')
  }
}

let events: Event[]
let engine: FakeEngine
let registry: FakeRegistry
let adapters: Adapters
let stdout: string[]

beforeEach(() => {
  events = []
  engine = new FakeEngine(events)
  registry = new FakeRegistry(events)
  adapters = {
    engine,
    registry,
    retry: new RetrySession(
      {retries: 3, baseMs: 1},
      {relogin: async () => void events.push('login again')},
    ),
    steps: [],
  }
  stdout = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk))
    return true
  })
})
afterEach(() => vi.restoreAllMocks())

/** Runs the pipeline as main does, with the retries the config asks for. */
function release(
  config: ReturnType<typeof configOf>,
  more: Partial<Adapters> = {},
): Promise<PipelineResult> {
  const retry = new RetrySession(
    {retries: config.retries, baseMs: 1},
    {relogin: async () => void events.push('login again')},
  )
  return runPipeline(config, {namespace: 'ns', username: ''}, planOf(config), {
    ...adapters,
    retry,
    ...more,
  })
}

const copies = () => events.filter((event) => event.startsWith('copy'))

describe('release order', () => {
  test('every immutable tag of every image is pushed before any moving tag is copied, from the digest', async () => {
    const config = configOf({})
    const result = await release(config)
    expect(result.failures).toEqual([])
    const lastPush = events.map((e) => e.startsWith('push')).lastIndexOf(true)
    const firstCopy = events.findIndex((e) => e.startsWith('copy'))
    expect(lastPush).toBeLessThan(firstCopy)
    expect(events.filter((e) => e.startsWith('push')).sort()).toEqual([
      'push r.example/ns/backend:sha-0123456',
      'push r.example/ns/frontend:sha-0123456',
      'push r.example/ns/recurring:sha-0123456',
    ])
    expect(copies().sort()).toEqual(
      ['backend', 'frontend', 'recurring']
        .flatMap((name) => [
          `copy ns/${name}@${digestFor(name)} -> latest`,
          `copy ns/${name}@${digestFor(name)} -> main`,
        ])
        .sort(),
    )
    expect(result.images.map((i) => [i.name, i.status, i.pushed, i.digest])).toEqual(
      ['frontend', 'backend', 'recurring'].map((name) => [name, 'pushed', true, digestFor(name)]),
    )
  })

  test('one image that fails to build: the others push their immutable tags, no moving tag of any image changes', async () => {
    engine.buildFailures.set('backend', 'COPY failed: no such file')
    const config = configOf({})
    const result = await release(config)
    expect(copies()).toEqual([])
    expect(events.filter((e) => e.startsWith('push')).sort()).toEqual([
      'push r.example/ns/frontend:sha-0123456',
      'push r.example/ns/recurring:sha-0123456',
    ])
    expect(result.failures).toEqual([
      {image: 'backend', message: 'fake build failed (exit code 1): COPY failed: no such file'},
    ])
    const frontend = result.images.find((i) => i.name === 'frontend')
    expect(frontend).toMatchObject({status: 'pushed', pushed: true, digest: digestFor('frontend')})
    expect(frontend?.message).toBe("moving tags not applied because 'backend' failed")
  })

  test('an engine that pushes while building (buildx) is never asked to push; its digest is copied', async () => {
    engine.pushesWhileBuilding = true
    const pushSpy = vi.spyOn(engine, 'push')
    const config = configOf({})
    const result = await release(config)
    expect(pushSpy).not.toHaveBeenCalled()
    expect(copies()).toContain(`copy ns/backend@${digestFor('backend')} -> latest`)
    expect(result.images.every((i) => i.status === 'pushed')).toBe(true)
  })

  test('push: false builds only; nothing is pushed or copied', async () => {
    const config = configOf({push: 'false'})
    const result = await release(config)
    expect(events.filter((e) => !e.startsWith('build'))).toEqual([])
    expect(result.images.map((i) => i.status)).toEqual(['built', 'built', 'built'])
  })
})

describe('parallelism', () => {
  test.each([
    {maxParallel: '1', want: 1},
    {maxParallel: '2', want: 2},
    {maxParallel: '8', want: 3},
  ])('max-parallel $maxParallel: at most $want images at once', async ({maxParallel, want}) => {
    const config = configOf({'max-parallel': maxParallel})
    await release(config)
    expect(engine.maxActive).toBe(want)
  })

  test("each image's log is printed as one group, never interleaved with another image's", async () => {
    const config = configOf({'max-parallel': '3'})
    await release(config)
    expect(engine.maxActive).toBe(3)
    const lines = stdout.join('').split('\n')
    for (const image of ['frontend', 'backend', 'recurring']) {
      const start = lines.findIndex((line) => line.startsWith(`::group::${image}: pushed`))
      expect(start, image).toBeGreaterThanOrEqual(0)
      // The builder's lines, with workflow commands off around them (a random token each time).
      expect(lines[start + 1]).toMatch(/^::stop-commands::[0-9a-f]{32}$/)
      const token = lines[start + 1].slice('::stop-commands::'.length)
      expect(lines.slice(start + 2, start + 7)).toEqual([
        `${image} build line 0`,
        `${image} build line 1`,
        `${image} build line 2`,
        `pushed r.example/ns/${image}:sha-0123456`,
        `::${token}::`,
      ])
      expect(lines[start + 7]).toBe('::endgroup::')
    }
  })

  test('mapWithLimit keeps input order', async () => {
    const result = await mapWithLimit([30, 10, 20], 2, async (ms) => {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return ms
    })
    expect(result).toEqual([30, 10, 20])
  })
})

describe('retries of builder pushes', () => {
  test('transient failures are retried (retries=3: up to 4 attempts) and the release goes on', async () => {
    engine.pushFailures.set('backend', [
      'error parsing HTTP 429 response body: unexpected end of JSON input',
      'blob upload unknown',
      'received unexpected HTTP status: 503 Service Unavailable',
    ])
    const config = configOf({})
    const result = await release(config)
    expect(result.failures).toEqual([])
    expect(engine.pushAttempts.get('r.example/ns/backend:sha-0123456')).toBe(4)
    expect(copies()).toHaveLength(6)
  })

  test('a fifth attempt is never made: retries=3 gives up after 4 and no moving tag changes', async () => {
    engine.pushFailures.set(
      'backend',
      Array.from({length: 5}, () => 'read: connection reset by peer'),
    )
    const config = configOf({})
    const result = await release(config)
    expect(engine.pushAttempts.get('r.example/ns/backend:sha-0123456')).toBe(4)
    expect(result.failures[0].message).toMatch(/connection reset by peer.*gave up after 4 attempts/)
    expect(copies()).toEqual([])
  })

  test('a push refused after a transient fault gets one fresh login and one more try', async () => {
    engine.pushFailures.set('backend', [
      'read: connection reset by peer',
      'unauthorized: authentication required',
    ])
    const config = configOf({})
    const result = await release(config)
    expect(result.failures).toEqual([])
    expect(engine.pushAttempts.get('r.example/ns/backend:sha-0123456')).toBe(3)
    expect(events.filter((event) => event === 'login again')).toHaveLength(1)
    expect(events.indexOf('login again')).toBeLessThan(
      events.indexOf('push r.example/ns/backend:sha-0123456'),
    )
    expect(copies()).toHaveLength(6)
  })

  test('a push refused twice after a transient fault fails after the one fresh login', async () => {
    engine.pushFailures.set('backend', [
      '503 Service Unavailable',
      'unauthorized: authentication required',
      'unauthorized: authentication required',
    ])
    const config = configOf({})
    const result = await release(config)
    expect(engine.pushAttempts.get('r.example/ns/backend:sha-0123456')).toBe(3)
    expect(events.filter((event) => event === 'login again')).toHaveLength(1)
    expect(result.failures).toEqual([
      {image: 'backend', message: expect.stringMatching(/unauthorized/) as unknown as string},
    ])
    expect(copies()).toEqual([])
  })

  test('without an earlier transient fault, unauthorized fails at once', async () => {
    engine.pushFailures.set('frontend', ['unauthorized: authentication required'])
    const config = configOf({})
    const result = await release(config)
    expect(engine.pushAttempts.get('r.example/ns/frontend:sha-0123456')).toBe(1)
    expect(events).not.toContain('login again')
    expect(result.failures).toEqual([
      {image: 'frontend', message: expect.stringMatching(/unauthorized/) as unknown as string},
    ])
  })

  test('a non-transient failure (denied) fails at once', async () => {
    engine.pushFailures.set('frontend', ['denied: requested access to the resource is denied'])
    const config = configOf({retries: '5'})
    const result = await release(config)
    expect(engine.pushAttempts.get('r.example/ns/frontend:sha-0123456')).toBe(1)
    expect(result.failures).toEqual([
      {image: 'frontend', message: expect.stringMatching(/denied/) as unknown as string},
    ])
  })
})

describe('the latest guard', () => {
  test('a backport release leaves latest of every image alone, with a notice; other moving tags move', async () => {
    registry.existingTags.set('ns/backend', ['1.2.3', '1.1.8', 'latest'])
    const config = configOf({}, 'refs/tags/v1.1.9')
    const result = await release(config)
    expect(result.failures).toEqual([])
    expect(copies().filter((c) => c.endsWith('-> latest'))).toEqual([])
    expect(copies().filter((c) => c.endsWith('-> 1.1'))).toHaveLength(3)
    expect(result.notices).toEqual([
      expect.stringMatching(
        /latest not moved for any image of this run: backend: .*1\.2\.3/,
      ) as unknown as string,
    ])
    expect(result.images.flatMap((i) => i.refs).filter((ref) => ref.endsWith(':latest'))).toEqual(
      [],
    )
  })

  test('the newest release moves latest', async () => {
    registry.existingTags.set('ns/backend', ['1.2.3'])
    const config = configOf({}, 'refs/tags/v1.3.0')
    const result = await release(config)
    expect(copies().filter((c) => c.endsWith('-> latest'))).toHaveLength(3)
    expect(result.notices).toEqual([])
  })

  test('a branch push does not list tags at all', async () => {
    const config = configOf({})
    await release(config)
    expect(events.filter((e) => e.startsWith('list'))).toEqual([])
  })
})

/** The repositories step, connected with an ensurer of the test's. */
function withRepositories(
  ensurer: RepositoryEnsurer,
  config: ReturnType<typeof configOf>,
): Partial<Adapters> {
  return {steps: [{name: 'repositories', report: () => ({}), ...repositoryHooks(ensurer, config)}]}
}

describe('the repository hook', () => {
  test('outcomes are recorded and a created repository is a notice', async () => {
    const ensurer: RepositoryEnsurer = {
      ensure: async (plans) =>
        plans.map((plan, index) => ({
          name: plan.image.name,
          status: index === 0 ? 'created' : 'existed',
        })),
    }
    const config = configOf({})
    const result = await release(config, withRepositories(ensurer, config))
    expect(result.steps[0].sections?.[0].items).toEqual([
      'frontend: created',
      'backend: existed',
      'recurring: existed',
    ])
    expect(result.notices).toEqual(["created repository 'frontend'"])
    expect(result.failures).toEqual([])
  })

  test.each([
    {
      why: 'buildah exports its layer cache: its -buildcache repositories are ensured too',
      builder: 'buildah',
      cache: 'auto',
      extra: true,
    },
    {
      why: 'with cache: none there is no cache repository',
      builder: 'buildah',
      cache: 'none',
      extra: false,
    },
    {
      why: 'the classic builder keeps no cache in the registry',
      builder: 'docker',
      cache: 'auto',
      extra: false,
    },
  ])('$why', async ({builder, cache, extra}) => {
    engine.name = builder
    engine.exportsRegistryCache = builder === 'buildah'
    let asked: string[] = []
    const ensurer: RepositoryEnsurer = {
      ensure: async (plans) => {
        asked = plans.map((plan) => plan.image.name)
        return plans.map((plan) => ({name: plan.image.name, status: 'existed'}))
      },
    }
    const config = configOf({cache})
    await release(config, withRepositories(ensurer, config))
    const names = ['frontend', 'backend', 'recurring']
    expect(asked).toEqual(extra ? [...names, ...names.map((name) => `${name}-buildcache`)] : names)
  })

  test('a repository that could not be ensured stops the run before anything is built', async () => {
    const ensurer: RepositoryEnsurer = {
      ensure: async (plans) =>
        plans.map((plan) =>
          plan.image.name === 'backend'
            ? {name: 'backend', status: 'failed', message: 'NotAuthorizedOrNotFound'}
            : {name: plan.image.name, status: 'existed'},
        ),
    }
    const config = configOf({})
    const result = await release(config, withRepositories(ensurer, config))
    expect(events).toEqual([])
    expect(result.failures).toEqual([
      {image: 'backend', message: 'repository could not be ensured: NotAuthorizedOrNotFound'},
    ])
    expect(result.images.map((i) => i.status)).toEqual(['skipped', 'skipped', 'skipped'])
  })
})

/**
 * A release step defined here, with no change outside this test: its inputs, its hooks in the
 * release order, its dry-run lines, its output and its summary column.
 */
describe('a release step of its own', () => {
  const seen: string[] = []
  const audit = defineStep<{note: string}>({
    name: 'audit',
    read: (inputs) => (inputs.get('audit-note') ? {note: inputs.get('audit-note')} : undefined),
    planLines: ({note}) => ({
      beforePush: [`# audit before: ${note}`],
      afterPublish: [`# audit after publish: ${note}`],
      afterRelease: [`# audit after release: ${note}`],
    }),
    async connect({note}) {
      const audited: Record<string, string> = {}
      return {
        beforePush: async ({plans}) => {
          events.push(`audit before ${plans.length}`)
          return undefined
        },
        afterPublish: async (plan, outcome) => {
          if (plan.image.name === note) throw new Error(`audit refused ${note}`)
          events.push(`audit ${plan.image.name}@${outcome.digest}`)
          audited[plan.image.name] = `ok ${note}`
        },
        afterRelease: async (images) => void events.push(`audit after ${images.length}`),
        report: () => ({
          outputs: {audit: JSON.stringify(audited)},
          column: {header: 'audit', cells: audited},
        }),
      }
    },
    idleReport: () => ({outputs: {audit: '{}'}}),
  })

  function auditedConfig(inputs: Record<string, string>) {
    return readConfig(
      (name) =>
        ({registry: 'r.example', namespace: 'ns', images: THREE_IMAGES, ...inputs})[name] ?? '',
      {
        GITHUB_WORKSPACE: WORKSPACE,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: SHA,
      },
      () => {},
      [...RELEASE_STEPS, audit],
    )
  }

  async function connected(config: ReturnType<typeof auditedConfig>): Promise<Partial<Adapters>> {
    const steps = []
    for (const step of config.steps)
      steps.push(await step.connect({config, namespace: 'ns', registry: {} as RegistryHttpClient}))
    return {steps}
  }

  beforeEach(() => (seen.length = 0))

  test('its hooks run in the release order: before the builds, after each publish and before any moving tag, after the release', async () => {
    const config = auditedConfig({'audit-note': 'none'})
    const result = await release(config, await connected(config))
    expect(result.failures).toEqual([])
    const at = (prefix: string): number[] =>
      events.flatMap((event, index) => (event.startsWith(prefix) ? [index] : []))
    expect(at('audit before')).toEqual([0])
    expect(Math.min(...at('build'))).toBeGreaterThan(0)
    expect(
      at('audit ').filter(
        (i) => !events[i].startsWith('audit before') && !events[i].startsWith('audit after'),
      ),
    ).toHaveLength(3)
    // Every image audited after its own push and before any moving tag moved.
    for (const name of ['frontend', 'backend', 'recurring']) {
      const audited = events.indexOf(`audit ${name}@${digestFor(name)}`)
      expect(audited).toBeGreaterThan(events.indexOf(`push r.example/ns/${name}:sha-0123456`))
      expect(audited).toBeLessThan(Math.min(...at('copy')))
    }
    expect(events.at(-1)).toBe('audit after 3')
    const report = result.steps.find((step) => step.outputs?.audit)
    expect(JSON.parse(report?.outputs?.audit ?? '{}')).toEqual({
      frontend: 'ok none',
      backend: 'ok none',
      recurring: 'ok none',
    })
  })

  test('when it fails after publish, no moving tag of any image moves', async () => {
    const config = auditedConfig({'audit-note': 'backend'})
    const result = await release(config, await connected(config))
    expect(copies()).toEqual([])
    expect(result.failures).toEqual([{image: 'backend', message: 'audit refused backend'}])
    expect(result.images.find((image) => image.name === 'backend')?.status).toBe('failed')
  })

  test('a dry run shows its lines at their phases', async () => {
    const config = auditedConfig({
      'audit-note': 'n1',
      'dry-run': 'true',
      username: 'u',
      'auth-token': 't',
    })
    const result = await runPipeline(config, {namespace: 'ns', username: 'u'}, planOf(config))
    const lines = result.commands
    const index = (text: string): number => lines.findIndex((line) => line.includes(text))
    const lastBuildOrPush = Math.max(
      ...lines.flatMap((line, i) => (/^docker (build|push) /.test(line) ? [i] : [])),
    )
    expect(index('# audit before: n1'), lines.join('\n')).toBeGreaterThan(index('docker login'))
    expect(index('# audit before: n1')).toBeLessThan(index('docker build'))
    expect(index('# audit after publish: n1')).toBeGreaterThan(lastBuildOrPush)
    expect(index('# audit after publish: n1')).toBeLessThan(index('# copy manifest'))
    expect(lines.at(-1)).toBe('# audit after release: n1')
    // Not connected: its idle report, so its output is set all the same.
    expect(result.steps.at(-1)?.outputs).toEqual({audit: '{}'})
  })

  test('its output and its summary column reach the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-report-'))
    const output = join(dir, 'output')
    const summary = join(dir, 'summary')
    writeFileSync(output, '')
    writeFileSync(summary, '')
    vi.stubEnv('GITHUB_OUTPUT', output)
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary)
    try {
      const config = auditedConfig({'audit-note': 'none'})
      await writeReport(await release(config, await connected(config)))
      expect(readFileSync(output, 'utf8')).toMatch(
        /audit<<.*\n\{"frontend":"ok none","backend":"ok none","recurring":"ok none"\}\n/,
      )
      // The signing step is off: its output is still set, empty.
      expect(readFileSync(output, 'utf8')).toMatch(/signatures<<.*\n\{\}\n/)
      const html = readFileSync(summary, 'utf8')
      expect(html).toContain('<th>audit</th>')
      expect(html).toContain('<td>ok none</td>')
    } finally {
      vi.unstubAllEnvs()
    }
  })
})

describe('build secrets and the build key', () => {
  /** The build key label the one image of a run with `secrets` is built with. */
  async function keyWith(secrets: string): Promise<string> {
    const config = configOf({images: '- frontend: frontend', secrets})
    const keys: string[] = []
    const capturing = new FakeEngine(events)
    const build = capturing.build.bind(capturing)
    capturing.build = (step, log) => {
      keys.push(step.labels[BUILD_KEY_LABEL])
      return build(step, log)
    }
    const result = await release(config, {
      engine: capturing,
      resolveBaseImages: async (refs) =>
        refs.map((ref) => ({ref, digest: `sha256:${'1'.repeat(64)}`})),
    })
    expect(result.failures).toEqual([])
    expect(keys).toHaveLength(1)
    return keys[0]
  }

  test('the key has the ids of the secrets, never their values: a rotated value keeps it', async () => {
    const first = await keyWith('npm=first-value')
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await keyWith('npm=a-rotated-value')).toBe(first)
    expect(await keyWith('npm=')).toBe(first)
    // Another secret (or none) is another build.
    expect(await keyWith('npm=first-value\nsentry=x')).not.toBe(first)
    expect(await keyWith('')).not.toBe(first)
    // The order of the lines does not matter.
    expect(await keyWith('sentry=x\nnpm=y')).toBe(await keyWith('npm=first-value\nsentry=x'))
  })
})
