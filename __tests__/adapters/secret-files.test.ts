import {existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {secretValuesOf, withSecretFiles} from '../../src/adapters/secret-files.js'
import {childEnvironment, withholdVariables} from '../../src/adapters/run-command.js'
import type {BuildSecret} from '../../src/model/action-config.js'
import {builderSettingsOf, writtenSecretFiles} from '../../src/plan/builder-commands.js'
import type {BuildStep} from '../../src/plan/build-step.js'

const secrets: BuildSecret[] = [
  {id: 'npm', input: 'secrets', value: 'npm-value\nsecond line'},
  {id: 'feed', input: 'secret-envs', value: 'feed-value', variable: 'FEED_TOKEN'},
  {id: 'gpg', input: 'secret-files', file: '/somewhere/gpg.key'},
]
const step: BuildStep = {
  image: 'app',
  imageName: 'r.example/ns/app',
  context: '/ws',
  file: 'Dockerfile',
  buildArgs: {},
  labels: {},
  platforms: [],
  refs: [],
  pushRefs: [],
  push: false,
}

function settingsIn(configDir: string) {
  return builderSettingsOf(
    'buildah',
    {configDir, insecureHosts: [], provenance: false, secrets},
    false,
  )
}

describe('withSecretFiles', () => {
  test('the values are in 0600 files while the build runs, and gone after it', async () => {
    const settings = settingsIn(mkdtempSync(join(process.env.RUNNER_TEMP as string, 'cfg-')))
    const files = writtenSecretFiles(settings, step)
    expect(files.map((file) => file.id)).toEqual(['npm', 'feed'])
    const seen = await withSecretFiles(settings, step, secretValuesOf(secrets), async () =>
      files.map((file) => [readFileSync(file.file, 'utf8'), statSync(file.file).mode & 0o777]),
    )
    expect(seen).toEqual([
      ['npm-value\nsecond line', 0o600],
      ['feed-value', 0o600],
    ])
    for (const file of files) expect(existsSync(file.file)).toBe(false)
  })

  test('a build that fails removes them too', async () => {
    const settings = settingsIn(mkdtempSync(join(process.env.RUNNER_TEMP as string, 'cfg-')))
    await expect(
      withSecretFiles(settings, step, secretValuesOf(secrets), () =>
        Promise.reject(new Error('build failed')),
      ),
    ).rejects.toThrow('build failed')
    for (const file of writtenSecretFiles(settings, step)) expect(existsSync(file.file)).toBe(false)
  })

  test('a link planted where a secret file goes is replaced, not written through', async () => {
    const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'cfg-'))
    const settings = settingsIn(dir)
    const target = join(dir, 'elsewhere')
    writeFileSync(target, 'untouched')
    symlinkSync(target, writtenSecretFiles(settings, step)[0].file)
    await withSecretFiles(settings, step, secretValuesOf(secrets), async () => undefined)
    expect(readFileSync(target, 'utf8')).toBe('untouched')
  })
})

test('secret-envs variables are withheld from every child process', () => {
  process.env.OCIR_PUSH_TEST_SECRET_VARIABLE = 'value'
  try {
    expect(childEnvironment()).toHaveProperty('OCIR_PUSH_TEST_SECRET_VARIABLE')
    withholdVariables(['OCIR_PUSH_TEST_SECRET_VARIABLE'])
    expect(childEnvironment()).not.toHaveProperty('OCIR_PUSH_TEST_SECRET_VARIABLE')
  } finally {
    delete process.env.OCIR_PUSH_TEST_SECRET_VARIABLE
  }
})
