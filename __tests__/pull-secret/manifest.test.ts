import {parseAllDocuments} from 'yaml'
import {describe, expect, test} from 'vitest'
import {InputError} from '../../src/errors.js'
import {pullSecretManifest, type PullSecretRequest} from '../../src/pull-secret/manifest.js'

const base: PullSecretRequest = {
  host: 'iad.ocir.io',
  username: 'ns1/oracleidentitycloudservice/jdoe@acme.com',
  password: 'p@ss:wörd"}',
  name: 'ocir-secret',
  namespaces: ['default'],
}

/** Every document of the manifest as plain objects, with `.dockerconfigjson` decoded. */
function decode(manifest: string): {secret: Record<string, unknown>; config: unknown}[] {
  return parseAllDocuments(manifest).map((document) => {
    expect(document.errors).toEqual([])
    const secret = document.toJS() as {data: Record<string, string>}
    const config = JSON.parse(
      Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8'),
    )
    return {secret, config}
  })
}

describe('pullSecretManifest', () => {
  test.each([
    {why: 'one namespace gives one document', namespaces: ['default']},
    {why: 'one document per namespace, in order', namespaces: ['default', 'apps', 'team-b']},
    {
      why: 'namespaces YAML would read as booleans or null stay strings',
      namespaces: ['yes', 'no', 'null', 'true'],
    },
  ])('$why', ({namespaces}) => {
    const manifest = pullSecretManifest({...base, namespaces})
    const documents = decode(manifest)
    expect(
      documents.map(({secret}) => (secret.metadata as {namespace: unknown}).namespace),
    ).toEqual(namespaces)
    for (const {secret, config} of documents) {
      expect(secret).toMatchObject({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {name: 'ocir-secret'},
        type: 'kubernetes.io/dockerconfigjson',
      })
      expect(config).toEqual({
        auths: {
          'iad.ocir.io': {
            username: base.username,
            password: base.password,
            auth: Buffer.from(`${base.username}:${base.password}`, 'utf8').toString('base64'),
          },
        },
      })
    }
  })

  test('a registry with a port is the auths key as given', () => {
    const [{config}] = decode(pullSecretManifest({...base, host: 'localhost:5001'}))
    expect(Object.keys((config as {auths: object}).auths)).toEqual(['localhost:5001'])
  })

  test('the auth field decodes to username:password even with non-ASCII passwords', () => {
    const [{config}] = decode(pullSecretManifest(base))
    const auth = (config as {auths: Record<string, {auth: string}>}).auths['iad.ocir.io'].auth
    expect(Buffer.from(auth, 'base64').toString('utf8')).toBe(`${base.username}:${base.password}`)
  })

  test('the password appears only base64-encoded', () => {
    expect(pullSecretManifest(base)).not.toContain('wörd')
  })

  test.each([
    {why: 'an uppercase secret name', change: {name: 'OCIR-Secret'}, input: 'pull-secret-name'},
    {
      why: 'a secret name with an underscore',
      change: {name: 'ocir_secret'},
      input: 'pull-secret-name',
    },
    {why: 'an empty secret name', change: {name: ''}, input: 'pull-secret-name'},
    {why: 'no namespaces', change: {namespaces: []}, input: 'pull-secret-namespaces'},
    {
      why: 'a namespace with a dot (not a DNS label)',
      change: {namespaces: ['a.b']},
      input: 'pull-secret-namespaces',
    },
    {
      why: 'a namespace longer than 63 characters',
      change: {namespaces: ['n'.repeat(64)]},
      input: 'pull-secret-namespaces',
    },
    {
      why: 'a namespace listed twice',
      change: {namespaces: ['default', 'default']},
      input: 'pull-secret-namespaces',
    },
    {why: 'no password (nothing to log in with)', change: {password: ''}, input: 'pull-secret'},
    {why: 'no username', change: {username: ''}, input: 'pull-secret'},
    {
      why: 'a short-lived token login (it would expire in the cluster)',
      change: {username: 'BEARER_TOKEN'},
      input: 'pull-secret',
    },
  ])('$why is an InputError on $input', ({change, input}) => {
    const request = {...base, ...change}
    expect(() => pullSecretManifest(request)).toThrow(InputError)
    try {
      pullSecretManifest(request)
    } catch (err) {
      expect((err as InputError).input).toBe(input)
    }
  })
})
