import {describe, expect, test} from 'vitest'
import {
  attemptsOf,
  backoffMs,
  classifyFailure,
  failureStatus,
  retryAfterMs,
  retryDelayMs,
  RetrySession,
} from '../../src/adapters/retry.js'
import {
  CommandError,
  OciRequestError,
  RegistryError,
  TransientError,
  describeFailure,
} from '../../src/errors.js'

const dockerPush = (lastLine: string): CommandError =>
  new CommandError('docker', 'push', 1, lastLine)
const dockerLogin = (lastLine: string): CommandError =>
  new CommandError('docker', 'login', 1, lastLine)
const fetchFailed = (cause: string, code: string): TypeError =>
  new TypeError('fetch failed', {cause: Object.assign(new Error(cause), {code})})

describe('classifyFailure', () => {
  test.each([
    {why: 'a restarted upload session', err: dockerPush('blob upload unknown'), want: 'transient'},
    {
      why: 'a restarted upload session, as the /v2/ API answers it (404 with its code)',
      err: new RegistryError('PUT blob failed with HTTP 404', 404, 'BLOB_UPLOAD_UNKNOWN'),
      want: 'transient',
    },
    {
      why: "docker's words for a 429 on a HEAD",
      err: dockerPush('error parsing HTTP 429 response body: invalid character'),
      want: 'transient',
    },
    {why: 'too many requests', err: dockerPush('toomanyrequests: slow down'), want: 'transient'},
    {
      why: 'a reset connection',
      err: dockerPush('read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer'),
      want: 'transient',
    },
    {
      why: 'an EOF mid-upload',
      err: dockerPush('Put "http://h/v2/x/blobs/uploads/1": EOF'),
      want: 'transient',
    },
    {
      why: 'a 503 on a push',
      err: dockerPush('received unexpected HTTP status: 503 Service Unavailable'),
      want: 'transient',
    },
    {why: 'a TLS timeout', err: dockerPush('net/http: TLS handshake timeout'), want: 'transient'},
    {
      why: 'docker login when the authenticated GET /v2/ answered 503',
      err: dockerLogin(
        'Error response from daemon: login attempt to http://h/v2/ failed with status: 503 Service Unavailable',
      ),
      want: 'transient',
    },
    {
      why: 'docker login when the authenticated GET /v2/ answered 429',
      err: dockerLogin(
        'Error response from daemon: login attempt to http://h/v2/ failed with status: 429 Too Many Requests',
      ),
      want: 'transient',
    },
    {
      why: 'docker login whose connection was dropped',
      err: dockerLogin('Error response from daemon: Get "http://h/v2/": EOF'),
      want: 'transient',
    },
    {
      why: 'buildah login on a 500',
      err: new CommandError(
        'buildah',
        'login',
        125,
        'Error: authenticating creds for "h": pinging container registry h: invalid status code from registry 500 (Internal Server Error)',
      ),
      want: 'transient',
    },
    {
      why: 'a refused docker login (also what docker says when its first GET /v2/ failed)',
      err: dockerLogin(
        'Error response from daemon: login attempt to http://h/v2/ failed with status: 401 Unauthorized',
      ),
      want: 'credentials',
    },
    {
      why: 'a refused buildah login',
      err: new CommandError(
        'buildah',
        'login',
        125,
        'Error: logging into "h": invalid username/password',
      ),
      want: 'credentials',
    },
    {
      why: 'a denied push',
      err: dockerPush('denied: requested access to the resource is denied'),
      want: 'credentials',
    },
    {
      why: 'unauthorized mid-push',
      err: dockerPush('unauthorized: authentication required'),
      want: 'credentials',
    },
    {
      why: 'nobody listens on the port',
      err: dockerLogin(
        'Error response from daemon: Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused',
      ),
      want: 'unreachable',
    },
    {
      why: 'the host name does not resolve',
      err: dockerLogin(
        'Error response from daemon: Get "https://nosuch.invalid/v2/": dial tcp: lookup nosuch.invalid on 10.0.0.53:53: no such host',
      ),
      want: 'unreachable',
    },
    {
      why: 'a connect that timed out',
      err: dockerLogin('Get "https://h/v2/": dial tcp 10.1.2.3:443: i/o timeout'),
      want: 'unreachable',
    },
    {
      why: 'Node: connection refused',
      err: fetchFailed('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'),
      want: 'unreachable',
    },
    {
      why: 'Node: DNS failure',
      err: fetchFailed('getaddrinfo ENOTFOUND nosuch.invalid', 'ENOTFOUND'),
      want: 'unreachable',
    },
    {
      why: 'Node: the other side closed',
      err: fetchFailed('other side closed', 'UND_ERR_SOCKET'),
      want: 'transient',
    },
    {
      why: 'an invalid manifest',
      err: dockerPush('manifest invalid: manifest invalid'),
      want: 'permanent',
    },
    {
      why: "docker's manifest ahead of its blob (two pushes of the same layers at once)",
      err: dockerPush('manifest blob unknown: blob unknown to registry'),
      want: 'transient',
    },
    {
      why: 'a blob the registry does not know, asked for by name',
      err: dockerPush('blob unknown: blob unknown to registry'),
      want: 'permanent',
    },
    {
      why: 'a build error',
      err: new CommandError('docker', 'build', 1, 'COPY failed: file not found in build context'),
      want: 'permanent',
    },
    {why: 'a registry 503', err: new RegistryError('x', 503), want: 'transient'},
    {why: 'a registry 429', err: new RegistryError('x', 429), want: 'transient'},
    {why: 'a registry 404', err: new RegistryError('x', 404), want: 'permanent'},
    {why: 'a registry 401', err: new RegistryError('x', 401), want: 'credentials'},
    {why: 'a registry 403', err: new RegistryError('x', 403), want: 'credentials'},
    {
      why: 'a registry request with no answer at all',
      err: new RegistryError('GET x failed: terminated'),
      want: 'transient',
    },
    {
      why: 'an OCI 429',
      err: new OciRequestError('Op', 429, undefined, undefined, 'x'),
      want: 'transient',
    },
    {
      why: 'an OCI 401',
      err: new OciRequestError('Op', 401, undefined, undefined, 'x'),
      want: 'credentials',
    },
    {
      why: 'a refusal we disproved',
      err: new TransientError('docker login: 401 Unauthorized, yet accepted'),
      want: 'transient',
    },
    {why: 'not an Error at all', err: 'weird', want: 'permanent'},
  ])('$why: $want', ({err, want}) => {
    expect(classifyFailure(err)).toBe(want)
  })
})

