// Part 1: push the four-service todo app with the action and with the OCIR guide's recipe, each
// against a fresh registry, and compare wall time and registry requests.
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {median} from './stats.mjs'
import {
  MINIMUM_DEFINITION,
  minimumRequests,
  readAccessLog,
  readPushedContent,
  startRegistry,
  summarizeRequests,
} from './registry.mjs'

export const NAMESPACE = 'acme'
export const SHA = '0123456789abcdef0123456789abcdef01234567'
export const TAGS = [`sha-${SHA.slice(0, 7)}`, 'latest']
/** Service folder in examples/todo-app → repository name. */
export const SERVICES = [
  ['frontend', 'todo-frontend'],
  ['backend', 'todo-backend'],
  ['recurring', 'todo-recurring-service'],
  ['notification', 'todo-notification-service'],
]
const PINNED_EPOCH = '1700000000'

/**
 * The environment the GitHub runner gives `node dist/index.js` for a push to main. `push` names
 * the pushed commit (`sha`), the commit main pointed at before (`before`, as GitHub sends it) and
 * the checked-out workspace; by default the todo app at commit SHA, with no earlier commit.
 */
export function runnerEnv(root, dir, inputs, extra = {}, push = {}) {
  const {sha = SHA, before, workspace = join(root, 'examples/todo-app')} = push
  mkdirSync(join(dir, 'home'), {recursive: true})
  mkdirSync(join(dir, 'runner-temp'), {recursive: true})
  for (const file of ['output', 'state', 'summary']) writeFileSync(join(dir, file), '')
  writeFileSync(
    join(dir, 'event.json'),
    JSON.stringify({
      ref: 'refs/heads/main',
      ...(before ? {before} : {}),
      after: sha,
      // As in every push event GitHub sends: the pushed commit and its time.
      head_commit: {id: sha, timestamp: '2026-11-20T10:00:00Z'},
      repository: {
        default_branch: 'main',
        full_name: 'acme/todo',
        html_url: 'https://github.com/acme/todo',
      },
    }),
  )
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: join(dir, 'event.json'),
    GITHUB_SHA: sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REPOSITORY: 'acme/todo',
    GITHUB_SERVER_URL: 'https://github.com',
    // Nothing listens here, as in the e2e tests: the repository look-up fails fast and is optional.
    GITHUB_API_URL: 'http://127.0.0.1:9/api',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    RUNNER_TEMP: join(dir, 'runner-temp'),
    ...extra,
  }
  // core.getInput reads INPUT_<NAME> with spaces as underscores, upper-cased; hyphens stay.
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  return env
}

export const IMAGES_INPUT = SERVICES.map(
  ([folder, name]) => `- name: ${name}\n  context: ./${folder}`,
).join('\n')

/** The OCIR guide's "Tag Lifecycle": build, tag twice, push twice, one service after another. */
function recipeScript(host, services, tags) {
  const lines = ['set -e']
  for (const [folder, name] of services) {
    const ref = `${host}/${NAMESPACE}/${name}`
    lines.push(
      `docker build -t ${name}:build ./${folder}`,
      ...tags.map((tag) => `docker tag ${name}:build ${ref}:${tag}`),
      ...tags.map((tag) => `docker push ${ref}:${tag}`),
    )
  }
  return lines.join('\n')
}

/**
 * The baseline contestant: the recipe as a `run:` step would run it, in `workspace`, for
 * `services` ([folder, repository] pairs) and `tags`.
 */
export function recipeContestant(workspace, services = SERVICES, tags = TAGS) {
  return {
    id: 'recipe',
    label: 'recipe (OCIR guide, sequential docker CLI)',
    run: (host, dir) => {
      mkdirSync(join(dir, 'home'), {recursive: true})
      return timed('sh', ['-c', recipeScript(host, services, tags)], {
        cwd: workspace,
        env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(dir, 'home')},
      })
    },
  }
}

/** Runs a command; resolves with its exit code, wall time and captured output. */
export function timed(command, args, options) {
  return new Promise((resolveRun, reject) => {
    const started = performance.now()
    const child = spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (data) => (output += data))
    child.stderr.on('data', (data) => (output += data))
    child.on('error', reject)
    child.on('close', (code) =>
      resolveRun({exitCode: code ?? -1, ms: performance.now() - started, output}),
    )
  })
}

