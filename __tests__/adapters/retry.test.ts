import {describe, expect, test} from 'vitest'
import {backoffMs, isTransientFailure, retryAfterMs, withRetries} from '../../src/adapters/retry.js'
import {CommandError, RegistryError} from '../../src/errors.js'

const dockerPush = (lastLine: string): CommandError =>
  new CommandError('docker', 'push', 1, lastLine)

describe('isTransientFailure', () => {
  test.each([
    {why: 'a restarted upload session', err: dockerPush('blob upload unknown'), want: true},
    {
      why: "docker's words for a 429 on a HEAD",
      err: dockerPush('error parsing HTTP 429 response body: invalid character'),
      want: true,
    },
    {why: 'too many requests', err: dockerPush('toomanyrequests: slow down'), want: true},
    {
      why: 'a reset connection',
      err: dockerPush('read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer'),
      want: true,
    },
    {
      why: 'an EOF mid-upload',
      err: dockerPush('Put "http://h/v2/x/blobs/uploads/1": EOF'),
      want: true,
    },
    {
      why: 'a 503',
      err: dockerPush('received unexpected HTTP status: 503 Service Unavailable'),
      want: true,
    },
    {why: 'a timeout', err: dockerPush('net/http: TLS handshake timeout'), want: true},
    {
      why: 'a denied push',
      err: dockerPush('denied: requested access to the resource is denied'),
      want: false,
    },
    {why: 'unauthorized', err: dockerPush('unauthorized: authentication required'), want: false},
    {
      why: 'an invalid manifest',
      err: dockerPush('manifest invalid: manifest invalid'),
      want: false,
    },
    {
      why: 'a build error that happens to be long',
      err: new CommandError('docker', 'build', 1, 'COPY failed: file not found in build context'),
      want: false,
    },
    {why: 'a registry 503', err: new RegistryError('x', 503), want: true},
    {why: 'a registry 429', err: new RegistryError('x', 429), want: true},
    {why: 'a registry 404', err: new RegistryError('x', 404), want: false},
    {why: 'a registry 401', err: new RegistryError('x', 401), want: false},
  ])('$why: $want', ({err, want}) => {
    expect(isTransientFailure(err)).toBe(want)
  })
})

describe('withRetries', () => {
  const policy = {retries: 3, baseMs: 10}
  const noWait = async (): Promise<void> => {}

  test('retries=3 means at most 4 attempts, then the last error', async () => {
    let attempts = 0
    await expect(
      withRetries(
        'push',
        policy,
        () => {
          attempts++
          return Promise.reject(dockerPush(`EOF ${attempts}`))
        },
        () => {},
        noWait,
      ),
    ).rejects.toThrow(/EOF 4/)
    expect(attempts).toBe(4)
  })

  test('a non-transient failure is not retried', async () => {
    let attempts = 0
    await expect(
      withRetries(
        'push',
        policy,
        () => {
          attempts++
          return Promise.reject(dockerPush('denied: requested access to the resource is denied'))
        },
        () => {},
        noWait,
      ),
    ).rejects.toThrow(/denied/)
    expect(attempts).toBe(1)
  })

  test('succeeds after transient failures, logging each wait', async () => {
    const waits: number[] = []
    const lines: string[] = []
    let attempts = 0
    const value = await withRetries(
      'push',
      policy,
      () => (++attempts < 3 ? Promise.reject(dockerPush('EOF')) : Promise.resolve('ok')),
      (line) => lines.push(line),
      async (ms) => void waits.push(ms),
    )
    expect(value).toBe('ok')
    expect(waits).toHaveLength(2)
    expect(waits[0]).toBeGreaterThanOrEqual(5)
    expect(waits[0]).toBeLessThanOrEqual(10)
    expect(waits[1]).toBeGreaterThanOrEqual(10)
    expect(waits[1]).toBeLessThanOrEqual(20)
    expect(lines[0]).toMatch(/attempt 2 of 4/)
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
  {why: 'an HTTP date', header: new Date(10_000).toUTCString(), want: 7000},
  {why: 'capped at a minute', header: '3600', want: 60_000},
  {why: 'absent', header: null, want: undefined},
  {why: 'garbage', header: 'soon', want: undefined},
])('retryAfterMs: $why', ({header, want}) => {
  expect(retryAfterMs(header, 3000)).toBe(want)
})