test.each([
  {why: 'a RegistryError', err: new RegistryError('x', 502), want: 502},
  {
    why: "docker's login wording",
    err: dockerLogin('login attempt to http://h/v2/ failed with status: 503 Service Unavailable'),
    want: 503,
  },
  {
    why: "buildah's wording",
    err: new CommandError(
      'buildah',
      'login',
      125,
      'invalid status code from registry 500 (Internal Server Error)',
    ),
    want: 500,
  },
  {
    why: 'a dropped connection has none',
    err: dockerLogin('Get "http://h/v2/": EOF'),
    want: undefined,
  },
  {
    why: 'a disproved refusal has none',
    err: new TransientError('failed with status: 401 Unauthorized'),
    want: undefined,
  },
])('failureStatus: $why', ({err, want}) => {
  expect(failureStatus(err)).toBe(want)
})

describe('RetrySession.run', () => {
  const policy = {retries: 3, baseMs: 10}
  const noWait = async (): Promise<void> => {}

  test('retries=3 means at most 4 attempts, then the last error with the count', async () => {
    let attempts = 0
    const session = new RetrySession(policy, {wait: noWait})
    const error = await session
      .run('push', () => {
        attempts++
        return Promise.reject(dockerPush(`EOF ${attempts}`))
      })
      .catch((err: unknown) => err)
    expect(describeFailure(error)).toMatch(/EOF 4.*gave up after 4 attempts/)
    expect(attemptsOf(error)).toBe(4)
    expect(attempts).toBe(4)
    expect(session.sawTransientFault).toBe(true)
  })

  test('a permanent failure is not retried', async () => {
    let attempts = 0
    const session = new RetrySession(policy, {wait: noWait})
    await expect(
      session.run('push', () => {
        attempts++
        return Promise.reject(dockerPush('manifest invalid: manifest invalid'))
      }),
    ).rejects.toThrow(/manifest invalid/)
    expect(attempts).toBe(1)
    expect(session.sawTransientFault).toBe(false)
  })

  test('succeeds after transient failures, logging each wait', async () => {
    const waits: number[] = []
    const lines: string[] = []
    let attempts = 0
    const session = new RetrySession(policy, {wait: async (ms) => void waits.push(ms)})
    const value = await session.run(
      'push',
      () => (++attempts < 3 ? Promise.reject(dockerPush('EOF')) : Promise.resolve('ok')),
      (line) => lines.push(line),
    )
    expect(value).toBe('ok')
    expect(waits).toHaveLength(2)
    expect(waits[0]).toBeGreaterThanOrEqual(5)
    expect(waits[0]).toBeLessThanOrEqual(10)
    expect(waits[1]).toBeGreaterThanOrEqual(10)
    expect(waits[1]).toBeLessThanOrEqual(20)
    expect(lines[0]).toMatch(/push: transient failure \(.*EOF\); attempt 2 of 4/)
  })

  test('waits as long as Retry-After asks, not the backoff', async () => {
    const waits: number[] = []
    const session = new RetrySession(policy, {wait: async (ms) => void waits.push(ms)})
    let attempts = 0
    await session.run('GET', () =>
      ++attempts < 2
        ? Promise.reject(new RegistryError('503', 503, undefined, undefined, 2000))
        : Promise.resolve(),
    )
    expect(waits).toEqual([2000])
  })

  test.each([
    {
      why: 'a probe caps the retries of every kind',
      options: {retries: 1},
      failure: () => new RegistryError('GET answered HTTP 503', 503),
      want: 2,
    },
    {
      why: 'nobody answering can be made final while answers still get their retries',
      options: {retries: 1, unreachableRetries: 0},
      failure: () => fetchFailed('getaddrinfo ENOTFOUND registry-1.docker.io', 'ENOTFOUND'),
      want: 1,
    },
    {
      why: 'the unreachable cap leaves a 503 to the other caps',
      options: {retries: 1, unreachableRetries: 0},
      failure: () => new RegistryError('GET answered HTTP 503', 503),
      want: 2,
    },
    {
      why: 'a cap above the policy changes nothing',
      options: {retries: 10},
      failure: () => new RegistryError('GET answered HTTP 503', 503),
      want: 4,
    },
  ])('$why', async ({options, failure, want}) => {
    let attempts = 0
    const session = new RetrySession(policy, {wait: noWait})
    const error = await session
      .run(
        'probe',
        () => {
          attempts++
          return Promise.reject(failure())
        },
        () => {},
        options,
      )
      .catch((err: unknown) => err)
    expect(attempts).toBe(want)
    expect(attemptsOf(error)).toBe(want)
  })

  test('a failure that a nested run gave up on is not retried again', async () => {
    const session = new RetrySession({retries: 2, baseMs: 1}, {wait: noWait})
    let inner = 0
    await expect(
      session.run('outer', () =>
        session.run('inner', () => {
          inner++
          return Promise.reject(new RegistryError('x', 503))
        }),
      ),
    ).rejects.toThrow(RegistryError)
    expect(inner).toBe(3)
  })

  describe('a push refused with 401/403', () => {
    const refusedOnce = (refusal: Error): {push: () => Promise<string>; calls: string[]} => {
      const calls: string[] = []
      let refused = false
      return {
        calls,
        push: async () => {
          calls.push('push')
          if (refused) return 'sha256:1'
          refused = true
          throw refusal
        },
      }
    }

    test.each([
      {why: 'docker unauthorized', refusal: dockerPush('unauthorized: authentication required')},
      {
        why: 'docker denied',
        refusal: dockerPush('denied: requested access to the resource is denied'),
      },
      {why: 'a registry 403', refusal: new RegistryError('PUT manifest', 403)},
    ])('after a transient fault gets one fresh login and one more try: $why', async ({refusal}) => {
      const {push, calls} = refusedOnce(refusal)
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: async () => void calls.push('login'),
      })
      await session.run('probe', () => Promise.reject(dockerPush('EOF'))).catch(() => undefined)
      const lines: string[] = []
      expect(await session.run('push x', push, (line) => lines.push(line))).toBe('sha256:1')
      expect(calls).toEqual(['push', 'login', 'push'])
      expect(lines[0]).toMatch(/push x: refused .* after a transient fault; logging in again/)
    })

    test('without an earlier transient fault fails at once', async () => {
      const {push, calls} = refusedOnce(dockerPush('unauthorized: authentication required'))
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: async () => void calls.push('login'),
      })
      await expect(session.run('push x', push)).rejects.toThrow(/unauthorized/)
      expect(calls).toEqual(['push'])
    })

    test('an unauthorized the registry disproves (it accepts the credentials) counts as the hidden fault', async () => {
      const {push, calls} = refusedOnce(dockerPush('unauthorized: authentication required'))
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: async () => void calls.push('login'),
        credentialsAccepted: async () => (calls.push('check'), true),
      })
      expect(await session.run('push x', push)).toBe('sha256:1')
      expect(calls).toEqual(['push', 'check', 'login', 'push'])
      expect(session.sawTransientFault).toBe(true)
    })

    test.each([
      {
        why: 'the registry refuses the credentials too',
        refusal: dockerPush('unauthorized: authentication required'),
        accepted: false,
        checks: ['push', 'check'],
      },
      {
        why: 'a denied push is about permissions, not a missing login: no check',
        refusal: dockerPush('denied: requested access to the resource is denied'),
        accepted: true,
        checks: ['push'],
      },
    ])('no fresh login when $why', async ({refusal, accepted, checks}) => {
      const {push, calls} = refusedOnce(refusal)
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: async () => void calls.push('login'),
        credentialsAccepted: async () => (calls.push('check'), accepted),
      })
      await expect(session.run('push x', push)).rejects.toBe(refusal)
      expect(calls).toEqual(checks)
    })

    test('refused again after the fresh login counts as a credential failure', async () => {
      const calls: string[] = []
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: async () => void calls.push('login'),
      })
      session.sawTransientFault = true
      await expect(
        session.run('push x', () => {
          calls.push('push')
          return Promise.reject(dockerPush('unauthorized: authentication required'))
        }),
      ).rejects.toThrow(/unauthorized/)
      expect(calls).toEqual(['push', 'login', 'push'])
    })

    test('a login is never answered with a fresh login', async () => {
      const calls: string[] = []
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: async () => void calls.push('login'),
      })
      session.sawTransientFault = true
      await expect(
        session.run(
          'docker login',
          () => Promise.reject(dockerLogin('401 Unauthorized')),
          () => {},
          {relogin: false},
        ),
      ).rejects.toThrow(/401/)
      expect(calls).toEqual([])
    })

    test('parallel refusals share one fresh login', async () => {
      let logins = 0
      const session = new RetrySession(policy, {
        wait: noWait,
        relogin: () => new Promise((resolve) => setTimeout(() => resolve(void logins++), 10)),
      })
      session.sawTransientFault = true
      const first = refusedOnce(dockerPush('unauthorized: authentication required'))
      const second = refusedOnce(dockerPush('unauthorized: authentication required'))
      await Promise.all([session.run('a', first.push), session.run('b', second.push)])
      expect(logins).toBe(1)
    })
  })
})

