import {describe, expect, test} from 'vitest'
import {InputError} from '../../src/errors.js'
import {OCIR_BEARER_USERNAME, ocirUsername} from '../../src/plan/username.js'

describe('ocirUsername', () => {
  test.each([
    {
      why: 'native IAM user gets the namespace prefix',
      user: 'jdoe@acme.com',
      want: 'ns1/jdoe@acme.com',
    },
    {
      why: 'IDCS-federated user keeps its realm part',
      user: 'oracleidentitycloudservice/jdoe@acme.com',
      want: 'ns1/oracleidentitycloudservice/jdoe@acme.com',
    },
    {
      why: 'identity-domain user keeps its domain',
      user: 'acme-domain/jdoe@acme.com',
      want: 'ns1/acme-domain/jdoe@acme.com',
    },
    {why: 'a plain user name without @', user: 'jdoe', want: 'ns1/jdoe'},
    {
      why: 'an already full native name is left alone',
      user: 'ns1/jdoe@acme.com',
      want: 'ns1/jdoe@acme.com',
    },
    {
      why: 'an already full federated name is left alone',
      user: 'ns1/oracleidentitycloudservice/jdoe',
      want: 'ns1/oracleidentitycloudservice/jdoe',
    },
    {
      why: 'an already full domain name is left alone',
      user: 'ns1/acme-domain/jdoe',
      want: 'ns1/acme-domain/jdoe',
    },
    {why: 'the namespace prefix is recognised in any case', user: 'NS1/jdoe', want: 'NS1/jdoe'},
    {
      why: 'blanks around the user are dropped',
      user: '  jdoe@acme.com\n',
      want: 'ns1/jdoe@acme.com',
    },
    {
      why: 'a namespace that is only a prefix of the first part is not the namespace',
      user: 'ns10/jdoe',
      want: 'ns1/ns10/jdoe',
    },
    {
      why: 'token login username is never prefixed',
      user: 'BEARER_TOKEN',
      want: OCIR_BEARER_USERNAME,
    },
    {why: 'token login username in lower case', user: 'bearer_token', want: 'BEARER_TOKEN'},
  ])('$why', ({user, want}) => {
    expect(ocirUsername('ns1', user)).toBe(want)
  })

  test('token login needs no namespace', () => {
    expect(ocirUsername('', 'BEARER_TOKEN')).toBe('BEARER_TOKEN')
  })

  test.each([
    {
      why: 'username without namespace',
      namespace: '',
      user: 'jdoe@acme.com',
      input: 'namespace',
      hint: /tenancy namespace/,
    },
    {
      why: 'namespace of blanks',
      namespace: '  ',
      user: 'jdoe',
      input: 'namespace',
      hint: /OCI API credentials/,
    },
    {
      why: 'namespace with a slash (a repository path pasted in)',
      namespace: 'ns1/team',
      user: 'jdoe',
      input: 'namespace',
      hint: /without slashes/,
    },
    {why: 'empty username', namespace: 'ns1', user: '', input: 'username', hint: /jdoe@acme.com/},
    {why: 'username of blanks', namespace: 'ns1', user: '   ', input: 'username', hint: /OCI user/},
    {
      why: 'trailing slash leaves the user empty',
      namespace: 'ns1',
      user: 'oracleidentitycloudservice/',
      input: 'username',
      hint: /empty part/,
    },
    {why: 'leading slash', namespace: 'ns1', user: '/jdoe', input: 'username', hint: /empty part/},
    {
      why: 'namespace prefix with nothing after it',
      namespace: 'ns1',
      user: 'ns1/',
      input: 'username',
      hint: /empty part/,
    },
    {
      why: 'double slash',
      namespace: 'ns1',
      user: 'ns1//jdoe',
      input: 'username',
      hint: /empty part/,
    },
    {
      why: 'the namespace given as the username',
      namespace: 'ns1',
      user: 'ns1',
      input: 'username',
      hint: /namespace itself/,
    },
  ])('$why is an InputError on $input', ({namespace, user, input, hint}) => {
    expect(() => ocirUsername(namespace, user)).toThrow(InputError)
    try {
      ocirUsername(namespace, user)
    } catch (err) {
      expect((err as InputError).input).toBe(input)
      expect((err as InputError).hint).toMatch(hint)
    }
  })
})
