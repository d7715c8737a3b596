// Part 4: a push from a cold runner. The registry holds the previous release (pushed by the
// action, so it carries the build keys); the engine holds none of the workload's images or build
// cache. The action, which reuses unchanged images and takes layers from the registry, against
// the OCIR guide's recipe on the same cold engine, in three scenarios.
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ensureDocker, up as testEnvironmentUp} from '../../scripts/test-env/index.mjs'
import {NAMESPACE, recipeContestant, runnerEnv, SHA, timed} from './push.mjs'
import {
  readAccessLog,
  readManifest,
  readPushedContent,
  startRegistry,
  summarizeRequests,
} from './registry.mjs'
import {median, ratio} from './stats.mjs'

/**
 * Service folder → repository. Names of their own: the recipe's local `<name>:build` tags must not
 * be those of the push part (or of anyone else's todo app images), since a cold engine is made by
 * removing them with their untagged parents.
 */
export const SERVICES = [
  ['frontend', 'cold-frontend'],
  ['backend', 'cold-backend'],
  ['recurring', 'cold-recurring-service'],
  ['notification', 'cold-notification-service'],
]

/** The commit main pointed at before this push: the previous release was pushed from it. */
export const PREVIOUS_SHA = 'fedcba9876543210fedcba9876543210fedcba98'
const short = (sha) => sha.slice(0, 7)
export const COLD_TAGS = [`sha-${short(SHA)}`, 'latest']
/**
 * The dependency step's cost, at two points: a slow install with a small result (the targets are
 * set here), and a quick step with a big result, where taking the layer from the registry costs
 * more than making it again (informative: it shows how the figures move with the workload).
 */
export const COLD_POINTS = [
  {
    id: 'slowStep',
    what: 'dependency step: sleep 3 s, 4 MiB layer',
    seconds: 3,
    kib: 4096,
    targets: true,
  },
  {
    id: 'bigLayer',
    what: 'dependency step: no pause, 24 MiB layer',
    seconds: 0,
    kib: 24576,
    targets: false,
  },
]
/** The test environment's busybox base image, present locally (never removed by the bench). */
const LOCAL_BASE = 'ocir-push-test/busybox:latest'

/** Each scenario: which services' last layer changed since the previous release, and the target. */
export const COLD_SCENARIOS = [
  {
    id: 'oneChanged',
    what: 'one of four services changed in its last layer',
    changed: [SERVICES[1][0]],
    target: 0.35,
  },
  {id: 'nothingChanged', what: 'nothing changed', changed: [], target: 0.15},
  {
    id: 'allChanged',
    what: 'all four services changed in their last layer',
    changed: SERVICES.map(([folder]) => folder),
    target: 1.0,
  },
]

const docker = (args) => spawnSync('docker', args, {encoding: 'utf8'})

/**
 * One service: a slow dependency step (a few MiB of its own random bytes, then a pause standing in
 * for the install), then the application file. The token makes every step of every service unique
 * to this bench run, so nothing is shared by accident, between services or with earlier runs.
 */
function writeService(workspace, folder, base, token, appVersion, point) {
  const dir = join(workspace, folder)
  mkdirSync(dir, {recursive: true})
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      `FROM ${base}`,
      `RUN busybox dd if=/dev/urandom of=/deps.bin bs=1024 count=${point.kib} 2>/dev/null && echo "${folder} dependencies ${token}" > /deps.txt${point.seconds ? ` && sleep ${point.seconds}` : ''}`,
      'COPY app.txt /app/app.txt',
      '',
    ].join('\n'),
  )
  writeFileSync(join(dir, 'app.txt'), `${folder} ${appVersion} ${token}\n`)
}

function writeWorkspace(workspace, base, token, changed, point) {
  for (const [folder] of SERVICES)
    writeService(workspace, folder, base, token, changed.includes(folder) ? 'v2' : 'v1', point)
}

