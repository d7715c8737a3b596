import {describe, expect, test} from 'vitest'
import {resolveRegistryTarget} from '../../src/plan/registry-target.js'
import {readReplication} from '../../src/replication/settings.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

const ocir = {registry: resolveRegistryTarget({registry: '', region: 'iad'}), oci: undefined}

function read(values: Record<string, string | undefined>, env: Record<string, string> = {}) {
  const masked: string[] = []
  const settings = readReplication(
    {
      get: (name) => (values[name] ?? '').trim(),
      raw: (name) => values[name] ?? '',
      env,
      mask: (secret) => masked.push(secret),
    },
    ocir,
  )
  return {settings, masked}
}

describe('readReplication: replicate-to and replicate-auth as the inputs give them', () => {
  test.each([
    {
      why: 'nothing given: off',
      values: {},
      want: undefined,
    },
    {
      why: 'regions and a registry with its YAML login; ensure-repositories carried over',
      values: {
        'replicate-to': 'fra\nregistry.example.com\n',
        'replicate-auth': 'registry.example.com:\n  username: ci\n  password: "p@ss: word"\n',
        'ensure-repositories': 'true',
        'repository-public': 'TRUE',
      },
      want: {
        targets: [{name: 'fra.ocir.io'}, {name: 'registry.example.com'}],
        credentials: {'registry.example.com': {username: 'ci', password: 'p@ss: word'}},
        ensureRepositories: true,
        isPublic: true,
        isImmutable: false,
        warnings: [],
      },
      masked: ['p@ss: word'],
    },
    {
      why: 'a flow mapping, a host not in replicate-to (warning), and an anonymous registry',
      values: {
        'replicate-to': 'localhost:5001\nlocalhost:5000',
        'replicate-auth':
          '{localhost:5001: {username: a, password: b}, old.example.com: {username: c, password: d}}',
      },
      want: {
        credentials: {'localhost:5001': {username: 'a', password: 'b'}},
        warnings: [expect.stringMatching(/old\.example\.com, which is not in replicate-to/)],
      },
      masked: ['b', 'd'],
    },
  ])('$why', ({values, want, masked}) => {
    const result = read(values)
    if (want === undefined) expect(result.settings).toBeUndefined()
    else expect(result.settings).toMatchObject(want)
    expect(result.masked).toEqual(masked ?? [])
  })

  test('the test stand-ins come from OCIR_PUSH_REGION_HOSTS', () => {
    const {settings} = read(
      {'replicate-to': 'fra'},
      {OCIR_PUSH_REGION_HOSTS: '{"fra.ocir.io":"127.0.0.1:41001"}'},
    )
    expect(settings?.targets[0]).toMatchObject({
      name: 'fra.ocir.io',
      address: '127.0.0.1:41001',
      insecure: true,
    })
  })

  test.each([
    {
      why: 'replicate-auth without replicate-to',
      values: {'replicate-auth': 'registry.example.com: {username: a, password: b}'},
      input: 'replicate-auth',
      error: /replicate-to is empty.*list the targets in replicate-to, or remove replicate-auth/,
    },
    {
      why: 'replicate-auth that is not YAML: the position, never the line',
      values: {
        'replicate-to': 'registry.example.com',
        'replicate-auth': 'registry.example.com: {username: a, password: "sec',
      },
      input: 'replicate-auth',
      error: /not valid YAML/,
    },
    {
      why: 'replicate-auth as a list',
      values: {'replicate-to': 'registry.example.com', 'replicate-auth': '- registry.example.com'},
      input: 'replicate-auth',
      error: /not a YAML mapping/,
    },
    {
      why: 'the primary among the targets',
      values: {'replicate-to': 'us-ashburn-1'},
      input: 'replicate-to',
      error: /iad\.ocir\.io is the run's own registry/,
    },
    {
      why: 'a bad boolean for ensure-repositories',
      values: {'replicate-to': 'fra', 'ensure-repositories': 'yes'},
      input: 'ensure-repositories',
      error: /'yes'/,
    },
  ])('InputError: $why', ({values, input, error}) => {
    expectInputError(() => read(values), input, error)
  })

  test('an unparsable replicate-auth keeps its password out of the error, and masks what it can', () => {
    let text = ''
    try {
      read({
        'replicate-to': 'registry.example.com',
        'replicate-auth': 'registry.example.com: {password: "hunter2',
      })
    } catch (err) {
      text = `${String(err)} ${(err as {hint?: string}).hint}`
    }
    expect(text).toMatch(/not valid YAML/)
    expect(text).not.toContain('hunter2')
  })
})
