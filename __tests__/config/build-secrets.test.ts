/**
 * The build secret inputs (secrets, secret-files, secret-envs), read through readConfig as a run
 * reads them: what is taken, what is refused (naming the input and never a value), and what is
 * masked the moment it is read.
 */
import {mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {readConfig} from '../../src/config/read-config.js'
import {secretEnvVariables} from '../../src/config/build-secrets.js'
import {describeFailure} from '../../src/errors.js'
import {RELEASE_STEPS} from '../../src/steps/index.js'
import {expectInputError} from '../fixtures/expect-input-error.js'

const RUNNER_TEMP = process.env.RUNNER_TEMP as string
const workspace = mkdtempSync(join(RUNNER_TEMP, 'secrets-ws-'))
mkdirSync(join(workspace, 'app'))
writeFileSync(join(workspace, 'app', 'Dockerfile'), 'FROM scratch\n')
writeFileSync(join(workspace, 'npmrc'), '//registry.example/:_authToken=file-token-1234\n')
mkdirSync(join(workspace, 'a-directory'))
/** Outside the workspace, where an earlier step writes a secret file. */
const outside = mkdtempSync(join(RUNNER_TEMP, 'secrets-outside-'))
writeFileSync(join(outside, 'gpg.key'), 'line-one-of-the-key\nline-two-of-the-key\n')
writeFileSync(join(outside, 'a,comma'), 'x')
symlinkSync(join(outside, 'gpg.key'), join(workspace, 'escaping-link'))

const VALUE = 'Secret-Value-5521=with=equals'
const base = {registry: 'localhost:5000', images: '- app: ./app'}

function read(
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  masked: string[] = [],
) {
  return readConfig(
    (name) => ({...base, ...inputs})[name] ?? '',
    {GITHUB_WORKSPACE: workspace, RUNNER_TEMP, ...env},
    (secret) => masked.push(secret),
    RELEASE_STEPS,
  )
}

describe('accepted', () => {
  test('the three inputs, in order, ids unique; values may hold "=", comments and blank lines skipped', () => {
    const config = read(
      {
        secrets: `# the npm token\nnpm=${VALUE}\n\n  sentry = plain  \n`,
        'secret-files': `npmrc=npmrc\ngpg=${join(outside, 'gpg.key')}`,
        'secret-envs': 'feed=FEED_TOKEN',
      },
      {FEED_TOKEN: 'feed-token-value'},
    )
    expect(config.secrets).toEqual([
      {id: 'npm', input: 'secrets', value: VALUE},
      {id: 'sentry', input: 'secrets', value: 'plain'},
      {id: 'npmrc', input: 'secret-files', file: join(realpathSync(workspace), 'npmrc')},
      {id: 'gpg', input: 'secret-files', file: realpathSync(join(outside, 'gpg.key'))},
      {id: 'feed', input: 'secret-envs', value: 'feed-token-value', variable: 'FEED_TOKEN'},
    ])
  })

  test('none given: no secrets', () => {
    expect(read({}).secrets).toEqual([])
  })

  test('every value is masked the moment it is read, each line of a multi-line one too', () => {
    const masked: string[] = []
    read(
      {
        secrets: `npm=${VALUE}`,
        'secret-files': `gpg=${join(outside, 'gpg.key')}\nnpmrc=npmrc`,
        'secret-envs': 'pem=PEM',
      },
      {PEM: 'first-line-of-pem\nsecond-line-of-pem\n}\n'},
      masked,
    )
    expect(masked).toEqual(
      expect.arrayContaining([
        VALUE,
        'first-line-of-pem',
        'second-line-of-pem',
        'line-one-of-the-key',
        'line-two-of-the-key',
        '//registry.example/:_authToken=file-token-1234',
      ]),
    )
    // A line too short to be a secret of its own (a JSON brace) is masked only within the value.
    expect(masked).not.toContain('}')
  })

  test('a line of secrets that does not parse is masked before the error: it may be a value', () => {
    const masked: string[] = []
    expect(() => read({secrets: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'}, {}, masked)).toThrow()
    expect(masked).toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')
  })

  test("an event that runs a stranger's code with secrets gets none, and the notice says so", () => {
    const eventPath = join(outside, 'event.json')
    writeFileSync(eventPath, '{}')
    const config = read(
      {secrets: `npm=${VALUE}`},
      {GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_EVENT_PATH: eventPath},
    )
    expect(config.secrets).toEqual([])
    expect(config.pushWithheld).toMatch(/build secrets \(npm\) are withheld/)
    expect(config.pushWithheld).not.toContain(VALUE)
  })

  test('builder auto, buildah and podman take them; docker is refused before anything runs', () => {
    for (const builder of ['auto', 'buildx', 'buildah', 'podman'])
      expect(read({builder, secrets: `npm=${VALUE}`}).secrets).toHaveLength(1)
    expectInputError(
      () => read({builder: 'docker', secrets: `npm=${VALUE}`}),
      'secrets',
      /input 'secrets' gives build secrets \(npm\), which the classic docker builder cannot mount: only buildx, buildah, podman can.*use builder: buildx .*buildah or podman/,
    )
    // A merge builds nothing: no builder to refuse.
    expect(() =>
      read({builder: 'docker', stage: 'merge', platforms: 'linux/amd64', secrets: `npm=${VALUE}`}),
    ).not.toThrow()
  })

  test('the post step finds the variables to withhold without reading the config', () => {
    expect(secretEnvVariables('a=FEED_TOKEN\n# c=NOT_ME\n\nb = OTHER \nbad=not-a-name')).toEqual([
      'FEED_TOKEN',
      'OTHER',
    ])
  })
})

describe('refused, naming the input, never a value', () => {
  test.each<{why: string; inputs: Record<string, string>; input: string; text: RegExp}>([
    {
      why: 'a secrets line without "="',
      inputs: {secrets: VALUE.replace(/=/g, '')},
      input: 'secrets',
      text: /input 'secrets' has a line that is not id=value \(line 1\).*not shown: it may hold a secret/,
    },
    {
      why: 'an id with a space',
      inputs: {secrets: `np m=${VALUE}`},
      input: 'secrets',
      text: /unusable secret id \(line 1\).*letters, digits, '_', '\.' and '-'/,
    },
    {
      why: 'an id that is a path',
      inputs: {'secret-files': 'a/b=npmrc'},
      input: 'secret-files',
      text: /unusable secret id 'a\/b'/,
    },
    {
      why: 'the id ".."',
      inputs: {secrets: `..=${VALUE}`},
      input: 'secrets',
      text: /unusable secret id/,
    },
    {
      why: "build-push-action's quoted multi-line form",
      inputs: {secrets: `"npm=${VALUE}\nsecond-line"`},
      input: 'secrets',
      text: /quoted multi-line form is not read here.*secret-envs/,
    },
    {
      why: 'an id twice in one input',
      inputs: {secrets: `npm=${VALUE}\nnpm=other`},
      input: 'secrets',
      text: /repeats the build secret id 'npm'.*on two lines of secrets \(line 2\)/,
    },
    {
      why: 'an id in two inputs',
      inputs: {secrets: `npm=${VALUE}`, 'secret-envs': 'npm=FEED_TOKEN'},
      input: 'secret-envs',
      text: /repeats the build secret id 'npm'.*also in secrets/,
    },
    {
      why: 'a variable that is not set',
      inputs: {'secret-envs': 'feed=NOT_SET_ANYWHERE'},
      input: 'secret-envs',
      text: /names the variable NOT_SET_ANYWHERE, which is not set.*env: \{NOT_SET_ANYWHERE:/,
    },
    {
      why: 'a variable name that is not one',
      inputs: {'secret-envs': 'feed=$FEED_TOKEN'},
      input: 'secret-envs',
      text: /'\$FEED_TOKEN'.*name an environment variable/,
    },
    {
      why: 'a variable the builders read themselves',
      inputs: {'secret-envs': 'path=PATH'},
      input: 'secret-envs',
      text: /'PATH'.*a variable the builders themselves read/,
    },
    {
      why: 'a missing file, relative',
      inputs: {'secret-files': 'npmrc=.npmrc'},
      input: 'secret-files',
      text: /'\.npmrc'.*the file does not exist \(a relative path is relative to the workspace/,
    },
    {
      why: 'a missing file, absolute',
      inputs: {'secret-files': `gpg=${join(outside, 'nope.key')}`},
      input: 'secret-files',
      text: /nope\.key'.*does not exist; write it in an earlier step/,
    },
    {
      why: 'a directory',
      inputs: {'secret-files': 'dir=a-directory'},
      input: 'secret-files',
      text: /'a-directory': it is a directory, not a regular file/,
    },
    {
      why: 'a relative path that climbs out of the workspace',
      inputs: {'secret-files': `gpg=../${join(outside, 'gpg.key').split('/').at(-2)}/gpg.key`},
      input: 'secret-files',
      text: /resolves to \S+gpg\.key, outside the workspace/,
    },
    {
      why: 'a link in the checkout to a file outside it',
      inputs: {'secret-files': 'gpg=escaping-link'},
      input: 'secret-files',
      text: /'escaping-link': it resolves to \S+gpg\.key, outside the workspace/,
    },
    {
      why: 'a path with a comma (the builders split --secret at commas)',
      inputs: {'secret-files': `c=${join(outside, 'a,comma')}`},
      input: 'secret-files',
      text: /holds a comma.*move or rename the file/,
    },
    {
      why: 'an empty path',
      inputs: {'secret-files': 'npmrc='},
      input: 'secret-files',
      text: /names no file/,
    },
  ])('$why', ({inputs, input, text}) => {
    expectInputError(() => read(inputs, {FEED_TOKEN: 'feed-token-value'}), input, text)
    try {
      read(inputs, {FEED_TOKEN: 'feed-token-value'})
    } catch (err) {
      expect(describeFailure(err)).not.toContain(VALUE)
      expect(describeFailure(err)).not.toContain(VALUE.replace(/=/g, ''))
      expect(describeFailure(err)).not.toContain('feed-token-value')
    }
  })
})
