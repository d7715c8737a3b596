import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {createRequire} from 'node:module'
import {expect, test} from 'vitest'
// Everything a run without OCI features may import from these modules.
import {loadOciCommon, wrapOciError} from '../../src/adapters/oci-client.js'
import {parseOciApiKey} from '../../src/config/oci-key.js'
import {lookupNamespace} from '../../src/adapters/oci-namespace.js'
import {ensureRepositories, OciRepositoryStore} from '../../src/adapters/oci-repository-store.js'
import {TokenSource} from '../../src/adapters/ocir-token.js'
import {OciImageSignatures} from '../../src/adapters/oci-image-signatures.js'
import {connectSigners} from '../../src/signing/connect-signers.js'
import {isLoopbackHost} from '../../src/plan/registry-target.js'
import {ocirHost, resolveRegion} from '../../src/plan/region.js'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

const loadedSdkModules = (): string[] =>
  Object.keys(createRequire(import.meta.url).cache).filter((path) =>
    /[\\/]node_modules[\\/]oci-(common|artifacts|objectstorage|keymanagement)[\\/]/.test(path),
  )

test('importing the OCI modules and resolving a region does not load the SDK', () => {
  expect([
    parseOciApiKey,
    wrapOciError,
    lookupNamespace,
    ensureRepositories,
    OciRepositoryStore,
  ]).toHaveLength(5)
  expect([isLoopbackHost, TokenSource, OciImageSignatures, connectSigners]).toHaveLength(4)
  expect(ocirHost(resolveRegion('iad'))).toBe('iad.ocir.io')
  expect(loadedSdkModules()).toEqual([])
})

test('the SDK is loaded on first use (and the check above would see it)', async () => {
  const common = await loadOciCommon()
  expect(typeof common.SimpleAuthenticationDetailsProvider).toBe('function')
  expect(loadedSdkModules().length).toBeGreaterThan(0)
})

test('the bundle keeps Octokit out of the entry file: a run whose payload says it all never loads it', () => {
  const dist = join(PROJECT_ROOT, 'dist')
  const entry = readFileSync(join(dist, 'index.js'), 'utf8')
  expect(entry).not.toContain('octokit-core.js')
  // …while one of the chunks loaded on first use holds it.
  const chunks = readdirSync(dist).filter((file) => /^\d+\.index\.js$/.test(file))
  expect(
    chunks.filter((file) => readFileSync(join(dist, file), 'utf8').includes('octokit-core.js')),
  ).toHaveLength(1)
})
