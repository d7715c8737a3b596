/**
 * The test environment reuses a service on its ports only when it is its own
 * (scripts/test-env/ownership.mjs): checked here on servers this test starts on free ports, never
 * on 5000-5003, where the running environment serves other tests.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {checkListener, isOurProcess} from '../../scripts/test-env/ownership.mjs'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

const linux = process.platform === 'linux'
const stateDir = mkdtempSync(join(process.env.RUNNER_TEMP ?? tmpdir(), 'test-env-owner-'))

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
}

async function freePort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitUntil(check: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !check(); tries++)
    await new Promise((resolve) => setTimeout(resolve, 50))
}

describe.skipIf(!linux)('whose service listens on a port', () => {
  let stranger: Server
  let strangerPort: number
  let issuer: ChildProcess
  let issuerPort: number

  beforeAll(async () => {
    // A stranger: a plain HTTP server that answers anything, as a leftover service would.
    stranger = createServer((_, response) => response.end('{}'))
    strangerPort = await listen(stranger)
    // Ours: the token issuer as `up` starts it, with its key in the state dir.
    const key = generateKeyPairSync('rsa', {modulusLength: 2048})
      .privateKey.export({type: 'pkcs8', format: 'pem'})
      .toString()
    writeFileSync(join(stateDir, 'issuer-key.pem'), key)
    writeFileSync(join(stateDir, 'users.json'), '{}')
    issuerPort = await freePort()
    issuer = spawn(
      process.execPath,
      [
        join(PROJECT_ROOT, 'scripts/test-env/token-issuer.mjs'),
        String(issuerPort),
        join(stateDir, 'issuer-key.pem'),
        join(stateDir, 'users.json'),
        'service',
        'issuer',
      ],
      {stdio: 'ignore'},
    )
    const pids = {'token-issuer': issuer.pid as number}
    await waitUntil(
      () => checkListener({name: 'token-issuer', port: issuerPort, pids, stateDir}).ours,
    )
  })

  afterAll(async () => {
    issuer?.kill()
    await new Promise((resolve) => stranger?.close(resolve))
  })

  test('a stranger with no pid recorded is refused, naming the port, who holds it and what to do', () => {
    const verdict = checkListener({name: 'registry-open', port: strangerPort, pids: {}, stateDir})
    expect(verdict.ours).toBe(false)
    if (verdict.ours) return
    expect(verdict.message).toContain(`port ${strangerPort} (registry-open) is held by`)
    // This test's process holds it, and /proc says so.
    expect(verdict.message).toContain(`pid ${process.pid} (`)
    expect(verdict.message).toContain(stateDir)
    expect(verdict.message).toMatch(/stop it or free port \d+ .*index\.mjs up` again/)
  })

  test('a stranger whose pid is recorded for another of our services is refused', () => {
    const pids = {'registry-open': issuer.pid as number}
    const verdict = checkListener({name: 'registry-open', port: strangerPort, pids, stateDir})
    expect(verdict.ours).toBe(false)
    if (!verdict.ours)
      expect(verdict.message).toContain(`(pid ${issuer.pid} recorded), not by the registry-open`)
  })

  test('the process holding the port, recorded, but running another command is refused (a recycled pid)', () => {
    const pids = {'registry-open': process.pid}
    const verdict = checkListener({name: 'registry-open', port: strangerPort, pids, stateDir})
    expect(verdict.ours).toBe(false)
    if (!verdict.ours)
      expect(verdict.message).toMatch(
        new RegExp(
          `port ${strangerPort} .*pid ${process.pid}, recorded for registry-open, which now runs`,
        ),
      )
  })

  test('our own token issuer, started as up starts it and recorded, is ours', () => {
    const pids = {'token-issuer': issuer.pid as number}
    expect(checkListener({name: 'token-issuer', port: issuerPort, pids, stateDir})).toEqual({
      ours: true,
    })
    expect(isOurProcess('token-issuer', issuer.pid, {stateDir, port: issuerPort})).toBe(true)
  })

  test('our issuer is not ours under another state dir, port or name', () => {
    const pids = {'token-issuer': issuer.pid as number, 'registry-token': issuer.pid as number}
    const other = mkdtempSync(join(tmpdir(), 'test-env-other-'))
    expect(
      checkListener({name: 'token-issuer', port: issuerPort, pids, stateDir: other}).ours,
    ).toBe(false)
    expect(checkListener({name: 'registry-token', port: issuerPort, pids, stateDir}).ours).toBe(
      false,
    )
    expect(isOurProcess('token-issuer', issuer.pid, {stateDir, port: issuerPort + 1})).toBe(false)
  })

  test('a port nobody listens on is not ours either', async () => {
    const port = await freePort()
    const verdict = checkListener({name: 'registry-open', port, pids: {}, stateDir})
    expect(verdict.ours).toBe(false)
  })
})
