import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {engineGet, engineSocketOf, imageInspectPath} from '../../src/adapters/docker-socket.js'

function configDir(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-socket-'))
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

describe('engineSocketOf: the socket only where the docker CLI would use it', () => {
  test.each([
    {
      why: 'no DOCKER_HOST, no context: the default socket',
      env: {},
      config: undefined,
      socket: '/var/run/docker.sock',
    },
    {
      why: 'DOCKER_HOST names a unix socket',
      env: {DOCKER_HOST: 'unix:///run/user/1000/docker.sock'},
      config: undefined,
      socket: '/run/user/1000/docker.sock',
    },
    {
      why: 'DOCKER_HOST over TCP: the CLI',
      env: {DOCKER_HOST: 'tcp://10.0.0.5:2376'},
      config: undefined,
      socket: undefined,
    },
    {
      why: 'DOCKER_HOST over SSH: the CLI',
      env: {DOCKER_HOST: 'ssh://builder@host'},
      config: undefined,
      socket: undefined,
    },
    {
      why: 'an empty unix:// DOCKER_HOST: the CLI',
      env: {DOCKER_HOST: 'unix://'},
      config: undefined,
      socket: undefined,
    },
    {
      why: 'DOCKER_CONTEXT names a context: the CLI',
      env: {DOCKER_CONTEXT: 'remote'},
      config: undefined,
      socket: undefined,
    },
    {
      why: 'DOCKER_CONTEXT=default is the default socket',
      env: {DOCKER_CONTEXT: 'default'},
      config: undefined,
      socket: '/var/run/docker.sock',
    },
    {
      why: 'the config names a current context: the CLI',
      env: {},
      config: {currentContext: 'colima'},
      socket: undefined,
    },
    {
      why: 'the config names the default context',
      env: {},
      config: {currentContext: 'default', auths: {}},
      socket: '/var/run/docker.sock',
    },
  ])('$why', ({env, config, socket}) => {
    expect(engineSocketOf(env, configDir(config))).toBe(socket)
  })

  test('a config that is not JSON is the default context, as for the CLI', () => {
    const dir = configDir()
    writeFileSync(join(dir, 'config.json'), '{not json')
    expect(engineSocketOf({}, dir)).toBe('/var/run/docker.sock')
  })
})

test.each([
  [
    '127.0.0.1:5000/acme/todo-backend:sha-0123456',
    '/images/127.0.0.1:5000/acme/todo-backend:sha-0123456/json',
  ],
  ['ghcr.io/acme/app@sha256:abc', '/images/ghcr.io/acme/app%40sha256:abc/json'],
  ['weird name?x#y', '/images/weird%20name%3Fx%23y/json'],
])('imageInspectPath(%s) keeps slashes and colons, escapes the rest', (ref, path) => {
  expect(imageInspectPath(ref)).toBe(path)
})

describe('engineGet against a server on a unix socket', () => {
  let server: Server
  let socket: string
  const seen: string[] = []

  beforeAll(async () => {
    socket = join(mkdtempSync(join(tmpdir(), 'engine-sock-')), 'docker.sock')
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`)
      if (request.url === '/images/ok/json') {
        response.writeHead(200, {'content-type': 'application/json'})
        response.end(JSON.stringify({RootFS: {Layers: ['sha256:aa', 'sha256:bb']}}))
      } else if (request.url === '/images/text/json') {
        response.writeHead(200)
        response.end('not json')
      } else if (request.url === '/images/slow/json') {
        setTimeout(() => response.end('{}'), 2_000)
      } else {
        response.writeHead(404, {'content-type': 'application/json'})
        response.end('{"message":"No such image"}')
      }
    })
    await new Promise<void>((resolve) => server.listen(socket, resolve))
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })

  test('a 200 with JSON is the answer, asked with GET on the path given', async () => {
    await expect(engineGet(socket, '/images/ok/json')).resolves.toEqual({
      RootFS: {Layers: ['sha256:aa', 'sha256:bb']},
    })
    expect(seen).toContain('GET /images/ok/json')
  })

  test.each([
    ['/images/missing/json', /HTTP 404/],
    ['/images/text/json', /not JSON/],
  ])('%s is refused: %s', async (path, message) => {
    await expect(engineGet(socket, path)).rejects.toThrow(message)
  })

  test('an engine that does not answer in time is refused, never waited on', async () => {
    await expect(engineGet(socket, '/images/slow/json', 100)).rejects.toThrow(/no answer in 100 ms/)
  })

  test('a socket nobody listens on is refused', async () => {
    await expect(engineGet(join(tmpdir(), 'no-such-dir', 'docker.sock'), '/_ping')).rejects.toThrow(
      /ENOENT/,
    )
  })
})
