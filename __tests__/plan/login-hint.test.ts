import {expect, test} from 'vitest'
import {loginHint, type LoginFailure} from '../../src/plan/login-hint.js'

const plain = {host: '127.0.0.1:5001', isOcir: false}
const ocir = {host: 'iad.ocir.io', isOcir: true}
const DOCKER_401 =
  'docker login failed (exit code 1): Error response from daemon: login attempt to http://127.0.0.1:5001/v2/ failed with status: 401 Unauthorized'

test.each<{why: string; failure: LoginFailure; registry: typeof plain; want: RegExp}>([
  {
    why: 'refused credentials point at the username and token',
    failure: {kind: 'credentials', detail: DOCKER_401, attempts: 1},
    registry: plain,
    want: /^check username 'tester' and the password or token in auth-token$/,
  },
  {
    why: 'refused credentials on OCIR explain the username format',
    failure: {kind: 'credentials', detail: DOCKER_401, attempts: 1},
    registry: ocir,
    want: /check the username format .*auth token/,
  },
  {
    why: 'a registry that kept answering 503 is not the user',
    failure: {kind: 'transient', detail: 'failed with status: 503', attempts: 4, status: 503},
    registry: plain,
    want: /^127\.0\.0\.1:5001 answered HTTP 503 after 4 attempts: the registry is failing, not your credentials; re-run later or raise retries$/,
  },
  {
    why: 'a 429 counts as the registry failing',
    failure: {kind: 'transient', detail: 'Too Many Requests', attempts: 2, status: 429},
    registry: ocir,
    want: /^iad\.ocir\.io answered HTTP 429 after 2 attempts: the registry is failing/,
  },
  {
    why: 'a dropped connection has no status',
    failure: {kind: 'transient', detail: 'Get "http://h/v2/": EOF', attempts: 4},
    registry: plain,
    want: /dropped the connection after 4 attempts: the registry is failing, not your credentials/,
  },
  {
    why: 'a refusal we disproved, with no status of its own',
    failure: {kind: 'transient', detail: `${DOCKER_401}, yet the registry accepts`, attempts: 1},
    registry: plain,
    want: /kept failing after 1 attempt: the registry is failing/,
  },
  {
    why: 'nobody answering points at the registry input',
    failure: {kind: 'unreachable', detail: 'connect: connection refused', attempts: 4},
    registry: plain,
    want: /could not be reached: check the address in the registry input/,
  },
  {
    why: 'on OCIR the address comes from the region',
    failure: {kind: 'unreachable', detail: 'no such host', attempts: 4},
    registry: ocir,
    want: /check the address in the region \(or registry\) input/,
  },
  {
    why: 'anything else keeps the general hint',
    failure: {kind: 'permanent', detail: 'something odd', attempts: 1},
    registry: plain,
    want: /^check the registry address, username and password$/,
  },
])('$why', ({failure, registry, want}) => {
  expect(loginHint(failure, registry, 'tester')).toMatch(want)
})
