// Part 2: what a runner pays before the action does anything: the bundle it checks out, and the
// time for `node dist/index.js` to plan a four-image release (dry-run), against bare `node -e ""`.
import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {performance} from 'node:perf_hooks'
import {IMAGES_INPUT, NAMESPACE, runnerEnv} from './push.mjs'
import {median, ratio} from './stats.mjs'

function filesUnder(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

/** Every file in dist/ (the bundle, its source map if any, licenses.txt, package.json …). */
export function bundleSize(root) {
  const dist = join(root, 'dist')
  const files = filesUnder(dist).map((path) => ({
    file: relative(dist, path),
    bytes: statSync(path).size,
  }))
  files.sort((a, b) => b.bytes - a.bytes)
  return {bytes: files.reduce((sum, file) => sum + file.bytes, 0), files}
}

function timedSync(command, args, options) {
  const started = performance.now()
  const result = spawnSync(command, args, {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  })
  const ms = performance.now() - started
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${`${result.stdout}${result.stderr}`.split('\n').slice(-20).join('\n')}`,
    )
  }
  return {ms, stdout: result.stdout}
}

/**
 * A new process per sample (nothing is kept warm inside node; the OS file cache is warm, as on a
 * runner that has just checked the action out). One untimed run of each first; then the action
 * and the baseline alternate, so a load spike hits both.
 */
export function benchStartup({root, work, runs, log}) {
  const dir = join(work, 'startup')
  mkdirSync(dir, {recursive: true})
  const env = runnerEnv(root, dir, {
    'dry-run': 'true',
    registry: '127.0.0.1:9', // never contacted: dry-run makes no registry request
    namespace: NAMESPACE,
    images: IMAGES_INPUT,
  })
  const action = () =>
    timedSync(process.execPath, [join(root, 'dist/index.js')], {cwd: env.GITHUB_WORKSPACE, env})
  const baseline = () => timedSync(process.execPath, ['-e', ''], {env: {PATH: env.PATH}})
  const plan = action().stdout
  const planned = (plan.match(/^\s+127\.0\.0\.1:9\//gm) ?? []).length
  if (planned === 0) throw new Error(`the dry-run printed no planned reference:\n${plan}`)
  baseline()
  const actionMs = []
  const baselineMs = []
  for (let index = 0; index < runs; index++) {
    if (index % 2 === 0) {
      actionMs.push(action().ms)
      baselineMs.push(baseline().ms)
    } else {
      baselineMs.push(baseline().ms)
      actionMs.push(action().ms)
    }
  }
  const result = {
    bundle: bundleSize(root),
    runs,
    plannedReferences: planned,
    dryRunMsMedian: median(actionMs),
    dryRunMs: actionMs.map(Math.round),
    nodeMsMedian: median(baselineMs),
    nodeMs: baselineMs.map(Math.round),
  }
  result.ratio = ratio(result.dryRunMsMedian, result.nodeMsMedian)
  log(
    `start-up: dry-run ${result.dryRunMsMedian.toFixed(0)} ms, node -e "" ${result.nodeMsMedian.toFixed(0)} ms (median of ${runs})`,
  )
  return result
}