/** The contestants. Each gets a fresh registry host; `run` returns {exitCode, ms, output}. */
function contestants(root) {
  const action = (extra) => (host, dir) =>
    timed(process.execPath, [join(root, 'dist/index.js')], {
      cwd: join(root, 'examples/todo-app'),
      env: runnerEnv(
        root,
        dir,
        {
          registry: host,
          namespace: NAMESPACE,
          images: IMAGES_INPUT,
          tags: 'type=sha\ntype=raw,value=latest',
        },
        extra,
      ),
    })
  return [
    {id: 'action', label: 'action (node dist/index.js)', run: action({})},
    recipeContestant(join(root, 'examples/todo-app')),
    {
      id: 'actionPinned',
      label: 'action, SOURCE_DATE_EPOCH pinned (informative)',
      run: action({SOURCE_DATE_EPOCH: PINNED_EPOCH}),
    },
  ]
}

/** One measured run: fresh registry, run, count requests, read back what was pushed. */
async function measure(contestant, work, name, log) {
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  const registry = await startRegistry(work, name)
  try {
    const result = await contestant.run(registry.host, dir)
    if (result.exitCode !== 0) {
      throw new Error(
        `${contestant.label} failed (exit ${result.exitCode}):\n${result.output.split('\n').slice(-25).join('\n')}`,
      )
    }
    const requests = readAccessLog(registry.accessLog)
    const content = await readPushedContent(
      registry.host,
      SERVICES.map(([, repository]) => `${NAMESPACE}/${repository}`),
    )
    for (const repository of content) {
      if (repository.tags.join(',') !== [...TAGS].sort().join(',')) {
        throw new Error(
          `${contestant.label} left ${repository.repository} with tags [${repository.tags}], expected [${TAGS}]`,
        )
      }
    }
    const summary = summarizeRequests(requests)
    log(
      `  ${name.padEnd(16)} ${(result.ms / 1000).toFixed(2).padStart(6)} s  ${String(summary.total).padStart(3)} requests`,
    )
    return {
      ms: result.ms,
      requests: summary,
      minimum: minimumRequests(content),
      host: registry.host,
    }
  } finally {
    await registry.stop()
    rmSync(registry.root, {recursive: true, force: true})
  }
}

/**
 * Runs every contestant once untimed (warms the build cache), then `runs` rounds, the order
 * rotated each round so no contestant always goes first. Returns the results and the local image
 * references the runs created (for clean-up).
 */
export async function benchPush({root, work, runs, log}) {
  const all = contestants(root)
  log(`push: warm-up (one untimed run each, builds the images once)`)
  for (const contestant of all) await measure(contestant, work, `warmup-${contestant.id}`, log)
  const samples = Object.fromEntries(all.map((contestant) => [contestant.id, []]))
  for (let round = 0; round < runs; round++) {
    log(`push: round ${round + 1}/${runs}`)
    const order = all.map((_, index) => all[(index + round) % all.length])
    for (const contestant of order)
      samples[contestant.id].push(
        await measure(contestant, work, `r${round + 1}-${contestant.id}`, log),
      )
  }
  const result = {minimumDefinition: MINIMUM_DEFINITION, runs, contestants: {}}
  for (const contestant of all) {
    const list = samples[contestant.id]
    result.contestants[contestant.id] = {
      label: contestant.label,
      wallMsMedian: median(list.map((sample) => sample.ms)),
      wallMs: list.map((sample) => Math.round(sample.ms)),
      requestsMedian: median(list.map((sample) => sample.requests.total)),
      requests: list.map((sample) => sample.requests.total),
      minimumRequests: median(list.map((sample) => sample.minimum)),
      // the request pattern of the median-ish (first) run; all runs are listed in `requests`
      breakdown: list[0].requests,
    }
  }
  return result
}

/** Every local image reference (repository:tag). */
export function localImageRefs() {
  const listing = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], {
    encoding: 'utf8',
  })
  return (listing.stdout ?? '').split('\n').filter(Boolean)
}
