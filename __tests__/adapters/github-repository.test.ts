import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import {fetchCommitDate, fetchRepository} from '../../src/adapters/github-repository.js'

const REPOSITORY = {
  id: 1,
  name: 'todo',
  full_name: 'acme/todo',
  html_url: 'https://github.com/acme/todo',
  description: 'A todo app',
  default_branch: 'main',
  license: {key: 'mit', spdx_id: 'MIT'},
}
const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'

/** A GitHub API double: what it answers per path, and the headers it was sent. */
let server: Server
let baseUrl: string
const seen: {path: string; headers: IncomingHttpHeaders}[] = []
let flakyCalls = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? ''
    seen.push({path, headers: request.headers})
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, {'content-type': 'application/json'})
      response.end(JSON.stringify(body))
    }
    switch (path.replace(/^\/api\/v3/, '')) {
      case '/repos/acme/todo':
        return json(200, REPOSITORY)
      case '/repos/acme/bare':
        return json(200, {name: 'bare', default_branch: 'trunk', description: null, license: null})
      case '/repos/acme/private':
        // @actions/github sends `token <token>`, which GitHub accepts as it does `Bearer <token>`.
        return json(request.headers.authorization === 'token secret-token' ? 200 : 404, REPOSITORY)
      case '/repos/acme/flaky':
        flakyCalls++
        return flakyCalls === 1 ? json(502, {message: 'Bad Gateway'}) : json(200, REPOSITORY)
      case '/repos/acme/broken':
        return json(500, {message: 'Server Error'})
      case '/repos/acme/garbage':
        response.writeHead(200, {'content-type': 'application/json'})
        return response.end('{not json')
      case '/repos/acme/odd':
        return json(200, {message: 'not a repository'})
      case '/repos/acme/slow':
        return // never answers
      case `/repos/acme/todo/commits/${SHA}`:
        return json(200, {
          sha: SHA,
          commit: {
            committer: {date: '2024-03-05T09:20:30Z'},
            author: {date: '2024-03-01T00:00:00Z'},
          },
        })
      case '/repos/acme/todo/commits/0000000':
        return json(422, {message: 'No commit found'})
      case '/repos/acme/todo/commits/baddate':
        return json(200, {commit: {committer: {date: 'yesterday'}}})
      default:
        return json(404, {message: 'Not Found'})
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

describe('fetchRepository', () => {
  test.each([
    {
      why: 'a public repository',
      repository: 'acme/todo',
      token: '',
      prefix: '',
      want: {
        default_branch: 'main',
        html_url: 'https://github.com/acme/todo',
        name: 'todo',
        description: 'A todo app',
        license: {spdx_id: 'MIT'},
      },
    },
    {
      why: 'the token is sent in the authorization header',
      repository: 'acme/private',
      token: 'secret-token',
      prefix: '',
      want: {
        default_branch: 'main',
        html_url: 'https://github.com/acme/todo',
        name: 'todo',
        description: 'A todo app',
        license: {spdx_id: 'MIT'},
      },
    },
    {
      why: "Enterprise Server's /api/v3 prefix and a trailing slash",
      repository: 'acme/todo',
      token: '',
      prefix: '/api/v3/',
      want: {
        default_branch: 'main',
        html_url: 'https://github.com/acme/todo',
        name: 'todo',
        description: 'A todo app',
        license: {spdx_id: 'MIT'},
      },
    },
    {
      why: 'missing pieces become empty or null',
      repository: 'acme/bare',
      token: '',
      prefix: '',
      want: {default_branch: 'trunk', html_url: '', name: 'bare', description: null, license: null},
    },
    {
      why: 'a 404 (no access) gives undefined',
      repository: 'acme/private',
      token: 'wrong',
      prefix: '',
      want: undefined,
    },
    {
      why: 'a 500 gives undefined',
      repository: 'acme/broken',
      token: '',
      prefix: '',
      want: undefined,
    },
    {
      why: 'a body that is not JSON gives undefined',
      repository: 'acme/garbage',
      token: '',
      prefix: '',
      want: undefined,
    },
    {
      why: 'a body without default_branch gives undefined',
      repository: 'acme/odd',
      token: '',
      prefix: '',
      want: undefined,
    },
  ])('$why', async ({repository, token, prefix, want}) => {
    expect(await fetchRepository(`${baseUrl}${prefix}`, repository, token)).toEqual(want)
  })

  test('a server that does not answer gives undefined after the timeout', async () => {
    const started = Date.now()
    expect(await fetchRepository(baseUrl, 'acme/slow', '', 200)).toBeUndefined()
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  test('a 502 is retried once, through Octokit', async () => {
    const repository = await fetchRepository(baseUrl, 'acme/flaky', '')
    expect(repository?.default_branch).toBe('main')
    expect(flakyCalls).toBe(2)
  })

  test('a host that refuses connections gives undefined', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    expect(await fetchRepository(`http://127.0.0.1:${port}`, 'acme/todo', '')).toBeUndefined()
  })

  test('the request asks for the GitHub JSON media type and sends no token when there is none', async () => {
    await fetchRepository(baseUrl, 'acme/todo', '')
    const request = seen.filter((entry) => entry.path === '/repos/acme/todo').at(-1)
    expect(request?.headers.accept).toEqual('application/vnd.github.v3+json')
    expect(request?.headers.authorization).toBeUndefined()
  })
})

describe('fetchCommitDate', () => {
  test.each([
    {why: 'the committer date of the commit', sha: SHA, want: new Date('2024-03-05T09:20:30Z')},
    {why: 'an unknown commit gives undefined', sha: '0000000', want: undefined},
    {why: 'a date that does not parse gives undefined', sha: 'baddate', want: undefined},
    {why: 'no sha gives undefined without a request', sha: '', want: undefined},
  ])('$why', async ({sha, want}) => {
    expect(await fetchCommitDate(baseUrl, 'acme/todo', sha, 'token')).toEqual(want)
  })
})
