import {mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {registryDigest, registryTags} from '../fixtures/registry-probe.js'
import {DEFAULT_SHA, runAction, runPost} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()
const TWO_IMAGES = `- todo-frontend: ./frontend
- name: todo-backend
  context: backend
  build-args:
    APP_VERSION: "1.0"`

/** A user docker config that already holds a login for another registry. */
function userDockerConfig(dir: string): string {
  const configDir = join(dir, 'user-docker')
  mkdirSync(configDir, {recursive: true})
  writeFileSync(
    join(configDir, 'config.json'),
    JSON.stringify({auths: {'other.example.com': {auth: 'b3RoZXI6c2VjcmV0'}}}),
    {mode: 0o600},
  )
  return configDir
}

describe.each([
  {
    why: 'htpasswd (Basic auth)',
    registry: env.registries.htpasswd,
    username: env.registries.htpasswd.username as string,
  },
  {
    why: 'token auth (Bearer challenge, OCIR-style username)',
    registry: env.registries.token,
    username: env.registries.token.ocirStyleUsername as string,
  },
])('push two images to the $why registry', ({registry, username}) => {
  test("every output tag exists, digests are the registry's, and the post step removes only our login", async () => {
    const namespace = uniqueNamespace()
    const scratch = join(process.env.RUNNER_TEMP as string, namespace)
    mkdirSync(scratch, {recursive: true})
    const dockerConfig = userDockerConfig(scratch)
    const before = readFileSync(join(dockerConfig, 'config.json'), 'utf8')

    const run = await runAction({
      inputs: {
        registry: registry.host,
        namespace,
        username,
        'auth-token': registry.password as string,
        images: TWO_IMAGES,
        builder: 'docker',
      },
      env: {DOCKER_CONFIG: dockerConfig},
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)

    expect(run.outputs.registry).toBe(registry.host)
    expect(run.outputs.namespace).toBe(namespace)
    expect(run.outputs.username).toBe(username)
    expect(run.outputs['tag-names'].split('\n')).toEqual([
      'main',
      `sha-${DEFAULT_SHA.slice(0, 7)}`,
      'latest',
    ])
    const tags = run.outputs.tags.split('\n')
    expect(tags).toHaveLength(6)
    const digests = JSON.parse(run.outputs.digests) as Record<string, string>
    expect(Object.keys(digests).sort()).toEqual(['todo-backend', 'todo-frontend'])
    for (const ref of tags) {
      const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(ref) as RegExpExecArray
      const name = repository.slice(namespace.length + 1)
      expect(await registryDigest(registry, repository, tag), ref).toBe(digests[name])
    }
    const images = JSON.parse(run.outputs.images) as {
      name: string
      repository: string
      digest: string
      pushed: boolean
      status: string
      tags: string[]
    }[]
    expect(images.map((i) => [i.name, i.repository, i.status, i.pushed, i.digest])).toEqual([
      [
        'todo-frontend',
        `${registry.host}/${namespace}/todo-frontend`,
        'pushed',
        true,
        digests['todo-frontend'],
      ],
      [
        'todo-backend',
        `${registry.host}/${namespace}/todo-backend`,
        'pushed',
        true,
        digests['todo-backend'],
      ],
    ])
    expect(run.summary).toContain('<table>')
    expect(run.summary).toContain(
      `docker pull ${registry.host}/${namespace}/todo-backend@${digests['todo-backend']}`,
    )

    // During the run our login lived in a private config of mode 0600; the user's file was untouched.
    const state = JSON.parse(run.state.cleanup) as {dockerConfigDir: string}
    const privateConfig = join(state.dockerConfigDir, 'config.json')
    expect(statSync(privateConfig).mode & 0o777).toBe(0o600)
    const privateAuths = (
      JSON.parse(readFileSync(privateConfig, 'utf8')) as {auths: Record<string, unknown>}
    ).auths
    expect(Object.keys(privateAuths).sort()).toEqual([registry.host, 'other.example.com'].sort())
    expect(readFileSync(join(dockerConfig, 'config.json'), 'utf8')).toBe(before)

    const post = await runPost(run)
    expect(post.exitCode).toBe(0)
    expect(
      readdirSync(join(run.env.RUNNER_TEMP)).filter((f) => f.startsWith('ocir-push-docker-')),
    ).toEqual([])
    const after = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')) as {
      auths: Record<string, unknown>
    }
    expect(after.auths[registry.host]).toBeUndefined()
    expect(after.auths['other.example.com']).toEqual({auth: 'b3RoZXI6c2VjcmV0'})
  })
})

test('a wrong password fails the step, says the login was refused and how the username should look, and pushes nothing', async () => {
  const registry = env.registries.token
  const namespace = uniqueNamespace()
  const run = await runAction({
    inputs: {
      registry: registry.host,
      namespace,
      username: 'tester',
      'auth-token': 'not-the-password',
      images: TWO_IMAGES,
      builder: 'docker',
    },
  })
  expect(run.exitCode).not.toBe(0)
  expect(run.errors).toHaveLength(1)
  expect(run.errors[0]).toMatch(/login to 127\.0\.0\.1:5002 as 'tester' was refused/)
  expect(run.errors[0]).toMatch(/check username 'tester'/)
  // The runner consumes ::add-mask:: lines; everything else it prints must not hold the password.
  const visible = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  expect(visible + run.stderr).not.toContain('not-the-password')
  expect(await registryTags(registry, `${namespace}/todo-frontend`)).toEqual([])
  expect(await registryTags(registry, `${namespace}/todo-backend`)).toEqual([])
  expect((await runPost(run)).exitCode).toBe(0)
})
