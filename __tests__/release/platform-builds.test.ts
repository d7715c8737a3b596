import {describe, expect, test} from 'vitest'
import type {ContainerEngine, LogSink} from '../../src/ports.js'
import {RetrySession} from '../../src/adapters/retry.js'
import type {ImageSpec} from '../../src/model/action-config.js'
import {CommandError} from '../../src/errors.js'
import type {BuildStep} from '../../src/plan/build-step.js'
import {planLegs} from '../../src/plan/platform-legs.js'
import {planPushes} from '../../src/plan/push-plan.js'
import {
  buildLegs,
  imageOutcomesOfLegs,
  type PlatformBuildsInput,
} from '../../src/release/platform-builds.js'

const TAGS = [
  {name: 'main', moving: true, isLatest: false},
  {name: 'sha-0123456', moving: false, isLatest: false},
  {name: 'latest', moving: true, isLatest: true},
]

const imageOf = (name: string, platforms: string[], labels = {}): ImageSpec => ({
  name,
  context: name,
  file: `${name}/Dockerfile`,
  buildArgs: {APP: name},
  platforms,
  labels,
})

function stageOf(images: ImageSpec[], runnerPlatforms: string[] = []) {
  return planLegs(
    'platform',
    planPushes(images, 'r.example', 'ns', TAGS),
    'sha-0123456',
    runnerPlatforms,
  )
}

const digestOf = (ref: string): string =>
  `sha256:${Buffer.from(ref).toString('hex').padEnd(64, '0').slice(0, 64)}`

/** Records every build and push; fails where told. */
class FakeEngine implements ContainerEngine {
  readonly name = 'fake'
  readonly events: string[] = []
  readonly steps: BuildStep[] = []
  /** Per `image platform`: the build fails. */
  buildFailures = new Set<string>()
  /** Per ref: errors thrown by successive push attempts before one succeeds. */
  pushFailures = new Map<string, Error[]>()

  readonly exportsRegistryCache = false
  constructor(readonly pushesWhileBuilding = false) {}

  async login(): Promise<void> {}

  async build(step: BuildStep, log: LogSink): Promise<{digest?: string}> {
    this.steps.push(step)
    this.events.push(`build ${step.image} ${step.platforms.join(',')}`)
    log(`building ${step.image}`)
    if (this.buildFailures.has(`${step.image} ${step.platforms.join(',')}`))
      throw new CommandError('fake', 'build', 1, `no ${step.platforms.join(',')} base image`)
    if (this.pushesWhileBuilding && step.push) {
      for (const ref of step.pushRefs) this.events.push(`push ${ref}`)
      return {digest: digestOf(step.pushRefs[0])}
    }
    return {}
  }

  async push(ref: string): Promise<{digest: string}> {
    this.events.push(`push ${ref}`)
    const failure = this.pushFailures.get(ref)?.shift()
    if (failure) throw failure
    return {digest: digestOf(ref)}
  }
}

function inputOf(
  engine: ContainerEngine,
  images: ImageSpec[],
  extra: Partial<PlatformBuildsInput> = {},
): PlatformBuildsInput {
  return {
    images: stageOf(images),
    engine,
    labels: {'org.opencontainers.image.revision': '0123456', team: 'a'},
    push: true,
    maxParallel: 2,
    retry: new RetrySession({retries: 2, baseMs: 1}),
    ...extra,
  }
}

