#!/usr/bin/env node
// `npm run bench`: measures the action against baselines run on the same machine in the same run,
// prints a table of ratios and targets, and writes bench/results/latest.json. See bench/README.md.
//
//   npm run bench                              all four parts, defaults
//   npm run bench -- --runs 5 --startup-runs 15
//   npm run bench -- --only startup,scale      skip the Docker parts
//   npm run bench -- --only cold               the cold-runner part alone
//
// Environment equivalents: BENCH_RUNS, BENCH_STARTUP_RUNS, BENCH_SCALE_RUNS, BENCH_ONLY.
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import {cpus, tmpdir, totalmem} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ensureDocker, ensurePackages} from '../scripts/test-env/index.mjs'
import {benchCold, SERVICES as COLD_SERVICES} from './lib/cold.mjs'
import {benchPush, localImageRefs, SERVICES} from './lib/push.mjs'
import {benchReplicateRss} from './lib/replicate-rss.mjs'
import {benchReplicateWall} from './lib/replicate-wall.mjs'
import {benchHosts} from './lib/registry.mjs'
import {ratio} from './lib/stats.mjs'
import {benchStartup} from './lib/startup.mjs'
import {completeness, evaluateTargets, formatValue, PARTS} from './lib/targets.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

function option(name, envName, fallback) {
  const index = process.argv.indexOf(`--${name}`)
  if (index > 0 && process.argv[index + 1]) return process.argv[index + 1]
  const inline = process.argv.find((arg) => arg.startsWith(`--${name}=`))
  if (inline) return inline.slice(name.length + 3)
  return process.env[envName] ?? fallback
}

function count(name, envName, fallback, minimum) {
  const value = Number(option(name, envName, String(fallback)))
  if (!Number.isInteger(value) || value < minimum)
    throw new Error(`--${name} must be a whole number of at least ${minimum}`)
  return value
}

const log = (message) => process.stderr.write(`[bench] ${message}\n`)
const have = (command) =>
  spawnSync('sh', ['-c', `command -v ${command}`], {stdio: 'ignore'}).status === 0
const version = (command, args) => {
  const result = spawnSync(command, args, {encoding: 'utf8'})
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : 'unknown'
}

const settings = {
  runs: count('runs', 'BENCH_RUNS', 3, 1),
  startupRuns: count('startup-runs', 'BENCH_STARTUP_RUNS', 9, 7),
  scaleRuns: count('scale-runs', 'BENCH_SCALE_RUNS', 3, 1),
  // Which push scenarios (all by default): for a quick look at one; the results are then partial.
  pushScenarios: option('push-scenarios', 'BENCH_PUSH_SCENARIOS', '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean),
  only: option('only', 'BENCH_ONLY', PARTS.join(','))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
}
for (const part of settings.only)
  if (!PARTS.includes(part))
    throw new Error(`--only: unknown part '${part}'; use ${PARTS.join(', ')}`)

const work = mkdtempSync(join(tmpdir(), 'ocir-push-bench-'))
const results = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  settings,
}
const imagesBefore = new Set()
let failed = false

try {
  if (!existsSync(join(root, 'dist/index.js'))) {
    log('dist/index.js is missing: npm run build')
    const build = spawnSync('npm', ['run', '--silent', 'build'], {cwd: root, stdio: 'inherit'})
    if (build.status !== 0) throw new Error('npm run build failed')
  }

  // dist/ is what gets measured; name the exact build, since a rebuild changes every figure.
  results.dist = describeDist(root)

  if (settings.only.includes('startup')) {
    results.startup = benchStartup({root, work, runs: settings.startupRuns, log})
  }

  if (settings.only.includes('scale')) {
    const out = join(work, 'scale.json')
    log(
      `scale: ensure-repositories, 20 images against 2,000 repositories (vitest, bench/vitest.bench.config.ts)`,
    )
    const scale = spawnSync(
      'npx',
      ['vitest', 'run', '--config', 'bench/vitest.bench.config.ts', '--reporter', 'dot'],
      {
        cwd: root,
        env: {...process.env, BENCH_SCALE_OUT: out, BENCH_SCALE_RUNS: String(settings.scaleRuns)},
        encoding: 'utf8',
      },
    )
    if (scale.status !== 0 || !existsSync(out)) {
      throw new Error(
        `the scale part failed:\n${`${scale.stdout}${scale.stderr}`.split('\n').slice(-40).join('\n')}`,
      )
    }
    results.scale = JSON.parse(readFileSync(out, 'utf8'))
    if (results.scale.skipped) log(`scale: SKIPPED, ${results.scale.skipped}`)
  }

  if (['push', 'cold', 'replicate'].some((part) => settings.only.includes(part))) {
    if (!have('docker-registry')) ensurePackages()
    await ensureDocker()
    for (const ref of localImageRefs()) imagesBefore.add(ref)
    results.machine.docker = version('docker', [
      'version',
      '--format',
      '{{.Server.Version}} ({{.Server.Os}}/{{.Server.Arch}})',
    ])
    results.machine.dockerStorage = version('docker', ['info', '--format', '{{.Driver}}'])
    results.machine.registry = version('docker-registry', ['--version'])
  }
  if (settings.only.includes('push')) {
    results.push = await benchPush({
      root,
      work,
      runs: settings.runs,
      log,
      only: settings.pushScenarios,
    })
  }
  if (settings.only.includes('cold')) {
    results.cold = await benchCold({root, work, runs: settings.runs, log})
  }
  if (settings.only.includes('replicate')) {
    const replicateWork = join(work, 'replicate')
    mkdirSync(replicateWork, {recursive: true})
    results.replicate = {
      wall: await benchReplicateWall({root, work: replicateWork, runs: settings.runs, log}),
      rss: await benchReplicateRss({root, work: replicateWork, log}),
    }
  }
} catch (err) {
  log(err instanceof Error ? err.message : String(err))
  failed = true
} finally {
  // Local tags the runs created: every reference to a bench registry, and the recipe's `:build`.
  const hosts = benchHosts()
  const recipeRefs = new Set([...SERVICES, ...COLD_SERVICES].map(([, name]) => `${name}:build`))
  const ours = localImageRefs().filter(
    (ref) =>
      !imagesBefore.has(ref) &&
      (hosts.some((host) => ref.startsWith(`${host}/`)) || recipeRefs.has(ref)),
  )
  if (ours.length > 0) spawnSync('docker', ['rmi', ...ours], {stdio: 'ignore'})
  rmSync(work, {recursive: true, force: true})
}

