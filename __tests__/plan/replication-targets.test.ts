import {describe, expect, test} from 'vitest'
import {
  parseReplicateAuth,
  parseReplicateTo,
  parseStandIns,
  type ReplicateToContext,
} from '../../src/plan/replication-targets.js'
import {resolveRegistryTarget} from '../../src/plan/registry-target.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

const ocir: ReplicateToContext = {
  primary: resolveRegistryTarget({registry: '', region: 'iad'}),
  ociCredentials: false,
}
const gitea: ReplicateToContext = {
  primary: resolveRegistryTarget({registry: 'localhost:3000', region: ''}),
  ociCredentials: false,
}

describe('parseReplicateTo', () => {
  test.each([
    {
      why: 'a region key and a region id, in any case, give OCIR hosts in those regions',
      text: 'fra\nAP-TOKYO-1\n',
      context: ocir,
      want: [
        {name: 'fra.ocir.io', kind: 'region', address: 'fra.ocir.io', insecure: false},
        {name: 'nrt.ocir.io', kind: 'region', region: {id: 'ap-tokyo-1'}},
      ],
    },
    {
      why: 'comments and blank lines are skipped; a registry host keeps its port, lowercase',
      text: '# the DR copy\n\n  Registry.Example.com:5000  # ours\n',
      context: ocir,
      want: [
        {
          name: 'registry.example.com:5000',
          kind: 'registry',
          address: 'registry.example.com:5000',
          insecure: false,
        },
      ],
    },
    {
      why: 'an OCIR host given as a host is a region target',
      text: 'eu-frankfurt-1.ocir.io',
      context: ocir,
      want: [{name: 'eu-frankfurt-1.ocir.io', kind: 'region', region: {key: 'fra'}}],
    },
    {
      why: 'a loopback registry is plain HTTP',
      text: 'localhost:5001\n127.0.0.1:5002',
      context: ocir,
      want: [
        {name: 'localhost:5001', kind: 'registry', insecure: true},
        {name: '127.0.0.1:5002', kind: 'registry', insecure: true},
      ],
    },
    {
      why: 'a registry that is not OCIR may replicate to other registries',
      text: 'registry.example.com',
      context: gitea,
      want: [{name: 'registry.example.com', kind: 'registry'}],
    },
    {
      why: 'a non-OCIR host with OCI API credentials (a private endpoint) may name regions',
      text: 'fra',
      context: {...gitea, ociCredentials: true},
      want: [{name: 'fra.ocir.io', kind: 'region'}],
    },
    {
      why: 'a stand-in address replaces where the action connects, not the name',
      text: 'fra',
      context: {...ocir, standIns: {'fra.ocir.io': '127.0.0.1:41000'}},
      want: [{name: 'fra.ocir.io', address: '127.0.0.1:41000', insecure: true}],
    },
    {why: 'empty', text: ' \n# nothing\n', context: ocir, want: []},
  ])('$why', ({text, context, want}) => {
    const targets = parseReplicateTo(text, context)
    expect(targets).toHaveLength(want.length)
    want.forEach((expected, index) => expect(targets[index]).toMatchObject(expected))
  })

  test.each([
    {
      why: 'the run’s own registry',
      text: 'iad',
      context: ocir,
      error: /'iad'.*iad\.ocir\.io is the run's own registry.*remove the line/,
    },
    {
      why: 'the same target twice (key and id)',
      text: 'fra\neu-frankfurt-1',
      context: ocir,
      error: /'eu-frankfurt-1'.*fra\.ocir\.io is listed twice/,
    },
    {
      why: 'an unknown region suggests the closest',
      text: 'eu-frankfurt-9',
      context: ocir,
      error: /'eu-frankfurt-9'.*Closest known: eu-frankfurt-1/,
    },
    {
      why: 'a region when the run is not on OCIR',
      text: 'fra',
      context: gitea,
      error: /'fra'.*localhost:3000 is not OCIR.*replicate-auth/,
    },
    {
      why: 'a scheme',
      text: 'https://registry.example.com',
      context: ocir,
      error: /remove the scheme: use 'registry\.example\.com'/,
    },
    {
      why: 'a path',
      text: 'registry.example.com/team',
      context: ocir,
      error: /use 'registry\.example\.com'; the images keep the run's repository paths/,
    },
    {
      why: 'not a host',
      text: 'registry_example.com',
      context: ocir,
      error: /OCIR region key or id .* or a registry host/,
    },
  ])('InputError: $why', ({text, context, error}) => {
    expectInputError(() => parseReplicateTo(text, context), 'replicate-to', error)
  })
})

