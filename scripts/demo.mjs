#!/usr/bin/env node
// Runs the action's main job locally, as the GitHub runner would, on an embedded default: a
// throwaway local registry, the four-service todo app under examples/, tags computed for a push
// to main. Prints the outputs and the job summary, runs the post step, and removes the registry.
//
//   npm run demo
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ensureDocker, ensurePackages, portOpen, registryConfig, waitFor} from './test-env/index.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const work = mkdtempSync(join(tmpdir(), 'ocir-push-demo-'))

const IMAGES = `- name: todo-frontend
  context: frontend
- name: todo-backend
  context: backend
  build-args:
    APP_VERSION: "1.0.0"
- todo-recurring-service: ./recurring
- todo-notification-service: ./notification`

function freePort() {
  return new Promise((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

function parseFileCommands(text) {
  const result = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (!heredoc) continue
    const values = []
    for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) values.push(lines[i])
    result[heredoc[1]] = values.join('\n')
  }
  return result
}

function runNode(env) {
  return spawnSync(process.execPath, [join(root, 'dist/index.js')], {env, stdio: 'inherit'}).status
}

let registry
try {
  if (spawnSync('sh', ['-c', 'command -v docker-registry'], {stdio: 'ignore'}).status !== 0)
    ensurePackages()
  await ensureDocker()
  const port = await freePort()
  const config = registryConfig('demo', port, [], work)
  registry = spawn('docker-registry', ['serve', config], {stdio: 'ignore'})
  await waitFor(`the demo registry on port ${port}`, () => portOpen(port))
  const host = `127.0.0.1:${port}`

  let sha = '0000000000000000000000000000000000000000'
  try {
    sha = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim()
  } catch {
    // not a git checkout: a fixed commit is fine for a demo
  }
  const files = Object.fromEntries(
    ['output', 'state', 'summary'].map((name) => [name, join(work, name)]),
  )
  for (const file of Object.values(files)) writeFileSync(file, '')
  writeFileSync(
    join(work, 'event.json'),
    JSON.stringify({
      ref: 'refs/heads/main',
      after: sha,
      repository: {
        default_branch: 'main',
        full_name: 'acme/todo-app',
        html_url: 'https://github.com/acme/todo-app',
      },
    }),
  )
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? work,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: join(root, 'examples/todo-app'),
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: join(work, 'event.json'),
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/todo-app',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: work,
    INPUT_REGISTRY: host,
    INPUT_NAMESPACE: 'acme',
    INPUT_IMAGES: IMAGES,
  }
  console.log(`\n== ocir-push demo: pushing the todo app to a throwaway registry at ${host}\n`)
  const status = runNode(env)
  console.log('\n== outputs')
  for (const [name, value] of Object.entries(
    parseFileCommands(readFileSync(files.output, 'utf8')),
  )) {
    console.log(
      `${name}:\n${value
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}`,
    )
  }
  console.log('\n== job summary\n')
  console.log(readFileSync(files.summary, 'utf8'))
  const state = parseFileCommands(readFileSync(files.state, 'utf8'))
  const postEnv = {
    ...env,
    ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
  }
  console.log('== post step')
  runNode(postEnv)
  process.exitCode = status ?? 1
} catch (err) {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
} finally {
  registry?.kill()
  rmSync(work, {recursive: true, force: true})
}
