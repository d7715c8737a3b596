import {describe, expect, test} from 'vitest'
import {isLoopbackHost, resolveRegistryTarget} from '../../src/plan/registry-target.js'
import {pushRefusalHint, registryHint} from '../../src/plan/login-hint.js'
import {planPushes} from '../../src/plan/push-plan.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

describe('resolveRegistryTarget', () => {
  test.each([
    {
      why: 'a region key',
      given: {registry: '', region: 'fra'},
      want: {host: 'fra.ocir.io', isOcir: true, insecure: false},
    },
    {
      why: 'a government realm region uses the long host form',
      given: {registry: '', region: 'us-gov-ashburn-1'},
      want: {host: 'ocir.us-gov-ashburn-1.oci.oraclegovcloud.com', isOcir: true},
    },
    {
      why: 'an explicit OCIR host is OCIR',
      given: {registry: 'IAD.ocir.io', region: ''},
      want: {host: 'iad.ocir.io', isOcir: true},
    },
    {
      why: 'the documented long form is OCIR',
      given: {registry: 'ocir.us-ashburn-1.oci.oraclecloud.com', region: ''},
      want: {isOcir: true},
    },
    {
      why: 'Gitea on localhost is plain HTTP and not OCIR',
      given: {registry: 'localhost:3000', region: 'iad'},
      want: {host: 'localhost:3000', isOcir: false, insecure: true},
    },
    {
      why: 'a public registry is HTTPS',
      given: {registry: 'registry.example.com:5000', region: ''},
      want: {insecure: false, isOcir: false},
    },
  ])('$why', ({given, want}) => {
    expect(resolveRegistryTarget(given)).toMatchObject(want)
  })

  test.each([
    {
      why: 'a scheme',
      registry: 'http://localhost:3000',
      text: /remove the scheme: use 'localhost:3000'/,
    },
    {
      why: 'a path',
      registry: 'localhost:3000/raibid-admin',
      text: /use registry 'localhost:3000' and put 'raibid-admin' in namespace/,
    },
    {why: 'spaces', registry: 'my registry', text: /host name with an optional port/},
  ])('rejects a registry with $why', ({registry, text}) => {
    expectInputError(() => resolveRegistryTarget({registry, region: ''}), 'registry', text)
  })
})

test.each([
  {why: 'localhost', host: 'localhost:5000', want: true},
  {why: 'any 127/8 address', host: '127.0.0.2', want: true},
  {why: 'IPv6 loopback', host: '[::1]:5000', want: true},
  {why: 'a name that only starts like localhost', host: 'localhost.example.com', want: false},
])('isLoopbackHost: $why', ({host, want}) => {
  expect(isLoopbackHost(host)).toBe(want)
})

describe('registryHint maps what registries say to the next step', () => {
  const ocir = {host: 'iad.ocir.io', isOcir: true}
  test.each([
    {
      why: 'a tenancy name instead of the namespace',
      message: 'unknown: Tenant with namespace mytenancy not found',
      text: /not the tenancy name/,
    },
    {
      why: 'an anonymous push',
      message: 'denied: Anonymous users are only allowed read access on public repos',
      text: /set username and auth-token/,
    },
    {
      why: 'a missing IAM policy',
      message: 'denied: requested access to the resource is denied',
      text: /manage repos/,
    },
    {
      why: 'a refused login',
      message:
        'Error response from daemon: Get "https://iad.ocir.io/v2/": unauthorized: authentication required',
      text: /oracleidentitycloudservice/,
    },
  ])('$why', ({message, text}) => {
    expect(registryHint(message, ocir, 'ns/jdoe')).toMatch(text)
  })
})

test('planPushes splits immutable and moving tags per image and keeps the computed order', () => {
  const images = [
    {name: 'web', context: '.', file: 'Dockerfile', buildArgs: {}, platforms: [], labels: {}},
  ]
  const tags = [
    {name: 'main', moving: true, isLatest: false},
    {name: 'sha-abc1234', moving: false, isLatest: false},
    {name: 'latest', moving: true, isLatest: true},
  ]
  expect(planPushes(images, 'iad.ocir.io', 'ns', tags)).toEqual([
    {
      image: images[0],
      repository: 'ns/web',
      imageName: 'iad.ocir.io/ns/web',
      immutableTags: ['sha-abc1234'],
      movingTags: ['main', 'latest'],
      refs: [
        'iad.ocir.io/ns/web:main',
        'iad.ocir.io/ns/web:sha-abc1234',
        'iad.ocir.io/ns/web:latest',
      ],
    },
  ])
})

describe('pushRefusalHint', () => {
  const ocir = {host: 'iad.ocir.io', isOcir: true}
  test.each([
    {
      why: 'a denied push gets the IAM policy hint',
      message:
        'docker push failed (exit code 1): denied: requested access to the resource is denied',
      want: /manage repos/,
    },
    {
      why: 'an anonymous push gets the credentials hint',
      message: 'denied: Anonymous users are only allowed read access on public repos',
      want: /set username and auth-token/,
    },
    {
      why: 'a broken Dockerfile gets no registry hint',
      message: 'docker build failed (exit code 1): COPY failed: file not found',
      want: undefined,
    },
  ])('$why', ({message, want}) => {
    const hint = pushRefusalHint(message, ocir, 'ns/jdoe')
    if (want) expect(hint).toMatch(want)
    else expect(hint).toBeUndefined()
  })
})
