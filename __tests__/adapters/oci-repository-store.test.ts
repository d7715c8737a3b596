import {afterAll, afterEach, beforeAll, describe, expect, test, vi} from 'vitest'
import {createArtifactsClient} from '../../src/adapters/oci-client.js'
import {
  ensureRepositories,
  OciRepositoryStore,
  type EnsureRepositoriesRequest,
} from '../../src/adapters/oci-repository-store.js'
import {parseOciApiKey, type OciKeyInputs} from '../../src/config/oci-key.js'
import {ActionError, InputError, OciRequestError} from '../../src/errors.js'

const apiKeyOf = (inputs: OciKeyInputs) => parseOciApiKey(inputs, {regionRequired: false})
import {makeApiKey, startOciDouble, type OciDouble} from '../fixtures/oci-double.js'

let setup: Awaited<ReturnType<typeof startOciDouble>>
let double: OciDouble
let credentials: OciKeyInputs
/** tenancy, team-a, team-a-child, team-b */
let compartments: string[]
let runCounter = 0

beforeAll(async () => {
  // The SDK's retrier reports every failed attempt (409s included) on console.warn.
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  setup = await startOciDouble({seedCount: 2000})
  double = setup.double
  compartments = setup.compartments
  credentials = {
    user: setup.userId,
    tenancy: setup.tenancyId,
    fingerprint: setup.key.fingerprint,
    privateKey: setup.key.privateKeyPem,
    region: 'us-ashburn-1',
  }
})
afterAll(async () => {
  await double.stop()
})
afterEach(() => {
  double.clearFaults()
})

async function newStore(
  creds: OciKeyInputs = credentials,
  retries = 3,
): Promise<OciRepositoryStore> {
  const client = await createArtifactsClient({
    apiKey: apiKeyOf(creds),
    retries,
    endpoint: double.url,
    retryBaseMs: 10,
  })
  return new OciRepositoryStore(client, creds.tenancy)
}

/** Names no earlier test used, so tests share one seeded double without interfering. */
function freshNames(count: number): string[] {
  runCounter++
  return Array.from({length: count}, (_, index) => `run${runCounter}/app-${index}`)
}

function request(
  names: string[],
  change: Partial<EnsureRepositoriesRequest> = {},
): EnsureRepositoriesRequest {
  return {
    tenancy: setup.tenancyId,
    compartment: compartments[3],
    names,
    isPublic: false,
    isImmutable: false,
    movingTagsFor: () => [],
    ...change,
  }
}

function stored(name: string): {compartmentId: string; isPublic: boolean; isImmutable: boolean}[] {
  return double.all().filter((repository) => repository.displayName === name)
}

