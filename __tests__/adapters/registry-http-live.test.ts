/** The blob calls against the real registries of scripts/test-env (engine project). */
import {createHash} from 'node:crypto'
import {describe, expect, test} from 'vitest'
import {RegistryHttpClient} from '../../src/adapters/registry-http.js'
import {testEnvironment, uniqueNamespace, type RegistryInfo} from '../fixtures/test-env.js'

const digestOf = (body: Buffer): string =>
  `sha256:${createHash('sha256').update(body).digest('hex')}`

describe('blobs on real registries', () => {
  const env = testEnvironment()
  test.each([
    {why: 'the open registry', registry: env.registries.open},
    {why: 'the htpasswd registry (Basic)', registry: env.registries.htpasswd},
    {why: 'the token registry (Bearer, push scope)', registry: env.registries.token},
  ])(
    'put, get, put again and a missing blob on $why',
    async ({registry}: {registry: RegistryInfo}) => {
      const seen: string[] = []
      const registryClient = new RegistryHttpClient({
        host: registry.host,
        insecure: true,
        username: registry.username,
        password: registry.password,
        retry: {retries: 1, baseMs: 5},
        onRequest: (method, url, status) =>
          seen.push(`${method} ${new URL(url).pathname} ${status}`),
      })
      const repository = `${uniqueNamespace('blob')}/config`
      const body = Buffer.from(
        JSON.stringify({created: new Date().toISOString(), n: Math.random()}),
      )
      const digest = await registryClient.putBlob(repository, body)
      expect(digest).toBe(digestOf(body))
      expect(seen.filter((line) => /^(POST|PUT) /.test(line))).toEqual([
        expect.stringMatching(/^POST \/v2\/.*\/blobs\/uploads\/ 202$/),
        expect.stringMatching(/^PUT \/v2\/.*\/blobs\/uploads\/[^ ]+ 201$/),
      ])
      expect(await registryClient.getBlob(repository, digest)).toEqual(body)

      seen.length = 0
      expect(await registryClient.putBlob(repository, body)).toBe(digest)
      // The registry has it: one HEAD, no upload (and the cached token or Basic header is reused).
      expect(seen).toEqual([`HEAD /v2/${repository}/blobs/${digest} 200`])

      const missing = digestOf(Buffer.from(`missing ${Math.random()}`))
      expect(await registryClient.getBlob(repository, missing)).toBeUndefined()
    },
  )
})
