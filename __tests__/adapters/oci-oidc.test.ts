import {afterAll, beforeAll, describe, expect, test} from 'vitest'
import {createObjectStorageClient} from '../../src/adapters/oci-client.js'
import {lookupNamespace} from '../../src/adapters/oci-namespace.js'
import {openOciSession, readClaims, UpstSession} from '../../src/adapters/oci-oidc.js'
import {fetchOcirToken} from '../../src/adapters/ocir-token.js'
import {describeFailure} from '../../src/errors.js'
import type {OciKeyless, OciOidcSettings} from '../../src/model/oci.js'
import {IdentityDomainDouble, TestIssuer} from '../fixtures/identity-domain.js'
import {startOciDouble, type OciDouble} from '../fixtures/oci-double.js'

const SUB = 'repo:acme/app:ref:refs/heads/main'

describe('the token exchange against the identity domain double', () => {
  let double: OciDouble
  let tenancyId: string
  let domain: IdentityDomainDouble
  const issuer = new TestIssuer()
  let oidc: OciOidcSettings

  beforeAll(async () => {
    const started = await startOciDouble({namespace: 'keylessns'})
    double = started.double
    tenancyId = started.tenancyId
    domain = new IdentityDomainDouble({
      double,
      tenancyId,
      clientId: 'app',
      clientSecret: 's3cret',
      trust: {issuer, audience: 'aud-1', subRule: /^repo:acme\/app:/},
    })
    await domain.start()
    oidc = {
      domainUrl: domain.url,
      clientId: 'app',
      clientSecret: 's3cret',
      audience: 'aud-1',
      renewBeforeMs: 60_000,
    }
  })
  afterAll(async () => {
    await domain?.stop()
    await double?.stop()
  })

  const retry = {retries: 0, baseMs: 1}
  const idToken =
    (sub = SUB) =>
    (audience: string) =>
      Promise.resolve(issuer.issue({sub, aud: audience}))

  test('opens a session: the tenant and sub claims; the token, key and GitHub token are masked; OCI accepts ST$ signatures', async () => {
    const masked: string[] = []
    const {session, claims} = await openOciSession({
      oidc,
      retry,
      getIdToken: idToken(),
      onSecret: (secret) => masked.push(secret),
    })
    expect(claims.tenancy).toBe(tenancyId)
    expect(claims.subject).toBe(domain.serviceUserId)
    const token = await session.token()
    expect(domain.issuedUpsts.map((upst) => upst.token)).toContain(token)
    expect(masked).toContain(token)
    expect(masked).toContain(session.privateKeyPem)
    expect(masked.some((secret) => secret.split('.').length === 3 && secret !== token)).toBe(true)

    const auth: OciKeyless = {oidc, tenancy: tenancyId, session}
    double.resetCalls()
    const objectStorage = await createObjectStorageClient({
      apiKey: auth,
      retries: 0,
      endpoint: double.url,
    })
    expect(await lookupNamespace(objectStorage)).toBe('keylessns')
    const registryToken = await fetchOcirToken({
      registry: double.host,
      apiKey: auth,
      retry,
      onSecret: () => {},
    })
    expect(double.issuedTokens).toContain(registryToken.token)
    expect(double.signedWith).toEqual({apiKey: 0, session: 2})
    expect(double.unauthenticated).toBe(0)
  })

  test('an OCI call before the exchange is a bug, not a 401', async () => {
    const auth: OciKeyless = {oidc, tenancy: tenancyId}
    await expect(createObjectStorageClient({apiKey: auth, retries: 0})).rejects.toThrow(
      /before the OIDC token exchange/,
    )
  })

  test('renews shortly before expiry, one exchange for concurrent callers, the same key', async () => {
    let nowMs = Date.now()
    const session = new UpstSession({
      oidc,
      retry,
      getIdToken: idToken(),
      onSecret: () => {},
      now: () => nowMs,
    })
    const first = await session.token()
    const expiresAtMs = readClaims(first, nowMs).expiresAt.getTime()
    nowMs = expiresAtMs - 61_000
    expect(await session.token()).toBe(first)
    const before = domain.exchanges
    nowMs = expiresAtMs - 59_000
    const [a, b] = await Promise.all([session.token(), session.token()])
    expect(a).toBe(b)
    expect(a).not.toBe(first)
    expect(domain.exchanges - before).toBe(1)
    const keys = domain.issuedUpsts
      .filter((upst) => [first, a].includes(upst.token))
      .map((upst) => upst.publicKey.export({type: 'spki', format: 'der'}).toString('hex'))
    expect(new Set(keys).size).toBe(1)
  })

  test.each([
    {
      why: 'a wrong client secret',
      settings: {clientSecret: 'wrong'},
      said: /invalid_client: Client authentication failed/,
      fix: /oci-oidc-client-id and oci-oidc-client-secret/,
    },
    {
      why: 'an untrusted issuer',
      getIdToken: (audience: string) =>
        Promise.resolve(new TestIssuer('https://other.example').issue({sub: SUB, aud: audience})),
      said: /No Identity Propagation Trust found for issuer https:\/\/other\.example/,
      fix: /Identity Propagation Trust .*token\.actions\.githubusercontent\.com/,
    },
    {
      why: 'a token signed by a key not in the JWKS',
      getIdToken: (audience: string) =>
        Promise.resolve(new TestIssuer().issue({sub: SUB, aud: audience})),
      said: /signing key not in the trusted JWKS/,
      fix: /Identity Propagation Trust/,
    },
    {
      why: 'another audience',
      settings: {audience: 'aud-2'},
      said: /audience aud-2 is not allowed/,
      fix: /audience aud-2 \(oci-oidc-audience\)/,
    },
    {
      why: 'a sub the rule rejects',
      getIdToken: idToken('repo:evil/app:ref:refs/heads/main'),
      said: /claim sub repo:evil\/app:ref:refs\/heads\/main does not match the trust rule/,
      fix: /repo:<org>\/<repo>:ref:refs\/heads\/main/,
    },
    {
      why: 'an expired token',
      getIdToken: (audience: string) =>
        Promise.resolve(issuer.issue({sub: SUB, aud: audience, lifetimeSeconds: -10})),
      said: /subject_token has expired/,
      fix: /re-run the job/,
    },
    {
      why: 'no id-token permission',
      getIdToken: () =>
        Promise.reject(new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable')),
      said: /GitHub did not give an OIDC token for audience aud-1: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL/,
      fix: /permissions: id-token: write/,
    },
  ])('$why: refused once (not retried), with what the domain said and the fix', async (row) => {
    const before = domain.exchanges
    let caught: unknown
    try {
      await openOciSession({
        oidc: {...oidc, ...row.settings},
        retry: {retries: 2, baseMs: 1},
        getIdToken: row.getIdToken ?? idToken(),
        onSecret: () => {},
      })
    } catch (err) {
      caught = err
    }
    const text = describeFailure(caught)
    expect(text).toMatch(row.said)
    expect(text).toMatch(row.fix)
    expect(domain.exchanges - before).toBeLessThanOrEqual(1)
  })

  test('a domain that cannot be reached says which URL', async () => {
    await expect(
      openOciSession({
        oidc: {...oidc, domainUrl: 'http://127.0.0.1:9'},
        retry,
        getIdToken: idToken(),
        onSecret: () => {},
      }),
    ).rejects.toThrow(/http:\/\/127\.0\.0\.1:9\/oauth2\/v1\/token could not be reached/)
  })
})