describe('parseReplicateAuth', () => {
  const targets = parseReplicateTo('fra\nregistry.example.com\nlocalhost:5001', ocir)

  test('host → username and password; hosts are matched lowercase, numbers are text', () => {
    const {credentials, warnings} = parseReplicateAuth(
      {
        'Registry.Example.com': {username: ' ci ', password: ' s3cret '},
        'localhost:5001': {username: 'u', password: 1234},
      },
      targets,
    )
    expect(credentials).toEqual({
      'registry.example.com': {username: 'ci', password: ' s3cret '},
      'localhost:5001': {username: 'u', password: '1234'},
    })
    expect(warnings).toEqual([])
  })

  test('credentials for a host that is no target, or for a region, are warnings', () => {
    const {warnings} = parseReplicateAuth(
      {
        'other.example.com': {username: 'a', password: 'b'},
        'fra.ocir.io': {username: 'a', password: 'b'},
      },
      targets,
    )
    expect(warnings).toEqual([
      expect.stringMatching(/other\.example\.com, which is not in replicate-to: they are not used/),
      expect.stringMatching(/fra\.ocir\.io, an OCIR region: it uses the run's own login/),
    ])
  })

  test.each([
    {why: 'a list', parsed: ['a'], error: /not a YAML mapping/},
    {
      why: 'a host without a mapping',
      parsed: {'registry.example.com': 'pw'},
      error: /registry\.example\.com is not a mapping/,
    },
    {
      why: 'an unknown key (a typo)',
      parsed: {'registry.example.com': {user: 'a', password: 'b'}},
      error: /unknown keys 'user'/,
    },
    {
      why: 'no password',
      parsed: {'registry.example.com': {username: 'a'}},
      error: /registry\.example\.com has no password/,
    },
    {
      why: 'an empty username',
      parsed: {'registry.example.com': {username: ' ', password: 'b'}},
      error: /registry\.example\.com has no username/,
    },
  ])('InputError: $why', ({parsed, error}) => {
    expectInputError(() => parseReplicateAuth(parsed, targets), 'replicate-auth', error)
  })

  test('a password never appears in an error', () => {
    let message = ''
    try {
      parseReplicateAuth(
        {'registry.example.com': {username: 'a', password: 'hunter2', extra: 1}},
        targets,
      )
    } catch (err) {
      message = `${String(err)} ${(err as {hint?: string}).hint}`
    }
    expect(message).toMatch(/unknown keys 'extra'/)
    expect(message).not.toContain('hunter2')
  })
})

describe('parseStandIns (test-only OCIR_PUSH_REGION_HOSTS)', () => {
  test('a JSON object of loopback stand-ins', () => {
    expect(parseStandIns('{"FRA.ocir.io": "127.0.0.1:5002"}')).toEqual({
      'fra.ocir.io': '127.0.0.1:5002',
    })
    expect(parseStandIns(undefined)).toEqual({})
  })
  test.each(['{"fra.ocir.io": "evil.example.com"}', '["127.0.0.1:1"]', 'fra.ocir.io=127.0.0.1'])(
    'refuses %s: only loopback addresses',
    (value) => {
      expectInputError(() => parseStandIns(value), 'OCIR_PUSH_REGION_HOSTS', /test-only/)
    },
  )
})
