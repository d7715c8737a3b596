// The README's figures, made from a results file and nothing else: `node bench/readme.mjs` writes
// them between the README's bench markers, and __tests__/docs/readme-figures.test.ts checks that
// what the README says is what bench/results/latest.json holds. Pure: results in, markdown out.
import {exactRatio, formatValue} from './targets.mjs'

export const BEGIN =
  '<!-- bench:begin (written by node bench/readme.mjs from bench/results/latest.json) -->'
export const END = '<!-- bench:end -->'

const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`
const times = (value) => `${formatValue(value === null ? null : Number(value.toFixed(2)))}×`

function row(cells) {
  return `| ${cells.join(' | ')} |`
}

function tableOf(header, rows) {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n')
}

/** "0.74× (5.10 s vs 6.90 s)", with "misses the target" when a target row says so. */
function versus(a, b, format, target) {
  const value = exactRatio(a, b)
  const miss = target && !target.pass ? ': misses the target' : ''
  return `${times(value)} (${format(a)} vs ${format(b)})${miss}`
}

function targetRow(results, name) {
  return results.targets?.find((target) => target.name === name)
}

function pushSection(results) {
  const push = results.push
  if (!push) return []
  const out = []
  const realistic = push.workloads?.realistic
  if (realistic) {
    out.push(
      `**Push from a warm engine to an empty registry, realistic images**: four services on a base of ${realistic.base}; per service ${realistic.services.join(', ')}. Tags \`sha-…\` + \`latest\`, every image built once before timing, nothing to reuse. Baseline: the OCIR guide's recipe (\`docker build\`, \`docker tag\` ×2, \`docker push\` ×2 per service, one after another). Median of ${push.runs}.`,
      '',
    )
    const rows = []
    for (const [id, label] of [
      ['realisticOpen', 'open registry'],
      ['realisticToken', 'token-auth registry (as OCIR)'],
    ]) {
      const scenario = push.scenarios?.[id]
      if (!scenario) continue
      const {action, recipe} = scenario.contestants
      rows.push([
        `${label}: wall time`,
        versus(
          action.wallMsMedian,
          recipe.wallMsMedian,
          seconds,
          targetRow(results, `push ${id}: wall time, action / recipe`),
        ),
        '≤ 0.8×',
      ])
      rows.push([
        `${label}: registry requests`,
        `${versus(action.requestsMedian, recipe.requestsMedian, String, targetRow(results, `push ${id}: requests, action / recipe`))}; minimum ${action.minimumRequests}`,
        '≤ 1.0×',
      ])
    }
    out.push(tableOf(['figure', 'action vs recipe', 'target'], rows), '')
    out.push(...cpuTable(push))
    const open = push.scenarios?.realisticOpen?.contestants
    if (open?.signed) {
      const attestationRows = ['provenance', 'sbom']
        .filter((name) => open[name])
        .map((name) => [
          `\`attestations: ${name}\``,
          versus(
            open[name].wallMsMedian,
            open.signed.wallMsMedian,
            seconds,
            targetRow(
              results,
              `push realisticOpen: wall time with attestations: ${name} / signed release`,
            ),
          ),
          name === 'provenance' ? '≤ 1.1×' : '≤ 1.3×',
        ])
      out.push(
        '**What attestations cost** on the same workload (open registry): the release signed with a `sign-key`, with attestations against without.',
        '',
        tableOf(
          ['release', 'wall time vs the signed release without attestations', 'target'],
          attestationRows,
        ),
        '',
      )
    }
  }
  const overhead = push.scenarios?.overhead
  if (overhead) {
    const {action, recipe} = overhead.contestants
    out.push(
      `**Overhead**: the same push of the todo app in \`examples/todo-app\` (four FROM scratch images of a few bytes, open registry), where pushing costs nothing and the process start, planning and the action's own HTTP calls are what is timed. No target.`,
      '',
      tableOf(
        ['figure', 'action vs recipe'],
        [
          ['wall time', versus(action.wallMsMedian, recipe.wallMsMedian, seconds)],
          [
            'registry requests',
            `${versus(action.requestsMedian, recipe.requestsMedian, String)}; minimum ${action.minimumRequests}`,
          ],
        ],
      ),
      '',
    )
  }
  return out
}