/** The runner's file-command format: `name<<delimiter\nvalue\ndelimiter` or `name=value`. */
function readOutputs(file) {
  const outputs = {}
  const lines = readFileSync(file, 'utf8').split('\n')
  for (let index = 0; index < lines.length; index++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[index])
    if (heredoc) {
      const end = lines.indexOf(heredoc[2], index + 1)
      outputs[heredoc[1]] = lines.slice(index + 1, end).join('\n')
      index = end
    } else if (lines[index].includes('=')) {
      const at = lines[index].indexOf('=')
      outputs[lines[index].slice(0, at)] = lines[index].slice(at + 1)
    }
  }
  return outputs
}

/** The action, as a push to main at `sha` whose previous commit is `before`. */
function actionContestant(root, workspace, push) {
  return {
    id: 'action',
    label: 'action (node dist/index.js, reuse + cache: auto)',
    run: (host, dir) =>
      timed(process.execPath, [join(root, 'dist/index.js')], {
        cwd: workspace,
        env: runnerEnv(
          root,
          dir,
          {
            registry: host,
            namespace: NAMESPACE,
            images: SERVICES.map(
              ([folder, name]) => `- name: ${name}\n  context: ./${folder}`,
            ).join('\n'),
            tags: 'type=sha\ntype=raw,value=latest',
            builder: 'docker',
          },
          {},
          {...push, workspace},
        ),
      }),
  }
}

/**
 * The workload's local images: every image whose repository is on `host`, the recipe's
 * `<name>:build` tags, and their untagged parents (the classic builder's per-step images, which
 * are its build cache). Removes them and checks that every one is gone.
 */