describe('buildLegs', () => {
  test('builds each platform on its own and pushes it under its per-platform tag only', async () => {
    const engine = new FakeEngine()
    const outcomes = await buildLegs(
      inputOf(
        engine,
        [imageOf('web', ['linux/amd64', 'linux/arm64']), imageOf('api', ['linux/arm64'])],
        {
          maxParallel: 1,
        },
      ),
    )
    expect(engine.events).toEqual([
      'build web linux/amd64',
      'push r.example/ns/web:sha-0123456-linux-amd64',
      'build web linux/arm64',
      'push r.example/ns/web:sha-0123456-linux-arm64',
      'build api linux/arm64',
      'push r.example/ns/api:sha-0123456-linux-arm64',
    ])
    for (const step of engine.steps) {
      expect(step.platforms).toHaveLength(1)
      expect(step.refs).toEqual(step.pushRefs)
      expect(step.refs).toEqual([expect.stringMatching(/:sha-0123456-linux-(amd64|arm64)$/)])
    }
    expect(outcomes).toEqual([
      expect.objectContaining({
        name: 'web',
        platform: 'linux/amd64',
        ref: 'r.example/ns/web:sha-0123456-linux-amd64',
        digest: digestOf('r.example/ns/web:sha-0123456-linux-amd64'),
        status: 'pushed',
      }),
      expect.objectContaining({name: 'web', platform: 'linux/arm64', status: 'pushed'}),
      expect.objectContaining({name: 'api', platform: 'linux/arm64', status: 'pushed'}),
    ])
  })

  test("an image's own labels go on top of the run's labels", async () => {
    const engine = new FakeEngine()
    await buildLegs(inputOf(engine, [imageOf('web', ['linux/amd64'], {team: 'b'})]))
    expect(engine.steps[0].labels).toEqual({
      'org.opencontainers.image.revision': '0123456',
      team: 'b',
    })
    expect(engine.steps[0].buildArgs).toEqual({APP: 'web'})
  })

  test('an engine that pushes while building pushes the per-platform ref; push() is never called', async () => {
    const engine = new FakeEngine(true)
    const outcomes = await buildLegs(inputOf(engine, [imageOf('web', ['linux/arm64'])]))
    expect(engine.events).toEqual([
      'build web linux/arm64',
      'push r.example/ns/web:sha-0123456-linux-arm64',
    ])
    expect(outcomes[0]).toMatchObject({
      status: 'pushed',
      digest: digestOf('r.example/ns/web:sha-0123456-linux-arm64'),
    })
  })

  test('push: false builds only', async () => {
    const engine = new FakeEngine()
    const outcomes = await buildLegs(
      inputOf(engine, [imageOf('web', ['linux/amd64'])], {push: false}),
    )
    expect(engine.events).toEqual(['build web linux/amd64'])
    expect(engine.steps[0].push).toBe(false)
    expect(outcomes[0]).toMatchObject({status: 'built', digest: ''})
  })

  test('a transient push failure is retried', async () => {
    const engine = new FakeEngine()
    const ref = 'r.example/ns/web:sha-0123456-linux-amd64'
    engine.pushFailures.set(ref, [
      new CommandError(
        'fake',
        'push',
        1,
        'received unexpected HTTP status: 503 Service Unavailable',
      ),
    ])
    const outcomes = await buildLegs(inputOf(engine, [imageOf('web', ['linux/amd64'])]))
    expect(engine.events.filter((event) => event === `push ${ref}`)).toHaveLength(2)
    expect(outcomes[0].status).toBe('pushed')
  })

  test('one failed leg fails its image and names the platform; the other legs still run', async () => {
    const engine = new FakeEngine()
    engine.buildFailures.add('web linux/arm64')
    const input = inputOf(engine, [
      imageOf('web', ['linux/amd64', 'linux/arm64']),
      imageOf('api', ['linux/arm64']),
    ])
    const outcomes = await buildLegs(input)
    expect(
      outcomes.map((outcome) => `${outcome.name} ${outcome.platform} ${outcome.status}`),
    ).toEqual(['web linux/amd64 pushed', 'web linux/arm64 failed', 'api linux/arm64 pushed'])
    expect(outcomes[1].message).toMatch(
      /^linux\/arm64: fake build failed .*no linux\/arm64 base image/,
    )

    const images = imageOutcomesOfLegs(input.images, outcomes)
    expect(images).toEqual([
      expect.objectContaining({
        name: 'web',
        repository: 'ns/web',
        imageName: 'r.example/ns/web',
        status: 'failed',
        refs: ['r.example/ns/web:sha-0123456-linux-amd64'],
        digest: '',
        pushed: true,
        message: expect.stringMatching(/^linux\/arm64: /),
      }),
      expect.objectContaining({
        name: 'api',
        status: 'pushed',
        refs: ['r.example/ns/api:sha-0123456-linux-arm64'],
        // one platform on this runner: its digest is the image's
        digest: digestOf('r.example/ns/api:sha-0123456-linux-arm64'),
      }),
    ])
  })

  test("an image none of whose platforms is this runner's is skipped here, not built emulated", async () => {
    const engine = new FakeEngine()
    const images = stageOf(
      [imageOf('web', ['linux/amd64', 'linux/arm64']), imageOf('legacy', ['linux/amd64'])],
      ['linux/arm64'],
    )
    const outcomes = await buildLegs({...inputOf(engine, []), images})
    expect(engine.events).toEqual([
      'build web linux/arm64',
      'push r.example/ns/web:sha-0123456-linux-arm64',
    ])
    expect(imageOutcomesOfLegs(images, outcomes)[1]).toMatchObject({
      name: 'legacy',
      status: 'skipped',
      pushed: false,
      refs: [],
      message: expect.stringMatching(/not built on this runner.*linux\/amd64/),
    })
  })
})