/**
 * Where the CPU goes in the realistic push scenarios (medians per run): the contestant's own
 * processes, the engine, the registry, and how busy the machine's cores were.
 */
function cpuTable(push) {
  const cpuSeconds = (ms) => `${(ms / 1000).toFixed(1)} s`
  const rows = []
  for (const [id, label] of [
    ['realisticOpen', 'open registry'],
    ['realisticToken', 'token-auth registry'],
  ]) {
    const contestants = push.scenarios?.[id]?.contestants
    for (const [name, who] of [
      ['action', 'action (node and the CLIs it starts)'],
      ['recipe', 'recipe (its docker CLIs)'],
    ]) {
      const contestant = contestants?.[name]
      const cpu = contestant?.cpuMsMedian
      if (!cpu) continue
      const capacity = cpu.machineBusy + cpu.machineIdle
      rows.push([
        `${label}, ${who}`,
        seconds(contestant.wallMsMedian),
        cpuSeconds(cpu.tools),
        cpuSeconds(cpu.engine),
        cpuSeconds(cpu.registry),
        `${cpuSeconds(cpu.machineBusy)} of ${cpuSeconds(capacity)} (${Math.round((100 * cpu.machineBusy) / capacity)} %)`,
      ])
    }
  }
  if (rows.length === 0) return []
  return [
    '**Where the CPU goes** in those runs (CPU time, medians per run): both sides have the engine do the same work (builds from cache, then gzip and upload every layer); the action runs it side by side, so the machine is busy for more of the run.',
    '',
    tableOf(
      [
        'run',
        'wall time',
        "contestant's processes",
        'engine (dockerd, containerd)',
        'registry',
        'machine busy, all cores',
      ],
      rows,
    ),
    '',
  ]
}

function coldSection(results) {
  const cold = results.cold
  if (!cold) return []
  const rows = Object.values(cold.scenarios).map((scenario) => {
    const target =
      scenario.target === null
        ? undefined
        : targetRow(results, `cold, ${scenario.what}: wall time, action / recipe`)
    const requests = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
    return [
      scenario.what,
      versus(scenario.action.wallMsMedian, scenario.recipe.wallMsMedian, seconds, target),
      versus(requests(scenario.action.requests), requests(scenario.recipe.requests), String),
      scenario.target === null ? 'none' : `≤ ${scenario.target}×`,
    ]
  })
  return [
    `**Push from a cold runner**: four services, each with a dependency step; the registry holds the previous release, pushed by the action; the engine has no image or build cache of the project. Baseline: the same recipe on the same cold engine. Median of ${cold.runs}. Workload: ${cold.workload}.`,
    '',
    tableOf(
      [
        'scenario',
        'wall time, action vs recipe',
        'registry requests, action vs recipe',
        'target (wall)',
      ],
      rows,
    ),
    '',
  ]
}

function startupSection(results) {
  const startup = results.startup
  if (!startup) return []
  const dryRun = targetRow(results, 'dry-run cold start, ms')
  return [
    '**Start-up**, what a runner pays before the action does anything:',
    '',
    tableOf(
      ['figure', 'measured', 'baseline', 'target'],
      [
        [
          `cold start of a four-image dry run, median of ${startup.runs}`,
          `${Math.round(startup.dryRunMsMedian)} ms (${times(exactRatio(startup.dryRunMsMedian, startup.nodeMsMedian))})${dryRun && !dryRun.pass ? ': misses the target' : ''}`,
          `\`node -e ""\`: ${Math.round(startup.nodeMsMedian)} ms`,
          '< 300 ms',
        ],
        [
          'bundle size (`dist/`, all files)',
          `${(startup.bundle.bytes / 2 ** 20).toFixed(2)} MiB`,
          'none (an absolute limit)',
          '< 3 MiB',
        ],
      ],
    ),
    '',
  ]
}

