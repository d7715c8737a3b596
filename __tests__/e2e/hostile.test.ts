/**
 * Hostile inputs through `node dist/index.js` against the real engine and registry: a Dockerfile
 * that prints workflow commands, branches named like releases, events that run with secrets on
 * code anyone may have written, and a Dockerfile that forges the reuse key label.
 */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryLabels, registryTags} from '../fixtures/registry-probe.js'
import {makeSigningKey} from '../fixtures/cosign-check.js'
import {DEFAULT_SHA, runAction, type ActionRun} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const registry = env.registries.htpasswd
const SHORT = `sha-${DEFAULT_SHA.slice(0, 7)}`

/** A workspace of its own with one image, `app`, built from this Dockerfile. */
function workspace(dockerfile: string): string {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'hostile-'))
  mkdirSync(join(dir, 'app'))
  writeFileSync(join(dir, 'app', 'Dockerfile'), dockerfile)
  writeFileSync(join(dir, 'app', 'file.txt'), 'hello\n')
  return dir
}

function inputs(namespace: string, more: Record<string, string> = {}): Record<string, string> {
  return {
    registry: registry.host,
    namespace,
    username: registry.username as string,
    'auth-token': registry.password as string,
    images: '- app: app',
    builder: 'docker',
    retries: '0',
    ...more,
  }
}

test('a Dockerfile that prints ::error:: and ::add-mask:: makes no annotation and no mask', async () => {
  const namespace = uniqueNamespace('inert')
  const run = await runAction({
    inputs: inputs(namespace, {tags: 'type=sha', reuse: 'false'}),
    workspace: workspace(
      `FROM ${env.baseImage}\nRUN echo "::error::from the dockerfile" && echo "::add-mask::hello"\n`,
    ),
  })
  expect(run.exitCode, run.stdout).toBe(0)
  expect(run.errors).toEqual([])
  expect(run.masks).not.toContain('hello')
  // The lines are in the log, as text between stop-commands and its token.
  expect(run.stdout).toMatch(/^::stop-commands::[0-9a-f]{32}$/m)
  expect(run.stdout).toContain('::error::from the dockerfile')
})

describe('branches named like releases', () => {
  test.each([
    {branch: 'latest', forbidden: 'latest'},
    {branch: '1.2.3', forbidden: '1.2.3'},
  ])(
    'a push to the branch $branch does not make the tag $forbidden, and says why',
    async ({branch, forbidden}) => {
      const namespace = uniqueNamespace('br')
      const run = await runAction({
        inputs: inputs(namespace, {reuse: 'false'}),
        ref: `refs/heads/${branch}`,
        workspace: workspace('FROM scratch\nCOPY file.txt /\n'),
      })
      expect(run.exitCode, run.stdout).toBe(0)
      const tags = await registryTags(registry, `${namespace}/app`)
      expect(tags).toEqual([SHORT])
      expect(tags).not.toContain(forbidden)
      expect(run.stdout).toMatch(
        new RegExp(`::warning::.*the branch '${branch.replace(/\./g, '\\.')}' would make the tag`),
      )
    },
  )
})

describe('events that run with secrets on code from anyone', () => {
  const target = {
    pull_request: {
      number: 7,
      head: {sha: DEFAULT_SHA, ref: 'feature', repo: {full_name: 'stranger/todo'}},
      base: {ref: 'main', repo: {full_name: 'acme/todo'}},
    },
    repository: {default_branch: 'main', full_name: 'acme/todo'},
  }

  test('pull_request_target builds without pushing and without logging in, and says how to opt in', async () => {
    const namespace = uniqueNamespace('prt')
    const run = await runAction({
      inputs: inputs(namespace, {tags: 'type=sha', reuse: 'false'}),
      eventName: 'pull_request_target',
      event: target,
      workspace: workspace('FROM scratch\nCOPY file.txt /\n'),
    })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(JSON.parse(run.outputs.images)).toMatchObject([{name: 'app', pushed: false}])
    expect(await registryTags(registry, `${namespace}/app`)).toEqual([])
    expect(run.stdout).not.toMatch(/Logged in to/)
    expect(run.stdout).toMatch(
      /::notice::pull_request_target runs with secrets .*allow-untrusted-push: true/,
    )
  })

  test('pull_request_target with allow-untrusted-push: true pushes', async () => {
    const namespace = uniqueNamespace('prt')
    const run = await runAction({
      inputs: inputs(namespace, {
        tags: 'type=sha',
        reuse: 'false',
        'allow-untrusted-push': 'true',
      }),
      eventName: 'pull_request_target',
      event: target,
      workspace: workspace('FROM scratch\nCOPY file.txt /\n'),
    })
    expect(run.exitCode, run.stdout).toBe(0)
    expect(await registryTags(registry, `${namespace}/app`)).toEqual([SHORT])
  })
})

test("a Dockerfile's own build-key label is overwritten: the image carries the action's key", async () => {
  const namespace = uniqueNamespace('key')
  const forged = `sha256:${'f'.repeat(64)}`
  const run = await runAction({
    inputs: inputs(namespace, {tags: 'type=sha', reuse: 'false'}),
    workspace: workspace(
      `FROM scratch\nLABEL dev.ocir-push.build-key=${forged}\nCOPY file.txt /\n`,
    ),
  })
  expect(run.exitCode, run.stdout).toBe(0)
  const labels = await registryLabels(registry, `${namespace}/app`, SHORT)
  // The action's own key (computed even with reuse: false), never the Dockerfile's.
  expect(labels['dev.ocir-push.build-key']).toMatch(/^sha256:[0-9a-f]{64}$/)
  expect(labels['dev.ocir-push.build-key']).not.toBe(forged)
})

test('with a signing key, an earlier release is reused only if that key signed it', async () => {
  const namespace = uniqueNamespace('vouch')
  const key = makeSigningKey()
  const dir = workspace('FROM scratch\nCOPY file.txt /\n')
  const release = (sha: string, more: Record<string, string> = {}) =>
    runAction({inputs: inputs(namespace, more), workspace: dir, sha})
  const images = (run: ActionRun) =>
    JSON.parse(run.outputs.images) as {built: boolean; 'reused-from': string}[]

  // Released without a signature (or by anyone who could push an image with a matching key).
  const unsigned = await release('1'.repeat(40))
  expect(unsigned.exitCode, unsigned.stdout).toBe(0)
  const signedRun = await release('2'.repeat(40), {'sign-key': key.pkcs8Pem})
  expect(signedRun.exitCode, signedRun.stdout).toBe(0)
  expect(images(signedRun)[0]).toMatchObject({built: true, 'reused-from': ''})
  expect(signedRun.stdout).toMatch(
    /not reused: it carries no cosign signature by the configured key/,
  )
  // Now the release is signed with the key: the next run reuses it.
  const reused = await release('3'.repeat(40), {'sign-key': key.pkcs8Pem})
  expect(reused.exitCode, reused.stdout).toBe(0)
  expect(images(reused)[0]).toMatchObject({built: false})
  expect(images(reused)[0]['reused-from']).toMatch(/:(main|sha-2222222)$/)
})
