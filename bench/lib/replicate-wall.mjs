// Replication's wall time, measured: the four-image workload (four services FROM one base of
// 20 MiB of random data, `docker import`ed) released by `node dist/index.js` to one throwaway
// registry, against the same release with `replicate-to` two more throwaway registries. Runs are
// interleaved (the order rotates each round) after one untimed warm-up each, so the build cache
// is warm for both; the target is a ratio of medians of at most 1.3.
import {execFileSync, spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cpuReading, cpuSince} from './cpu.mjs'
import {runnerEnv, timed} from './push.mjs'
import {benchHosts, readPushedContent, startRegistry} from './registry.mjs'
import {median, ratio} from './stats.mjs'

const NAMESPACE = 'acme'
const SERVICES = ['svc-a', 'svc-b', 'svc-c', 'svc-d']
const BASE_BYTES = 20 * 1024 * 1024
const TAGS = 'type=sha\ntype=raw,value=latest'

/** The base image (random data, plus a static busybox when there is one) and four services FROM it. */
function makeWorkload(work) {
  const root = join(work, 'base-root')
  mkdirSync(join(root, 'data'), {recursive: true})
  writeFileSync(join(root, 'data', 'random'), randomBytes(BASE_BYTES))
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((path) => existsSync(path))
  if (busybox) {
    mkdirSync(join(root, 'bin'), {recursive: true})
    copyFileSync(busybox, join(root, 'bin', 'busybox'))
    symlinkSync('busybox', join(root, 'bin', 'sh'))
  }
  const tag = `ocir-push-bench/replication-base:${Date.now().toString(36)}`
  execFileSync('sh', ['-c', `tar -C "${root}" -c . | docker import - ${tag}`], {stdio: 'ignore'})
  const workspace = join(work, 'workspace')
  for (const name of SERVICES) {
    mkdirSync(join(workspace, name), {recursive: true})
    writeFileSync(join(workspace, name, 'app.txt'), `${name}\n`)
    writeFileSync(join(workspace, name, 'Dockerfile'), `FROM ${tag}\nCOPY app.txt /app.txt\n`)
  }
  return {workspace, tag}
}

/** One release: fresh registries (the run's own, plus `replicas` more), timed end to end. */
async function measure({root, work, workspace, replicas, name, log}) {
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  const registries = []
  try {
    for (let index = 0; index <= replicas; index++)
      registries.push(await startRegistry(work, `${name}-${index}`))
    const [primary, ...targets] = registries
    const inputs = {
      registry: primary.host,
      namespace: NAMESPACE,
      images: SERVICES.map((service) => `- ${service}: ./${service}`).join('\n'),
      tags: TAGS,
      builder: 'docker',
      ...(targets.length > 0
        ? {'replicate-to': targets.map((target) => target.host).join('\n')}
        : {}),
    }
    const before = cpuReading()
    const result = await timed(process.execPath, [join(root, 'dist/index.js')], {
      cwd: workspace,
      env: runnerEnv(root, dir, inputs, {}, {workspace}),
    })
    // Where the CPU went: the action, the engine, the run's registry, the targets' registries.
    const cpu = {
      ...cpuSince(before),
      registry: primary.cpuMs(),
      targets: targets.reduce((sum, target) => sum + target.cpuMs(), 0),
    }
    if (result.exitCode !== 0)
      throw new Error(
        `release ${name} failed (exit ${result.exitCode}):\n${result.output.split('\n').slice(-25).join('\n')}`,
      )
    // Every target must hold what the run's own registry holds, under the same digests.
    const repositories = SERVICES.map((service) => `${NAMESPACE}/${service}`)
    const expected = JSON.stringify(
      (await readPushedContent(primary.host, repositories)).map((r) => r.digests),
    )
    for (const target of targets) {
      const held = JSON.stringify(
        (await readPushedContent(target.host, repositories)).map((r) => r.digests),
      )
      if (held !== expected)
        throw new Error(`release ${name}: ${target.host} holds ${held}, expected ${expected}`)
    }
    log(`  ${name.padEnd(14)} ${(result.ms / 1000).toFixed(2).padStart(6)} s`)
    return {ms: result.ms, cpu}
  } finally {
    for (const registry of registries) {
      await registry.stop()
      rmSync(registry.root, {recursive: true, force: true})
    }
  }
}

/**
 * `runs` rounds of both releases, interleaved; returns each one's wall times and median, and the
 * ratio of the medians (three registries / one).
 */
export async function benchReplicateWall({root, work, runs, log}) {
  mkdirSync(work, {recursive: true})
  const {workspace, tag} = makeWorkload(work)
  const contestants = [
    {id: 'one', replicas: 0},
    {id: 'three', replicas: 2},
  ]
  try {
    log('replicate-wall: warm-up (one untimed release each, builds the images once)')
    for (const contestant of contestants)
      await measure({root, work, workspace, ...contestant, name: `warmup-${contestant.id}`, log})
    const samples = {one: [], three: []}
    for (let round = 0; round < runs; round++) {
      log(`replicate-wall: round ${round + 1}/${runs}`)
      const order = round % 2 === 0 ? contestants : [...contestants].reverse()
      for (const contestant of order)
        samples[contestant.id].push(
          await measure({
            root,
            work,
            workspace,
            ...contestant,
            name: `r${round + 1}-${contestant.id}`,
            log,
          }),
        )
    }
    const summary = (list) => ({
      wallMsMedian: median(list.map((sample) => sample.ms)),
      wallMs: list.map((sample) => Math.round(sample.ms)),
      cpuMsMedian: Object.fromEntries(
        Object.keys(list[0].cpu).map((name) => [
          name,
          Math.round(median(list.map((sample) => sample.cpu[name]))),
        ]),
      ),
    })
    const one = summary(samples.one)
    const three = summary(samples.three)
    return {
      workload: `${SERVICES.length} images FROM one base of ${BASE_BYTES / 1024 / 1024} MiB of random data, builder docker, tags sha + latest; fresh open registries per run`,
      runs,
      one,
      three,
      ratio: ratio(three.wallMsMedian, one.wallMsMedian),
    }
  } finally {
    // The base, and the local tags the releases left (they name the throwaway registries).
    const hosts = benchHosts()
    const local = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], {
      encoding: 'utf8',
    })
    const refs = (local.stdout ?? '')
      .split('\n')
      .filter((ref) => hosts.some((host) => ref.startsWith(`${host}/`)))
    spawnSync('docker', ['image', 'rm', '-f', tag, ...refs], {stdio: 'ignore'})
  }
}