if (!failed) {
  results.targets = evaluateTargets(results)
  // Only a run in which every part ran and none was skipped replaces latest.json; a partial run
  // must not hide missing figures. partial.json is git-ignored: a scratch result, never committed.
  const {complete, missing} = completeness(results, settings.only)
  results.complete = complete
  if (!complete) results.missingParts = missing
  printTable(results)
  for (const {part, reason} of missing) log(`incomplete: ${part} ${reason}`)
  const file = join(root, `bench/results/${complete ? 'latest' : 'partial'}.json`)
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
  // latest.json is committed; keep it in the shape `prettier --check .` expects.
  spawnSync(join(root, 'node_modules/.bin/prettier'), ['--write', '--log-level', 'silent', file], {
    cwd: root,
  })
  log(`wrote ${file}`)
}
process.exit(failed ? 1 : 0)

/**
 * Which bundle was measured: a SHA-256 over every file of dist/ (that of the `sha256sum` listing
 * of dist/'s files sorted by path, as `(cd dist && find . -type f -printf '%P\\n' | LC_ALL=C sort |
 * xargs sha256sum) | sha256sum` prints it), each file's own hash, the commit, and whether dist/
 * differed from that commit (modified or untracked files).
 */
function describeDist(root) {
  const dist = join(root, 'dist')
  const walk = (dir) =>
    readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
      entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
    )
  const sha256 = (data) => createHash('sha256').update(data).digest('hex')
  const files = walk(dist)
    .map((path) => relative(dist, path))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((file) => ({file, sha256: sha256(readFileSync(join(dist, file)))}))
  const listing = files.map(({file, sha256: hash}) => `${hash}  ${file}\n`).join('')
  const git = (args) => spawnSync('git', args, {cwd: root, encoding: 'utf8'}).stdout?.trim() ?? ''
  return {
    sha256: sha256(listing),
    indexSha256: files.find(({file}) => file === 'index.js')?.sha256,
    files,
    commit: git(['rev-parse', 'HEAD']),
    uncommittedChanges:
      git(['status', '--porcelain', '--untracked-files=all', '--', 'dist']) !== '',
  }
}

function table(rows) {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => String(row[column]).length)),
  )
  const line = (row) =>
    row
      .map((cell, column) => String(cell).padEnd(widths[column]))
      .join('  ')
      .trimEnd()
  return [
    line(rows[0]),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n')
}

