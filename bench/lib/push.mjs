// Part 1: push four services with the action and with the OCIR guide's recipe, each against a
// fresh registry, and compare wall time and registry requests: the few-byte todo app (the
// action's overhead) and the realistic workload (bench/lib/workload.mjs) on an open and on a
// token-auth registry.
import {spawn, spawnSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {cpuReading, cpuSince} from './cpu.mjs'
import {median} from './stats.mjs'
import {
  MINIMUM_DEFINITION,
  minimumRequests,
  readAccessLog,
  readPushedContent,
  startRegistry,
  summarizeRequests,
} from './registry.mjs'
import {
  describeRealistic,
  pushBase,
  REALISTIC_SERVICES,
  writeRealisticWorkspace,
} from './workload.mjs'

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

/**
 * The OCIR guide's "Tag Lifecycle": build, tag twice, push twice, one service after another,
 * after a `docker login` when the registry asks for one (the password on stdin, from $PASSWORD).
 */
function recipeScript(host, services, tags, login) {
  const lines = ['set -e']
  if (login)
    lines.push(
      `printf '%s' "$PASSWORD" | docker login -u '${login.username}' --password-stdin ${host} >/dev/null`,
    )
  // Each phase's time goes to stderr as `##phase <name> <ns>` (where the time goes; bench/README).
  const phase = (name, command) =>
    `t=$(date +%s%N); ${command}; echo "##phase ${name} $(( $(date +%s%N) - t ))" >&2`
  for (const [folder, name] of services) {
    const ref = `${host}/${NAMESPACE}/${name}`
    const [first, ...others] = tags
    lines.push(
      phase('build', `docker build -t ${name}:build ./${folder}`),
      ...tags.map((tag) => `docker tag ${name}:build ${ref}:${tag}`),
      phase('push (compress + upload)', `docker push ${ref}:${first}`),
      ...others.map((tag) =>
        phase('push of a further tag (checks + manifest)', `docker push ${ref}:${tag}`),
      ),
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
    run: (host, dir, login) => {
      mkdirSync(join(dir, 'home'), {recursive: true})
      return timed('sh', ['-c', recipeScript(host, services, tags, login)], {
        cwd: workspace,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: join(dir, 'home'),
          ...(login ? {PASSWORD: login.password} : {}),
        },
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

/** A signing key of the bench's own (EC P-256, PKCS#8 PEM), for the attestation contestants. */
const SIGN_KEY = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  .privateKey.export({type: 'pkcs8', format: 'pem'})
  .toString()

/** The action's contestant: `node dist/index.js` in the workload's workspace, with `extra` inputs. */
function actionContestant(root, workload, id, label, extraInputs = {}, extraEnv = {}) {
  return {
    id,
    label,
    run: (host, dir, login) =>
      timed(process.execPath, [join(root, 'dist/index.js')], {
        cwd: workload.workspace,
        env: runnerEnv(
          root,
          dir,
          {
            registry: host,
            namespace: NAMESPACE,
            images: workload.imagesInput,
            tags: 'type=sha\ntype=raw,value=latest',
            ...(login ? {username: login.username, 'auth-token': login.password} : {}),
            ...extraInputs,
          },
          extraEnv,
          {workspace: workload.workspace},
        ),
      }),
  }
}

/**
 * The contestants of one scenario. Each gets a fresh registry host; `run(host, dir, login)`
 * returns {exitCode, ms, output}. The attestation contestants run only when the bundle has the
 * `attestations` input; their baseline is the same release signed, without attestations.
 */
function contestants(root, workload, scenario) {
  const list = [
    actionContestant(root, workload, 'action', 'action (node dist/index.js)'),
    recipeContestant(workload.workspace, workload.services),
  ]
  if (scenario.pinned)
    list.push(
      actionContestant(
        root,
        workload,
        'actionPinned',
        'action, SOURCE_DATE_EPOCH pinned (informative)',
        {},
        {SOURCE_DATE_EPOCH: PINNED_EPOCH},
      ),
    )
  if (scenario.attestations && hasInput(root, 'attestations')) {
    list.push(
      actionContestant(root, workload, 'signed', 'action, signed (sign-key), no attestations', {
        'sign-key': SIGN_KEY,
        attestations: 'none',
      }),
      actionContestant(root, workload, 'provenance', 'action, signed, attestations: provenance', {
        'sign-key': SIGN_KEY,
        attestations: 'provenance',
      }),
      actionContestant(root, workload, 'sbom', 'action, signed, attestations: sbom', {
        'sign-key': SIGN_KEY,
        attestations: 'sbom',
      }),
    )
  }
  return list
}

function hasInput(root, name) {
  return new RegExp(`^  ${name}:`, 'm').test(readFileSync(join(root, 'action.yml'), 'utf8'))
}

/** One measured run: fresh registry, run, count requests, read back what was pushed. */
async function measure(contestant, work, name, scenario, workload, log) {
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  const registry = await startRegistry(work, name, {auth: scenario.auth})
  try {
    const before = cpuReading()
    const result = await contestant.run(registry.host, dir, registry.login)
    const cpu = {...cpuSince(before), registry: registry.cpuMs()}
    if (result.exitCode !== 0) {
      throw new Error(
        `${contestant.label} failed (exit ${result.exitCode}):\n${result.output.split('\n').slice(-25).join('\n')}`,
      )
    }
    const requests = readAccessLog(registry.accessLog)
    const repositories = workload.services.map(([, repository]) => `${NAMESPACE}/${repository}`)
    const content = await readPushedContent(
      registry.host,
      repositories,
      registry.readAuthorization(repositories),
    )
    for (const repository of content) {
      // Signatures and attestations (cosign's sha256-<hex>.sig / .att tags) are not release tags.
      const tags = repository.tags.filter((tag) => !/^sha256-[0-9a-f]{64}\.\w+$/.test(tag))
      if (tags.join(',') !== [...TAGS].sort().join(',')) {
        throw new Error(
          `${contestant.label} left ${repository.repository} with tags [${repository.tags}], expected [${TAGS}]`,
        )
      }
    }
    const summary = summarizeRequests(requests)
    const phases = {}
    for (const [, name, ns] of result.output.matchAll(/^##phase (.+) (\d+)$/gm))
      phases[name] = (phases[name] ?? 0) + Number(ns) / 1e6
    log(
      `  ${name.padEnd(28)} ${(result.ms / 1000).toFixed(2).padStart(6)} s  ${String(summary.total).padStart(3)} requests`,
    )
    return {
      ms: result.ms,
      requests: summary,
      minimum: minimumRequests(content),
      host: registry.host,
      phases,
      cpu,
    }
  } finally {
    await registry.stop()
    rmSync(registry.root, {recursive: true, force: true})
  }
}

/**
 * The push scenarios. The few-byte todo app measures the action's own overhead (process start,
 * planning, its HTTP calls); the realistic workload (bench/lib/workload.mjs) measures pushing, on
 * an open registry and on a token-auth one like OCIR. The targets are set on the realistic ones.
 */
export const PUSH_SCENARIOS = [
  {
    id: 'overhead',
    what: 'overhead: the todo app, four FROM scratch images of a few bytes, open registry',
    workload: 'todoApp',
    auth: 'open',
    pinned: true,
    targets: false,
  },
  {
    id: 'realisticOpen',
    what: 'realistic images, open registry',
    workload: 'realistic',
    auth: 'open',
    targets: true,
    attestations: true,
  },
  {
    id: 'realisticToken',
    what: 'realistic images, token-auth registry (Bearer, as OCIR)',
    workload: 'realistic',
    auth: 'token',
    targets: true,
  },
]

/** The two workloads: where their Dockerfiles are, their services, the `images` input. */
async function prepareWorkloads(root, work, log) {
  const todoApp = {
    workspace: join(root, 'examples/todo-app'),
    services: SERVICES,
    imagesInput: IMAGES_INPUT,
    description: 'examples/todo-app: four FROM scratch images, one COPY of a few bytes each',
  }
  log('push: realistic workload (base image pushed to a local registry, services written)')
  const baseRegistry = await startRegistry(work, 'base-registry')
  const baseRef = pushBase(work, baseRegistry.host)
  const workspace = join(work, 'realistic')
  writeRealisticWorkspace(workspace, baseRef)
  const services = REALISTIC_SERVICES.map((service) => [service.folder, service.name])
  const realistic = {
    workspace,
    services,
    imagesInput: services
      .map(([folder, name]) => `- name: ${name}\n  context: ./${folder}`)
      .join('\n'),
    description: describeRealistic(),
  }
  return {workloads: {todoApp, realistic}, stop: () => baseRegistry.stop()}
}

/**
 * Per scenario: every contestant once, untimed (warms the build cache), then `runs` rounds, the
 * order rotated each round so no contestant always goes first.
 */
export async function benchPush({root, work, runs, log, only}) {
  const {workloads, stop} = await prepareWorkloads(root, work, log)
  const result = {minimumDefinition: MINIMUM_DEFINITION, runs, scenarios: {}, workloads: {}}
  try {
    for (const scenario of PUSH_SCENARIOS) {
      if (only?.length && !only.includes(scenario.id)) continue
      const workload = workloads[scenario.workload]
      result.workloads[scenario.workload] = workload.description
      const all = contestants(root, workload, scenario)
      log(`push ${scenario.id}: warm-up (one untimed run each)`)
      for (const contestant of all)
        await measure(
          contestant,
          work,
          `${scenario.id}-warmup-${contestant.id}`,
          scenario,
          workload,
          log,
        )
      const samples = Object.fromEntries(all.map((contestant) => [contestant.id, []]))
      for (let round = 0; round < runs; round++) {
        log(`push ${scenario.id}: round ${round + 1}/${runs}`)
        const order = all.map((_, index) => all[(index + round) % all.length])
        for (const contestant of order)
          samples[contestant.id].push(
            await measure(
              contestant,
              work,
              `${scenario.id}-r${round + 1}-${contestant.id}`,
              scenario,
              workload,
              log,
            ),
          )
      }
      const measured = {}
      for (const contestant of all) {
        const list = samples[contestant.id]
        measured[contestant.id] = {
          label: contestant.label,
          wallMsMedian: median(list.map((sample) => sample.ms)),
          wallMs: list.map((sample) => Math.round(sample.ms)),
          requestsMedian: median(list.map((sample) => sample.requests.total)),
          requests: list.map((sample) => sample.requests.total),
          minimumRequests: median(list.map((sample) => sample.minimum)),
          // the request pattern of the first run; all runs are listed in `requests`
          breakdown: list[0].requests,
          // CPU ms per run (median over the runs): the contestant's own processes, the engine
          // (dockerd + containerd), the registry, and the machine's busy and idle time
          cpuMsMedian: Object.fromEntries(
            ['tools', 'engine', 'registry', 'machineBusy', 'machineIdle'].map((name) => [
              name,
              Math.round(median(list.map((sample) => sample.cpu[name]))),
            ]),
          ),
          // the recipe's time per phase (ms, median over the runs), where it says
          phasesMsMedian: Object.fromEntries(
            Object.keys(list[0].phases).map((name) => [
              name,
              Math.round(median(list.map((sample) => sample.phases[name] ?? 0))),
            ]),
          ),
        }
      }
      result.scenarios[scenario.id] = {
        what: scenario.what,
        workload: scenario.workload,
        registry: scenario.auth,
        targets: scenario.targets,
        contestants: measured,
      }
    }
  } finally {
    await stop()
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