describe('ensureRepositories against 2,000 repositories in four compartments', () => {
  test.each([
    {why: 'private and mutable', isPublic: false, isImmutable: false},
    {why: 'public', isPublic: true, isImmutable: false},
    {why: 'immutable (no tag of the plan moves)', isPublic: false, isImmutable: true},
  ])(
    'four names, one already in a child compartment: three created $why, in a handful of calls',
    async ({isPublic, isImmutable}) => {
      const names = freshNames(4)
      const elsewhere = compartments[2] // team-a-child, two levels below the tenancy
      double.seed([{compartmentId: elsewhere, displayName: names[1]}])
      const store = await newStore()
      double.resetCalls()

      const outcomes = await ensureRepositories(store, request(names, {isPublic, isImmutable}))

      expect(
        outcomes.map(({name, status, compartmentId}) => ({name, status, compartmentId})),
      ).toEqual([
        {name: names[0], status: 'created', compartmentId: compartments[3]},
        {name: names[1], status: 'existed', compartmentId: elsewhere},
        {name: names[2], status: 'created', compartmentId: compartments[3]},
        {name: names[3], status: 'created', compartmentId: compartments[3]},
      ])
      for (const name of [names[0], names[2], names[3]]) {
        expect(stored(name)).toEqual([
          expect.objectContaining({compartmentId: compartments[3], isPublic, isImmutable}),
        ])
      }
      expect(stored(names[1])).toHaveLength(1)
      // One filtered list per name and one create per missing name: never a scan of 2,000 entries.
      expect(double.calls).toMatchObject({
        ListContainerRepositories: 4,
        CreateContainerRepository: 3,
        GetContainerRepository: 0,
      })
      expect(double.unauthenticated).toBe(0)
    },
  )

  test('without a compartment, repositories go to the tenancy root', async () => {
    const names = freshNames(1)
    const outcomes = await ensureRepositories(
      await newStore(),
      request(names, {compartment: undefined}),
    )
    expect(outcomes[0]).toMatchObject({status: 'created', compartmentId: setup.tenancyId})
  })

  test('a name given twice is handled once', async () => {
    const [name] = freshNames(1)
    double.resetCalls()
    const outcomes = await ensureRepositories(await newStore(), request([name, name]))
    expect(outcomes).toHaveLength(1)
    expect(double.calls.CreateContainerRepository).toBe(1)
  })

  test('two runs at once create every repository exactly once, and both succeed', async () => {
    const names = freshNames(4)
    double.seed([{compartmentId: compartments[1], displayName: names[0]}])
    const [first, second] = [await newStore(), await newStore()]
    double.resetCalls()
    // Both runs look every name up before either creates anything: the worst interleaving.
    double.holdUntil('ListContainerRepositories', 8)

    const [a, b] = await Promise.all([
      ensureRepositories(first, request(names)),
      ensureRepositories(second, request(names)),
    ])

    for (const name of names) expect(stored(name), name).toHaveLength(1)
    for (const outcomes of [a, b]) {
      expect(outcomes.every(({status}) => status !== 'failed')).toBe(true)
    }
    for (const index of [1, 2, 3]) {
      expect([a[index].status, b[index].status].sort()).toEqual(['created', 'existed'])
      expect(a[index].id).toBe(b[index].id)
    }
    expect(a[0].status).toBe('existed')
    expect(b[0].status).toBe('existed')
    // 8 look-ups, 6 creates (3 of them answered 409), 3 look-ups again after the 409s.
    expect(double.calls.CreateContainerRepository).toBe(6)
    expect(double.calls.ListContainerRepositories).toBe(11)
  })

  test('429 on look-up and create is retried', async () => {
    const names = freshNames(2)
    const store = await newStore()
    double.resetCalls()
    double.throttle('ListContainerRepositories', 2)
    double.throttle('CreateContainerRepository', 1)
    const outcomes = await ensureRepositories(store, request(names, {concurrency: 1}))
    expect(outcomes.map(({status}) => status)).toEqual(['created', 'created'])
    expect(double.calls.ListContainerRepositories).toBe(4)
    expect(double.calls.CreateContainerRepository).toBe(3)
    for (const name of names) expect(stored(name)).toHaveLength(1)
  })

  test('an existing immutable repository whose tags would move stops the run before anything is created', async () => {
    const names = freshNames(3)
    double.seed([{compartmentId: compartments[1], displayName: names[2], isImmutable: true}])
    const store = await newStore()
    double.resetCalls()
    const run = ensureRepositories(store, request(names, {movingTagsFor: () => ['latest', '1']}))
    await expect(run).rejects.toThrow(ActionError)
    await expect(run).rejects.toThrow(
      new RegExp(`'${names[2]}' \\(ocid1\\.containerrepo.*is immutable.*latest, 1`),
    )
    expect(double.calls.CreateContainerRepository).toBe(0)
    expect(double.calls.GetContainerRepository).toBe(1)
    expect(stored(names[0])).toHaveLength(0)
  })

  test('an existing mutable repository with moving tags is fine: one extra read for its settings', async () => {
    const names = freshNames(2)
    double.seed([{compartmentId: compartments[1], displayName: names[0]}])
    const store = await newStore()
    double.resetCalls()
    const outcomes = await ensureRepositories(
      store,
      request(names, {movingTagsFor: () => ['latest']}),
    )
    expect(outcomes.map(({status}) => status)).toEqual(['existed', 'created'])
    expect(double.calls).toMatchObject({
      ListContainerRepositories: 2,
      GetContainerRepository: 1,
      CreateContainerRepository: 1,
    })
  })

  test('an existing immutable repository is fine when no tag of the plan moves in it', async () => {
    const names = freshNames(1)
    double.seed([{compartmentId: compartments[1], displayName: names[0], isImmutable: true}])
    const outcomes = await ensureRepositories(
      await newStore(),
      request(names, {movingTagsFor: () => []}),
    )
    expect(outcomes[0].status).toBe('existed')
  })

  test('creating immutable repositories for a plan that moves tags is an InputError, before any call', async () => {
    const names = freshNames(2)
    const store = await newStore()
    double.resetCalls()
    const run = ensureRepositories(
      store,
      request(names, {
        isImmutable: true,
        movingTagsFor: (name) => (name === names[1] ? ['latest'] : []),
      }),
    )
    await expect(run).rejects.toThrow(InputError)
    await expect(run).rejects.toMatchObject({
      input: 'repository-immutable',
      hint: expect.stringContaining(`${names[1]}: latest`),
    })
    expect(double.totalCalls()).toBe(0)
  })

  test('a create the API refuses is a failed outcome with the reason; the others go ahead', async () => {
    const names = freshNames(2)
    const store = await newStore()
    double.fail(
      'CreateContainerRepository',
      1,
      400,
      'LimitExceeded',
      'The repository limit of 500 has been reached',
    )
    const outcomes = await ensureRepositories(store, request(names, {concurrency: 1}))
    expect(outcomes[0]).toMatchObject({name: names[0], status: 'failed'})
    expect(outcomes[0].message).toMatch(
      /repository limit of 500.*LimitExceeded.*opc-request-id DOUBLE-.*500 repositories per region/,
    )
    expect(outcomes[1]).toMatchObject({name: names[1], status: 'created'})
  })

  test('a compartment that does not exist fails each create with a hint about it', async () => {
    const names = freshNames(1)
    const missing = 'ocid1.compartment.oc1..doesnotexist'
    const outcomes = await ensureRepositories(
      await newStore(),
      request(names, {compartment: missing}),
    )
    expect(outcomes[0].status).toBe('failed')
    expect(outcomes[0].message).toContain('status 404')
    expect(outcomes[0].message).toContain(`compartment ${missing}`)
  })

  test('a repository being deleted is reported as failed, not as existing', async () => {
    const names = freshNames(1)
    double.seed([{compartmentId: compartments[1], displayName: names[0]}])
    const repository = double.all().find((candidate) => candidate.displayName === names[0])!
    repository.lifecycleState = 'DELETING'
    const outcomes = await ensureRepositories(await newStore(), request(names))
    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      message: expect.stringMatching(/being deleted/),
    })
  })

  test('a look-up with an API key OCI does not know throws one OciRequestError with 401', async () => {
    const stranger = makeApiKey()
    const store = await newStore({
      ...credentials,
      privateKey: stranger.privateKeyPem,
      fingerprint: stranger.fingerprint,
    })
    double.resetCalls()
    const run = ensureRepositories(store, request(freshNames(2)))
    await expect(run).rejects.toThrow(OciRequestError)
    await expect(run).rejects.toMatchObject({statusCode: 401, serviceCode: 'NotAuthenticated'})
    expect(double.calls.CreateContainerRepository).toBe(0)
  })
})