test.each([
  {why: 'the first step is between half and all of the base', attempt: 0, random: 0, want: 500},
  {why: 'full jitter at the top', attempt: 0, random: 1, want: 1000},
  {why: 'doubles per attempt', attempt: 3, random: 1, want: 8000},
  {why: 'never more than 30 s', attempt: 10, random: 1, want: 30_000},
])('backoffMs: $why', ({attempt, random, want}) => {
  expect(backoffMs(1000, attempt, () => random)).toBe(want)
})

test.each([
  {why: 'seconds', header: '2', want: 2000},
  {why: 'fractions of a second', header: '0.25', want: 250},
  {why: 'an HTTP date', header: new Date(10_000).toUTCString(), want: 7000},
  {why: 'capped at 30 s', header: '3600', want: 30_000},
  {why: 'absent', header: null, want: undefined},
  {why: 'garbage', header: 'soon', want: undefined},
])('retryAfterMs: $why', ({header, want}) => {
  expect(retryAfterMs(header, 3000)).toBe(want)
})

test.each([
  {why: 'the backoff when nothing asked', err: dockerPush('EOF'), attempt: 2, want: 4000},
  {
    why: 'Retry-After when the registry asked',
    err: new RegistryError('x', 503, undefined, undefined, 7000),
    attempt: 0,
    want: 7000,
  },
  {why: 'the backoff is capped at 30 s', err: dockerPush('EOF'), attempt: 12, want: 30_000},
])('retryDelayMs: $why', ({err, attempt, want}) => {
  expect(retryDelayMs(err, {retries: 3, baseMs: 1000}, attempt, () => 1)).toBe(want)
})
