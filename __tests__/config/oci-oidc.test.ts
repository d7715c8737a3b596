import {mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {readConfig} from '../../src/config/read-config.js'
import {DEFAULT_SESSION_RENEW_BEFORE_MS} from '../../src/config/oci-oidc.js'
import {isKeyless} from '../../src/model/oci.js'
import {RELEASE_STEPS} from '../../src/steps/index.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

const workspace = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'ws-'))
writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\n')
const TENANCY = 'ocid1.tenancy.oc1..aaaaaaaaexample'
const ID_TOKEN_ENV = {
  ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/idtoken?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
}
const keyless = {
  registry: 'iad.ocir.io',
  images: 'app',
  'oci-identity-domain': 'https://idcs-0123.identity.oraclecloud.com/',
  'oci-oidc-client-id': 'client-id',
  'oci-oidc-client-secret': 'client-secret',
  'oci-region': 'us-ashburn-1',
}

function read(
  inputs: Record<string, string | undefined>,
  extraEnv: Record<string, string> = ID_TOKEN_ENV,
  masked: string[] = [],
) {
  return readConfig(
    (name) => inputs[name] ?? '',
    {GITHUB_WORKSPACE: workspace, ...extraEnv},
    (secret) => masked.push(secret),
    RELEASE_STEPS,
  )
}

describe('keyless OCI inputs', () => {
  test('read: the domain without its trailing slash, the audience defaulting to it, the secret masked, the tenancy left to the token', () => {
    const masked: string[] = []
    const config = read(keyless, ID_TOKEN_ENV, masked)
    expect(config.oci && isKeyless(config.oci)).toBe(true)
    expect(config.oci).toMatchObject({
      tenancy: '',
      region: {id: 'us-ashburn-1'},
      oidc: {
        domainUrl: 'https://idcs-0123.identity.oraclecloud.com',
        clientId: 'client-id',
        clientSecret: 'client-secret',
        audience: 'https://idcs-0123.identity.oraclecloud.com',
        renewBeforeMs: DEFAULT_SESSION_RENEW_BEFORE_MS,
      },
    })
    expect(masked).toContain('client-secret')
    expect(config.pushWithheld).toBeUndefined()
  })

  test('oci-tenancy, oci-oidc-audience and the renewal margin override', () => {
    const config = read(
      {...keyless, 'oci-tenancy': TENANCY, 'oci-oidc-audience': 'api://ocir-push'},
      {...ID_TOKEN_ENV, OCIR_PUSH_SESSION_RENEW_MS: '4000'},
    )
    expect(config.oci).toMatchObject({
      tenancy: TENANCY,
      oidc: {audience: 'api://ocir-push', renewBeforeMs: 4000},
    })
  })

  test('a dry run needs no id-token permission; a real run and a cleanup dry run do', () => {
    expect(read({...keyless, 'dry-run': 'true'}, {}).oci).toBeDefined()
    expectInputError(() => read(keyless, {}), 'permissions', /permissions: id-token: write/)
    expectInputError(
      () => read({...keyless, 'dry-run': 'true', stage: 'cleanup'}, {}),
      'permissions',
      /id-token: write/,
    )
  })

  test("a fork's pull request (no OIDC token, no client secret) has no credentials: built, not pushed", () => {
    const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'event-'))
    const eventPath = join(dir, 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({
        pull_request: {
          head: {repo: {full_name: 'stranger/app'}},
          base: {repo: {full_name: 'acme/app'}},
        },
      }),
    )
    const config = read(
      {...keyless, 'oci-oidc-client-secret': ''},
      {GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: eventPath},
    )
    expect(config.oci).toBeUndefined()
    expect(config.pushWithheld).toMatch(/withholds secrets/)
  })

  test.each([
    {
      why: 'keyless and an API key',
      inputs: {...keyless, 'oci-user': 'ocid1.user.oc1..a', 'oci-private-key': 'PEM'},
      input: 'oci-identity-domain',
      text: /API key \(oci-user, oci-private-key\) are both given: keep one/,
    },
    {
      why: 'keyless and the OCI_CLI_* API key',
      inputs: keyless,
      env: {...ID_TOKEN_ENV, OCI_CLI_FINGERPRINT: '12:34'},
      input: 'oci-identity-domain',
      text: /API key \(oci-fingerprint\) are both given/,
    },
    {
      why: 'keyless and an auth token',
      inputs: {...keyless, username: 'u', 'auth-token': 't'},
      input: 'oci-identity-domain',
      text: /and auth-token are both given: keep one/,
    },
    {
      why: 'a client id without the domain',
      inputs: {...keyless, 'oci-identity-domain': ''},
      input: 'oci-identity-domain',
      text: /Domain URL/,
    },
    {
      why: 'the domain without the client id',
      inputs: {...keyless, 'oci-oidc-client-id': ''},
      input: 'oci-oidc-client-id',
      text: /client id of the identity domain's confidential application/,
    },
    {
      why: 'no client secret',
      inputs: {...keyless, 'oci-oidc-client-secret': ''},
      input: 'oci-oidc-client-secret',
      text: /secrets\.OCI_OIDC_CLIENT_SECRET/,
    },
    {
      why: 'the domain over plain http to another machine',
      inputs: {...keyless, 'oci-identity-domain': 'http://idcs-0123.identity.oraclecloud.com'},
      input: 'oci-identity-domain',
      text: /use https/,
    },
    {
      why: 'the domain without a scheme',
      inputs: {...keyless, 'oci-identity-domain': 'idcs-0123.identity.oraclecloud.com'},
      input: 'oci-identity-domain',
      text: /with its scheme/,
    },
    {
      why: 'a user OCID as the tenancy',
      inputs: {...keyless, 'oci-tenancy': 'ocid1.user.oc1..a'},
      input: 'oci-tenancy',
      text: /tenant claim/,
    },
    {
      why: 'neither region nor endpoint',
      inputs: {...keyless, 'oci-region': ''},
      input: 'oci-region',
      text: /oci-endpoint/,
    },
  ])('$why: an InputError', ({inputs, env, input, text}) => {
    expectInputError(() => read(inputs, env), input, text)
  })

  test('plain http to this machine is allowed (tests)', () => {
    const config = read({...keyless, 'oci-identity-domain': 'http://127.0.0.1:8123'})
    expect(config.oci).toMatchObject({oidc: {domainUrl: 'http://127.0.0.1:8123'}})
  })
})