function printTable(r) {
  const out = []
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`
  if (r.push) {
    for (const [id, sc] of Object.entries(r.push.scenarios)) {
      const {recipe} = sc.contestants
      out.push(
        `\n== push ${id}: ${sc.what}; tags sha-0123456 + latest, fresh registry per run, median of ${r.push.runs}${sc.targets ? '' : ' (no target)'}\n`,
      )
      out.push(
        table([
          [
            '',
            'wall',
            'vs recipe',
            'requests',
            'vs recipe',
            'minimum',
            'all wall times (ms)',
            'all request counts',
          ],
          ...Object.values(sc.contestants).map((c) => [
            c.label,
            s(c.wallMsMedian),
            `${ratio(c.wallMsMedian, recipe.wallMsMedian)}x`,
            c.requestsMedian,
            `${ratio(c.requestsMedian, recipe.requestsMedian)}x`,
            c.minimumRequests,
            c.wallMs.join(' '),
            c.requests.join(' '),
          ]),
        ]),
      )
      for (const [name, c] of [
        ['action', sc.contestants.action],
        ['recipe', recipe],
      ]) {
        const kinds = Object.entries(c.breakdown.byKind)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ')
        const clients = Object.entries(c.breakdown.byClient)
          .map(([client, n]) => `${client} ${n}`)
          .join(', ')
        out.push(`${name} requests: ${kinds} (by client: ${clients})`)
      }
    }
    out.push(`\nworkloads: ${JSON.stringify(r.push.workloads, null, 1)}`)
    out.push(`minimum = ${r.push.minimumDefinition}`)
  }
  if (r.cold) {
    out.push(
      `\n== cold: four services, a dependency step each (at ${r.cold.points.length} points), previous release in a fresh registry, no local images or build cache, median of ${r.cold.runs}\n`,
    )
    const rows = [
      [
        'scenario',
        'action wall',
        'recipe wall',
        'action / recipe',
        'target',
        'requests action / recipe',
        'built (expected)',
        'action wall times (ms)',
        'recipe wall times (ms)',
      ],
    ]
    for (const sc of Object.values(r.cold.scenarios)) {
      const builtCounts = sc.action.images.map(
        (images) => images.filter((image) => image.built).length,
      )
      rows.push([
        sc.what,
        s(sc.action.wallMsMedian),
        s(sc.recipe.wallMsMedian),
        `${sc.ratio}x`,
        sc.target === null ? 'none' : `<= ${sc.target}x`,
        `${sc.action.requests.join(' ')} / ${sc.recipe.requests.join(' ')} (${sc.requestsRatio}x)`,
        `${builtCounts.join(' ')} (${sc.expectedBuilt})`,
        sc.action.wallMs.join(' '),
        sc.recipe.wallMs.join(' '),
      ])
    }
    out.push(table(rows))
    out.push(`\nworkload: ${r.cold.workload}; previous release: ${r.cold.previousRelease}`)
  }
  if (r.startup) {
    const st = r.startup
    out.push(`\n== start-up, median of ${st.runs} fresh processes each, alternating\n`)
    out.push(
      table([
        ['', 'median', 'vs node -e ""', 'all (ms)'],
        [
          'node dist/index.js, dry-run, 4 images',
          `${Math.round(st.dryRunMsMedian)} ms`,
          `${st.ratio}x`,
          st.dryRunMs.join(' '),
        ],
        ['node -e "" (baseline)', `${Math.round(st.nodeMsMedian)} ms`, '1x', st.nodeMs.join(' ')],
      ]),
    )
    out.push(
      `\ndist/: ${st.bundle.bytes} bytes (${(st.bundle.bytes / 2 ** 20).toFixed(2)} MiB) in ${st.bundle.files.length} files: ${st.bundle.files.map((f) => `${f.file} ${f.bytes}`).join(', ')}`,
    )
  }
  if (r.scale) {
    out.push(`\n== scale: ensure-repositories, 20 images, 2,000 repositories in the OCI double\n`)
    if (r.scale.skipped) {
      out.push(`SKIPPED: ${r.scale.skipped}`)
    } else {
      const rows = [
        [
          'scenario',
          'action calls (list/get/create)',
          'action time',
          'list-all baseline calls',
          'baseline time',
          'calls vs baseline',
          'minimum',
          'calls vs minimum',
        ],
      ]
      for (const [id, sc] of Object.entries(r.scale.scenarios)) {
        const calls = (c) =>
          `${c.total} (${c.ListContainerRepositories}/${c.GetContainerRepository}/${c.CreateContainerRepository})`
        rows.push([
          id,
          calls(sc.action.calls),
          `${Math.round(sc.action.msMedian)} ms`,
          calls(sc.listAll.calls),
          `${Math.round(sc.listAll.msMedian)} ms`,
          `${ratio(sc.action.calls.total, sc.listAll.calls.total)}x`,
          sc.minimumCalls,
          `${ratio(sc.action.calls.total, sc.minimumCalls)}x`,
        ])
      }
      out.push(table(rows))
      out.push(
        `\nscenarios: ${Object.entries(r.scale.scenarios)
          .map(([id, sc]) => `${id}: ${sc.what}`)
          .join('; ')}`,
      )
      out.push(
        `minimum = ${r.scale.minimumDefinition}; times are medians of ${r.scale.runs}, SDK load (${r.scale.sdkLoadMs} ms) excluded`,
      )
    }
  }
  if (r.targets.length > 0) {
    out.push('\n== targets\n')
    out.push(
      table([
        ['', 'value', 'target', 'result'],
        ...r.targets.map((t) => [
          t.name,
          formatValue(t.value),
          t.target,
          t.pass ? 'PASS' : t.missing ? 'FAIL (not measured)' : 'FAIL',
        ]),
      ]),
    )
  }
  console.log(out.join('\n'))
}