describe('OciRepositoryStore', () => {
  test('findByName follows pages when the server filters late and the match is on the last page', async () => {
    const late = await startOciDouble({seedCount: 2000, pageSize: 100, filterAfterPaging: true})
    try {
      const client = await createArtifactsClient({
        apiKey: apiKeyOf({
          user: late.userId,
          tenancy: late.tenancyId,
          fingerprint: late.key.fingerprint,
          privateKey: late.key.privateKeyPem,
          region: 'iad',
        }),
        retries: 0,
        endpoint: late.double.url,
      })
      const store = new OciRepositoryStore(client, late.tenancyId)
      const found = await store.findByName(late.tenancyId, 'seeded/service-1999')
      expect(found).toMatchObject({
        name: 'seeded/service-1999',
        compartmentId: late.compartments[1999 % 4],
      })
      expect(late.double.calls.ListContainerRepositories).toBe(20)
      expect(await store.findByName(late.tenancyId, 'not-there')).toBeUndefined()
      expect(late.double.calls.ListContainerRepositories).toBe(40)
    } finally {
      await late.double.stop()
    }
  })

  test('findByName is exact: a name that is a prefix of others is not confused with them', async () => {
    const store = await newStore()
    expect(await store.findByName(setup.tenancyId, 'seeded/service-000')).toBeUndefined()
    expect(await store.findByName(setup.tenancyId, 'seeded/service-0007')).toMatchObject({
      name: 'seeded/service-0007',
    })
  })

  test('get reads isImmutable, which list results do not carry', async () => {
    const [name] = freshNames(1)
    double.seed([{compartmentId: compartments[0], displayName: name, isImmutable: true}])
    const store = await newStore()
    const found = await store.findByName(setup.tenancyId, name)
    expect(found?.isImmutable).toBeUndefined()
    expect(await store.get(found!.id)).toMatchObject({name, isImmutable: true, isPublic: false})
  })

  test('get of an unknown id is an OciRequestError with status, code and request id', async () => {
    const store = await newStore()
    const failure = await store.get('ocid1.containerrepo.oc1..nope').catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(OciRequestError)
    expect((failure as OciRequestError).message).toMatch(
      /^OCI GetContainerRepository failed: .*\(status 404, code NotAuthorizedOrNotFound, opc-request-id DOUBLE-\d+\)$/,
    )
  })

  test('create of a name taken in another compartment returns the existing repository', async () => {
    const [name] = freshNames(1)
    double.seed([{compartmentId: compartments[2], displayName: name}])
    const store = await newStore()
    const result = await store.create(compartments[3], name, {isPublic: true, isImmutable: false})
    expect(result.created).toBe(false)
    expect(result.repository).toMatchObject({name, compartmentId: compartments[2]})
  })
})
