// Whether what listens on a port of the test environment is the service this environment started,
// or a stranger's: the tests must never run against a registry or token issuer someone else left
// on 5000-5003 (other credentials, another issuer key, other data). Linux: read from /proc.
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {basename, join} from 'node:path'

/**
 * The command line `up` starts each service with, as a check of a process's argv: a pid recorded
 * in pids.json that the kernel has since given to another program fails it.
 */
const COMMANDS = {
  dockerd: (argv) => basename(argv[0] ?? '') === 'dockerd' && argv.includes('--storage-driver=vfs'),
  'registry-open': registryCommand('open'),
  'registry-htpasswd': registryCommand('htpasswd'),
  'registry-token': registryCommand('token'),
  'token-issuer': (argv, {port, stateDir}) =>
    basename(argv[1] ?? '') === 'token-issuer.mjs' &&
    (port === undefined || argv[2] === String(port)) &&
    argv[3] === join(stateDir, 'issuer-key.pem'),
}

function registryCommand(name) {
  return (argv, {stateDir}) =>
    basename(argv[0] ?? '') === 'docker-registry' &&
    argv[1] === 'serve' &&
    argv[2] === join(stateDir, `registry-${name}.yml`)
}

/** A process's argv, or undefined when it is gone or not ours to read. */
export function commandLine(pid, procRoot = '/proc') {
  try {
    const raw = readFileSync(join(procRoot, String(pid), 'cmdline'), 'utf8')
    return raw.split('\0').filter((word, index, all) => word !== '' || index < all.length - 1)
  } catch {
    return undefined
  }
}

/** Whether `pid` runs the command `up` starts the service `name` with (port, state dir and all). */
export function isOurProcess(name, pid, {stateDir, port, procRoot = '/proc'}) {
  const matches = COMMANDS[name]
  const argv = commandLine(pid, procRoot)
  return Boolean(matches && argv && matches(argv, {stateDir, port}))
}

/**
 * The inodes of the TCP sockets listening on `port`, whatever local address they are bound to
 * (127.0.0.1, 0.0.0.0, ::), from /proc/net/tcp and tcp6; undefined when neither can be read.
 */
export function listeningInodes(port, procRoot = '/proc') {
  let readable = false
  const inodes = []
  for (const file of ['net/tcp', 'net/tcp6']) {
    let text
    try {
      text = readFileSync(join(procRoot, file), 'utf8')
      readable = true
    } catch {
      continue
    }
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 10 || fields[3] !== '0A') continue
      if (Number.parseInt(fields[1].split(':').pop(), 16) === port) inodes.push(fields[9])
    }
  }
  return readable ? inodes : undefined
}

/** The socket inodes a process holds open; empty when it is gone or its fds are not ours to read. */
function socketInodes(pid, procRoot) {
  const inodes = new Set()
  let entries
  try {
    entries = readdirSync(join(procRoot, String(pid), 'fd'))
  } catch {
    return inodes
  }
  for (const fd of entries) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(join(procRoot, String(pid), 'fd', fd)))
      if (match) inodes.add(match[1])
    } catch {
      // closed meanwhile
    }
  }
  return inodes
}

/** Who holds a socket inode, as far as /proc lets us see: `pid 123 (cmd …)`, or undefined. */
function holderOf(inode, procRoot) {
  let pids
  try {
    pids = readdirSync(procRoot).filter((entry) => /^\d+$/.test(entry))
  } catch {
    return undefined
  }
  for (const pid of pids) {
    if (socketInodes(pid, procRoot).has(inode)) {
      const argv = commandLine(pid, procRoot)
      return `pid ${pid}${argv ? ` (${argv.join(' ').slice(0, 160)})` : ''}`
    }
  }
  return undefined
}

/**
 * Whether what listens on 127.0.0.1:`port` is the service `name` this environment started: every
 * socket listening on the port belongs to the pid pids.json records for `name`, and that process
 * runs the command `up` starts `name` with. Anything else is a stranger, and the answer says
 * which port, who holds it when /proc shows it, and what to do.
 *
 * @returns {{ours: true} | {ours: false, problem: string, advice: string, message: string}}
 */
export function checkListener({name, port, pids, stateDir, procRoot = '/proc'}) {
  const refuse = (why) => {
    const problem = `port ${port} (${name}) is held by ${why}, not by the ${name} this test environment started (state in ${stateDir})`
    const advice = whatToDo([port])
    return {ours: false, problem, advice, message: `${problem}. ${advice}`}
  }
  const inodes = listeningInodes(port, procRoot)
  if (inodes === undefined)
    return refuse(`a process this script cannot identify (no ${procRoot}/net/tcp: Linux only)`)
  if (inodes.length === 0) return refuse('nothing (no socket listens on it)')
  const pid = pids[name]
  const held = pid === undefined ? new Set() : socketInodes(pid, procRoot)
  const strangers = inodes.filter((inode) => !held.has(inode))
  if (strangers.length > 0) {
    const holder = holderOf(strangers[0], procRoot)
    const recorded = pid === undefined ? 'none recorded' : `pid ${pid} recorded`
    return refuse(`${holder ?? 'a process this environment did not start'} (${recorded})`)
  }
  if (!isOurProcess(name, pid, {stateDir, port, procRoot})) {
    const argv = commandLine(pid, procRoot)
    return refuse(
      `pid ${pid}, recorded for ${name}, which now runs ${argv ? `'${argv.join(' ').slice(0, 160)}'` : 'something else'} instead of the command up starts it with`,
    )
  }
  return {ours: true}
}

/** What to do about strangers on these ports. */
export function whatToDo(ports) {
  const list = ports.join(', ')
  return (
    `The tests will not run against a service this environment did not start: stop it or free ` +
    `port${ports.length > 1 ? 's' : ''} ${list} (\`ss -ltnp 'sport = :${ports[0]}'\` shows who ` +
    'holds a port), then run `node scripts/test-env/index.mjs up` again. A test environment ' +
    'started with another OCIR_PUSH_ENV_DIR is stopped with that OCIR_PUSH_ENV_DIR and `down`.'
  )
}