function scaleSection(results) {
  const scale = results.scale
  if (!scale || scale.skipped || !scale.scenarios) return []
  const rows = Object.values(scale.scenarios).map((scenario) => [
    scenario.what,
    versus(scenario.action?.calls?.total, scenario.listAll?.calls?.total, String),
    versus(scenario.action?.msMedian, scenario.listAll?.msMedian, (ms) => `${Math.round(ms)} ms`),
  ])
  return [
    '**`ensure-repositories`** for 20 images against the OCI test double holding 2,000 repositories (pages of 100). Baseline: one listing of every repository of the tenancy shared by all names, then a get or a create per name.',
    '',
    tableOf(
      ['scenario', 'API calls, action vs list-all baseline', 'time, action vs baseline'],
      rows,
    ),
    '',
  ]
}

function replicateSection(results) {
  const replicate = results.replicate
  if (!replicate) return []
  const {wall, rss} = replicate
  const wallTarget = targetRow(results, 'replication: wall time, two more registries / one')
  const rssTarget = targetRow(results, 'replication of a 1 GiB layer: peak RSS, bytes')
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  return [
    `**Replication**: four images FROM one base of 20 MiB of random data (warm build cache, fresh registries per run), released to one registry against the same release with \`replicate-to\` two more registries. Median of ${wall.runs ?? results.settings?.runs}.`,
    '',
    tableOf(
      ['figure', 'measured', 'target'],
      [
        [
          'wall time, two more registries vs one',
          versus(wall.three.wallMsMedian, wall.one.wallMsMedian, seconds, wallTarget),
          '≤ 1.3×',
        ],
        [
          `peak RSS copying one ${mib(rss.layerBytes)} layer`,
          `${mib(rss.peakRssBytes)} (${seconds(rss.ms)})${rssTarget && !rssTarget.pass ? ': misses the target' : ''}`,
          '< 200 MiB',
        ],
      ],
    ),
    '',
    ...replicateCpuTable(wall),
  ]
}

/** Where the CPU of the two releases went (medians), when the results have it. */
function replicateCpuTable(wall) {
  const one = wall.one.cpuMsMedian
  const three = wall.three.cpuMsMedian
  if (!one || !three) return []
  const cpuSeconds = (ms) => `${(ms / 1000).toFixed(1)} s`
  const busy = (cpu) =>
    `${Math.round((100 * cpu.machineBusy) / (cpu.machineBusy + cpu.machineIdle))} %`
  const row = (label, name) => [label, cpuSeconds(one[name]), cpuSeconds(three[name])]
  return [
    "Where the CPU goes (medians; the registries run on the bench's cores, where a runner's would be elsewhere):",
    '',
    tableOf(
      ['CPU time', 'one registry', 'two more registries'],
      [
        row('the action (node and the CLIs it starts)', 'tools'),
        row('the engine (dockerd, containerd)', 'engine'),
        row("the run's own registry", 'registry'),
        ['the two target registries', '–', cpuSeconds(three.targets)],
        ['machine busy', busy(one), busy(three)],
      ],
    ),
    '',
  ]
}

/** The markdown between the README's markers. */
export function speedFigures(results) {
  const lines = [
    `Measured ${results.date.slice(0, 10)} on ${results.machine.cpus} cores (${results.machine.cpuModel ?? 'unknown CPU'}), Docker ${results.machine.docker ?? '?'} (${results.machine.dockerStorage ?? '?'} storage), bundle \`${results.dist.sha256.slice(0, 12)}\` (commit ${results.dist.commit.slice(0, 7)}).${results.complete ? '' : ' These results are incomplete.'}`,
    '',
    ...pushSection(results),
    ...coldSection(results),
    ...replicateSection(results),
    ...startupSection(results),
    ...scaleSection(results),
  ]
  return lines.join('\n').trim()
}

/** Markdown with table padding, line breaks and spacing normalised, for comparing. */
export function normalised(markdown) {
  return markdown
    .replace(/-{3,}/g, '---')
    .replace(/\s+/g, ' ')
    .replace(/ ?\| ?/g, '|')
    .trim()
}
