// CPU time, from /proc (Linux): where a measured run's time goes. The contestant's own process
// tree (the action's node process and the CLIs it starts, or the recipe's shell and its docker
// CLIs) is counted when it has been waited for; the engine (dockerd and containerd) and the
// machine as a whole are read before and after; a registry is read once, before it stops.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

let tickMs
function ticksToMs(ticks) {
  tickMs ??= 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100)
  return ticks * tickMs
}

/** The fields of /proc/<pid>/stat after the command name (the first is the state). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return text.slice(text.lastIndexOf(')') + 2).split(' ')
}

/** CPU (user + system) a process has used itself, in ms; 0 when it is gone. */
export function processCpuMs(pid) {
  try {
    const fields = statFields(pid)
    return ticksToMs(Number(fields[11]) + Number(fields[12]))
  } catch {
    return 0
  }
}

/** CPU of this process's children that have ended and been waited for (with their own children). */
function waitedChildrenCpuMs() {
  const fields = statFields('self')
  return ticksToMs(Number(fields[13]) + Number(fields[14]))
}

function pidsOf(name) {
  try {
    return execFileSync('pgrep', ['-x', name], {encoding: 'utf8'}).split('\n').filter(Boolean)
  } catch {
    return []
  }
}

function engineCpuMs() {
  return [...pidsOf('dockerd'), ...pidsOf('containerd')].reduce(
    (sum, pid) => sum + processCpuMs(pid),
    0,
  )
}

/** The machine's CPU time, all cores: busy and idle (iowait counts as idle). */
function machineCpuMs() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number)
  return {
    busy: ticksToMs(user + nice + system + irq + softirq + (steal || 0)),
    idle: ticksToMs(idle + iowait),
  }
}

/** A reading to subtract from a later one (cpuSince). */
export function cpuReading() {
  return {tools: waitedChildrenCpuMs(), engine: engineCpuMs(), machine: machineCpuMs()}
}

/** CPU ms since `before`: the contestant's processes, the engine, the machine busy and idle. */
export function cpuSince(before) {
  const now = cpuReading()
  return {
    tools: now.tools - before.tools,
    engine: now.engine - before.engine,
    machineBusy: now.machine.busy - before.machine.busy,
    machineIdle: now.machine.idle - before.machine.idle,
  }
}