function evictWorkload(host, baseId) {
  const recipeRefs = new Set(SERVICES.map(([, name]) => `${name}:build`))
  const workloadRepositories = new Set(SERVICES.map(([, name]) => `${host}/${NAMESPACE}/${name}`))
  const listing = docker(['images', '--no-trunc', '--format', '{{.ID}}\t{{.Repository}}\t{{.Tag}}'])
  const entries = (listing.stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'))
    // Only the workload's own repositories: other images on this engine may carry a tag on the
    // same host:port (a port an earlier test used), and are none of this bench's business.
    .filter(
      ([, repository, tag]) =>
        workloadRepositories.has(repository) || recipeRefs.has(`${repository}:${tag}`),
    )
  const ids = new Set()
  for (const [id] of entries) {
    for (let current = id; current && current !== baseId && !ids.has(current);) {
      ids.add(current)
      current = docker(['image', 'inspect', '--format', '{{.Parent}}', current]).stdout?.trim()
    }
  }
  const refs = entries
    .filter(([, , tag]) => tag !== '<none>')
    .map(([, repo, tag]) => `${repo}:${tag}`)
  const untagged = entries.filter(([, , tag]) => tag === '<none>').map(([id]) => id)
  // `docker rmi` also deletes the untagged parents of what it removes.
  if (refs.length > 0) docker(['rmi', ...refs])
  if (untagged.length > 0) docker(['rmi', ...new Set(untagged)])
  const left = [...ids].filter((id) => docker(['image', 'inspect', id]).status === 0)
  if (left.length > 0) docker(['rmi', ...left])
  const stuck = left.filter((id) => docker(['image', 'inspect', id]).status === 0)
  if (stuck.length > 0)
    throw new Error(
      `cold: could not remove the workload's images ${stuck.join(', ')} (engine not cold)`,
    )
  return ids.size
}

/**
 * One measured run: a fresh registry seeded with the previous release, the contestant, a check of
 * what it built and what the registry ends up with, then the engine made cold again.
 */
async function measure({contestant, scenario, work, template, baseId, name, log}) {
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  const registry = await startRegistry(work, name, {seedFrom: template})
  try {
    const result = await contestant.run(registry.host, dir)
    if (result.exitCode !== 0) {
      throw new Error(
        `${contestant.label} failed (exit ${result.exitCode}):\n${result.output.split('\n').slice(-25).join('\n')}`,
      )
    }
    const sample = {ms: result.ms}
    if (contestant.id === 'action') {
      const images = JSON.parse(readOutputs(join(dir, 'output')).images ?? '[]')
      sample.images = images.map((image) => ({
        name: image.name,
        built: image.built,
        reusedFrom: image['reused-from'] || undefined,
      }))
      const built = sample.images.filter((image) => image.built).map((image) => image.name)
      const expected = SERVICES.filter(([folder]) => scenario.changed.includes(folder)).map(
        ([, repository]) => repository,
      )
      const reused = sample.images.filter((image) => !image.built && image.reusedFrom)
      if (
        sample.images.length !== SERVICES.length ||
        built.sort().join(',') !== expected.sort().join(',') ||
        reused.length !== SERVICES.length - expected.length
      ) {
        throw new Error(
          `cold ${scenario.id}: the action built [${built}] and reused ${reused.length}; expected built [${expected}] and the rest reused. images output: ${JSON.stringify(images)}`,
        )
      }
    } else if (/Using cache/.test(result.output)) {
      // The recipe has no registry cache: a cached step here means the engine was not cold.
      throw new Error(
        `cold ${scenario.id}: the recipe's build used a local cache (engine not cold)`,
      )
    }
    const content = await readPushedContent(
      registry.host,
      SERVICES.map(([, repository]) => `${NAMESPACE}/${repository}`),
    )
    const wanted = [`sha-${short(PREVIOUS_SHA)}`, ...COLD_TAGS].sort().join(',')
    for (const repository of content) {
      if (repository.tags.join(',') !== wanted)
        throw new Error(
          `${contestant.label} left ${repository.repository} with tags [${repository.tags}], expected [${wanted}]`,
        )
      if (repository.digests.latest !== repository.digests[COLD_TAGS[0]])
        throw new Error(`${contestant.label}: latest of ${repository.repository} did not move`)
    }
    if (contestant.id === 'action') {
      // A rebuilt image keeps the previous release's layers up to its changed last step: the slow
      // dependency step came from the registry, it did not run again.
      for (const image of sample.images.filter((entry) => entry.built)) {
        const repository = `${NAMESPACE}/${image.name}`
        const layers = async (tag) =>
          (await readManifest(registry.host, repository, tag)).layers.map((layer) => layer.digest)
        const [before, after] = [
          await layers(`sha-${short(PREVIOUS_SHA)}`),
          await layers(COLD_TAGS[0]),
        ]
        if (
          before.length !== after.length ||
          before.slice(0, -1).join() !== after.slice(0, -1).join() ||
          before.at(-1) === after.at(-1)
        )
          throw new Error(
            `cold ${scenario.id}: ${image.name} was rebuilt without the previous release's dependency layer`,
          )
      }
    }
    sample.requests = summarizeRequests(readAccessLog(registry.accessLog)).total
    log(
      `  ${name.padEnd(28)} ${(result.ms / 1000).toFixed(2).padStart(6)} s  ${String(sample.requests).padStart(3)} requests${sample.images ? `  built ${sample.images.filter((image) => image.built).length}/${SERVICES.length}` : ''}`,
    )
    return sample
  } finally {
    await registry.stop()
    rmSync(registry.root, {recursive: true, force: true})
    evictWorkload(registry.host, baseId)
  }
}

/**
 * Seeds a template registry with the previous release (pushed by the action), then runs each
 * scenario `runs` times per contestant. Each measured run copies the template into a new
 * registry; the action and the recipe alternate which goes first.
 */
export async function benchCold({root, work, runs, log}) {
  await ensureDocker()
  if (docker(['image', 'inspect', LOCAL_BASE]).status !== 0) await testEnvironmentUp()
  const baseId = docker(['image', 'inspect', '--format', '{{.Id}}', LOCAL_BASE]).stdout.trim()
  const coldWork = join(work, 'cold')
  mkdirSync(coldWork, {recursive: true})
  const token = randomBytes(8).toString('hex')

  // The base image in a registry of its own, so the action can resolve its digest (a base it
  // cannot resolve is a reason to build). It stays tagged locally, as for both contestants.
  const baseRegistry = await startRegistry(coldWork, 'cold-base')
  const base = `${baseRegistry.host}/bench/busybox:1`
  const templates = []
  try {
    for (const args of [
      ['tag', LOCAL_BASE, base],
      ['push', base],
    ]) {
      const result = docker(args)
      if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`)
    }

    const scenarios = {}
    for (const point of COLD_POINTS)
      Object.assign(
        scenarios,
        await benchPoint({root, point, coldWork, base, baseId, token, runs, log, templates}),
      )
    return {
      runs,
      services: SERVICES.map(([, repository]) => repository),
      workload: `per service: FROM ${LOCAL_BASE} (in a bench registry); RUN <layer> of random bytes (+ a pause); COPY app.txt. Points: ${COLD_POINTS.map((point) => point.what).join('; ')}`,
      points: COLD_POINTS,
      previousRelease: `sha-${short(PREVIOUS_SHA)} + latest, pushed by the action (reuse on, so with build keys)`,
      tags: COLD_TAGS,
      scenarios,
    }
  } finally {
    await baseRegistry.stop()
    for (const template of templates) rmSync(template, {recursive: true, force: true})
  }
}

/**
 * One point of the workload: the previous release seeded (pushed by the action into a template
 * registry), then each scenario `runs` times per contestant, each run on a copy of the template;
 * the action and the recipe alternate which goes first.
 */
async function benchPoint({root, point, coldWork, base, baseId, token, runs, log, templates}) {
  log(`cold ${point.id}: seeding the previous release (the action, commit ${short(PREVIOUS_SHA)})`)
  const previous = join(coldWork, `previous-${point.id}`)
  writeWorkspace(previous, base, token, [], point)
  const seed = await startRegistry(coldWork, `cold-seed-${point.id}`)
  try {
    const result = await actionContestant(root, previous, {sha: PREVIOUS_SHA}).run(
      seed.host,
      join(coldWork, `seed-run-${point.id}`),
    )
    if (result.exitCode !== 0)
      throw new Error(
        `cold: seeding the previous release failed:\n${result.output.split('\n').slice(-25).join('\n')}`,
      )
  } finally {
    await seed.stop()
  }
  const template = seed.root
  templates.push(template)
  const evicted = evictWorkload(seed.host, baseId)
  log(`cold: previous release seeded; ${evicted} local images of the workload removed`)

  const plans = COLD_SCENARIOS.map((scenario) => {
    const workspace = join(coldWork, `${point.id}-${scenario.id}`)
    writeWorkspace(workspace, base, token, scenario.changed, point)
    return {
      scenario,
      contestants: [
        actionContestant(root, workspace, {sha: SHA, before: PREVIOUS_SHA}),
        recipeContestant(workspace, SERVICES, COLD_TAGS),
      ],
      samples: {action: [], recipe: []},
    }
  })
  for (let round = 0; round < runs; round++) {
    log(`cold ${point.id}: round ${round + 1}/${runs}`)
    for (const [index, plan] of plans.entries()) {
      const order = (round + index) % 2 === 0 ? plan.contestants : [...plan.contestants].reverse()
      for (const contestant of order)
        plan.samples[contestant.id].push(
          await measure({
            contestant,
            scenario: plan.scenario,
            work: coldWork,
            template,
            baseId,
            name: `cold-${point.id}-r${round + 1}-${plan.scenario.id}-${contestant.id}`,
            log,
          }),
        )
    }
  }

  const scenarios = {}
  for (const {scenario, samples} of plans) {
    const summary = (list) => ({
      wallMsMedian: median(list.map((sample) => sample.ms)),
      wallMs: list.map((sample) => Math.round(sample.ms)),
      requests: list.map((sample) => sample.requests),
    })
    const action = {...summary(samples.action), images: samples.action.map((s) => s.images)}
    const recipe = summary(samples.recipe)
    scenarios[`${point.id}.${scenario.id}`] = {
      what: `${scenario.what} (${point.what})`,
      point: point.id,
      changed: SERVICES.filter(([folder]) => scenario.changed.includes(folder)).map(
        ([, repository]) => repository,
      ),
      expectedBuilt: scenario.changed.length,
      // The targets are set at one point; the other is informative.
      target: point.targets ? scenario.target : null,
      action,
      recipe,
      ratio: ratio(action.wallMsMedian, recipe.wallMsMedian),
      requestsRatio: ratio(median(action.requests), median(recipe.requests)),
    }
  }
  return scenarios
}
