#!/usr/bin/env node
// The project's own test environment: a Docker engine, three registries on 127.0.0.1 (open,
// htpasswd, token auth with our issuer) and a local base image, because no public registry is
// reachable. Idempotent: what already runs is reused, and `down` stops only what `up` started.
// A service on 5000-5003 is reused only when it is the one `up` started (its pid in pids.json,
// holding the port, running the command up starts it with); a stranger there is refused.
//
//   node scripts/test-env/index.mjs up       start what is missing, print the environment as JSON
//   node scripts/test-env/index.mjs down     stop what up started
//   node scripts/test-env/index.mjs status
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync, openSync, rmSync} from 'node:fs'
import {createConnection} from 'node:net'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {checkListener, isOurProcess, whatToDo} from './ownership.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const STATE_DIR = process.env.OCIR_PUSH_ENV_DIR ?? '/tmp/ocir-push-env'
const PIDS = join(STATE_DIR, 'pids.json')
const ENV_FILE = join(STATE_DIR, 'env.json')

const USER = 'tester'
const PASSWORD = 'Test-Pa55word-7f3a'
const OCIR_STYLE_USER = 'testns/oracleidentitycloudservice/tester@example.com'
const SERVICE = 'ocir-push-test-registry'
const ISSUER = 'ocir-push-test-issuer'

const PORTS = {open: 5000, htpasswd: 5001, token: 5002, issuer: 5003}
/** The name each port's service has in pids.json. */
const SERVICES = {
  open: 'registry-open',
  htpasswd: 'registry-htpasswd',
  token: 'registry-token',
  issuer: 'token-issuer',
}
const BASE_IMAGE = 'ocir-push-test/busybox:latest'
const BASE_IMAGE_IN_REGISTRY = `127.0.0.1:${PORTS.open}/ocir-push-test/busybox:latest`

/**
 * Debian packages per command the suite uses; `up` installs the missing ones, all in one go,
 * whichever they are (a runner with Docker but no podman gets podman, and so on).
 */
const PACKAGES = {
  dockerd: 'docker.io',
  'docker-registry': 'docker-registry',
  busybox: 'busybox-static',
  openssl: 'openssl',
  buildah: 'buildah',
  podman: 'podman',
}

const log = (message) => process.stderr.write(`[test-env] ${message}\n`)

function have(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], {stdio: 'ignore'}).status === 0
}

export function ensurePackages() {
  const missing = Object.entries(PACKAGES).filter(([command]) => !have(command))
  if (missing.length === 0) return
  const packages = missing.map(([, pkg]) => pkg)
  if (!have('apt-get')) {
    throw new Error(
      `missing commands: ${missing.map(([c]) => c).join(', ')}. This script installs them with apt-get on Debian/Ubuntu; ` +
        `on this machine install them yourself (Debian package names: ${packages.join(', ')}; elsewhere: Docker Engine, ` +
        `the CNCF distribution registry "registry" binary, a static busybox, openssl, buildah, podman), then run again.`,
    )
  }
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n']
  log(`installing ${packages.join(' ')} with apt-get`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  const run = (args) => {
    const [cmd, ...rest] = [...sudo, ...args]
    const result = spawnSync(cmd, rest, {stdio: ['ignore', 'ignore', 'inherit'], env})
    if (result.status !== 0)
      throw new Error(
        `'${args.join(' ')}' failed; install ${packages.join(' ')} yourself and run again`,
      )
  }
  run(['apt-get', 'update', '-qq'])
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages])
}

export function portOpen(port) {
  return new Promise((resolve) => {
    const socket = createConnection({host: '127.0.0.1', port})
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

export async function waitFor(what, check, seconds = 60) {
  const deadline = Date.now() + seconds * 1000
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${what} did not come up within ${seconds}s (logs in ${STATE_DIR})`)
}

function readPids() {
  return existsSync(PIDS) ? JSON.parse(readFileSync(PIDS, 'utf8')) : {}
}

function startDetached(name, command, args) {
  mkdirSync(STATE_DIR, {recursive: true})
  const out = openSync(join(STATE_DIR, `${name}.log`), 'a')
  const child = spawn(command, args, {detached: true, stdio: ['ignore', out, out]})
  child.unref()
  const pids = readPids()
  pids[name] = child.pid
  writeFileSync(PIDS, JSON.stringify(pids, null, 2))
  log(`started ${name} (pid ${child.pid})`)
}

const dockerWorks = () => spawnSync('docker', ['info'], {stdio: 'ignore'}).status === 0

export async function ensureDocker() {
  if (dockerWorks()) return
  ensurePackages()
  startDetached('dockerd', 'dockerd', ['--storage-driver=vfs', '--iptables=false', '--bridge=none'])
  await waitFor('the Docker engine', dockerWorks, 90)
}

function writeCertificate() {
  const key = join(STATE_DIR, 'issuer-key.pem')
  const cert = join(STATE_DIR, 'issuer-cert.pem')
  if (!existsSync(cert)) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '3650',
        '-subj',
        '/CN=ocir-push-test-issuer',
      ],
      {stdio: 'ignore'},
    )
  }
  return {key, cert}
}

export function registryConfig(name, port, auth, stateDir = STATE_DIR) {
  const root = join(stateDir, `registry-${name}`)
  mkdirSync(root, {recursive: true})
  const path = join(stateDir, `registry-${name}.yml`)
  writeFileSync(
    path,
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: false',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${root}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      ...auth,
      '',
    ].join('\n'),
  )
  return path
}

/**
 * What listens on each port: `free`, `ours` (the service up started there), or a `stranger`, with
 * who holds it (see checkListener).
 */
export async function portOwners() {
  const owners = {}
  for (const [service, port] of Object.entries(PORTS)) {
    if (!(await portOpen(port))) {
      owners[port] = {owner: 'free'}
      continue
    }
    const verdict = checkListener({
      name: SERVICES[service],
      port,
      pids: readPids(),
      stateDir: STATE_DIR,
    })
    owners[port] = verdict.ours ? {owner: 'ours'} : {owner: 'stranger', problem: verdict.problem}
  }
  return owners
}

/** Fails, naming each port held by anything but our service and what to do, when there is one. */
async function refuseStrangers() {
  const refused = Object.entries(await portOwners()).filter(([, {owner}]) => owner === 'stranger')
  if (refused.length > 0)
    throw new Error(
      [
        ...refused.map(([, {problem}]) => `${problem}.`),
        whatToDo(refused.map(([port]) => port)),
      ].join('\n'),
    )
}

async function ensureRegistries() {
  await refuseStrangers()
  const {key, cert} = writeCertificate()
  const htpasswd = join(STATE_DIR, 'htpasswd')
  const {default: bcrypt} = await import('bcryptjs')
  writeFileSync(htpasswd, `${USER}:${bcrypt.hashSync(PASSWORD, 8)}\n`)
  const users = join(STATE_DIR, 'users.json')
  writeFileSync(users, JSON.stringify({[USER]: PASSWORD, [OCIR_STYLE_USER]: PASSWORD}))
  const configs = {
    open: registryConfig('open', PORTS.open, []),
    htpasswd: registryConfig('htpasswd', PORTS.htpasswd, [
      'auth:',
      '  htpasswd:',
      '    realm: ocir-push-test',
      `    path: ${htpasswd}`,
    ]),
    token: registryConfig('token', PORTS.token, [
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${PORTS.issuer}/token`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${cert}`,
    ]),
  }
  for (const [name, config] of Object.entries(configs)) {
    if (await portOpen(PORTS[name])) continue
    startDetached(`registry-${name}`, 'docker-registry', ['serve', config])
  }
  if (!(await portOpen(PORTS.issuer))) {
    startDetached('token-issuer', process.execPath, [
      join(here, 'token-issuer.mjs'),
      String(PORTS.issuer),
      key,
      users,
      SERVICE,
      ISSUER,
    ])
  }
  for (const [name, port] of Object.entries(PORTS))
    await waitFor(`${name} on port ${port}`, () => portOpen(port))
  // A port taken by someone else while ours started: ours could not bind it, theirs answers.
  await refuseStrangers()
  return {key, cert}
}

/** A base image made from the static busybox binary, since FROM <anything public> cannot be pulled. */
function ensureBaseImage() {
  if (spawnSync('docker', ['image', 'inspect', BASE_IMAGE], {stdio: 'ignore'}).status !== 0) {
    const busybox = execFileSync('sh', ['-c', 'command -v busybox']).toString().trim()
    const root = join(STATE_DIR, 'busybox-root')
    rmSync(root, {recursive: true, force: true})
    mkdirSync(join(root, 'bin'), {recursive: true})
    execFileSync('cp', [busybox, join(root, 'bin', 'busybox')])
    for (const applet of [
      'sh',
      'echo',
      'cat',
      'ls',
      'mkdir',
      'cp',
      'true',
      'env',
      'sleep',
      'wget',
    ]) {
      execFileSync('ln', ['-sf', 'busybox', join(root, 'bin', applet)])
    }
    mkdirSync(join(root, 'tmp'))
    const tarball = join(STATE_DIR, 'busybox.tar')
    execFileSync('tar', ['-C', root, '-cf', tarball, '.'])
    execFileSync(
      'docker',
      ['import', '--change', 'ENV PATH=/bin', '--change', 'CMD ["/bin/sh"]', tarball, BASE_IMAGE],
      {stdio: 'ignore'},
    )
    log(`imported ${BASE_IMAGE}`)
  }
  // Also in the open registry, so daemonless builders (buildah, podman, buildx) can use it.
  const inRegistry = spawnSync('sh', [
    '-c',
    `wget -q -O /dev/null http://127.0.0.1:${PORTS.open}/v2/ocir-push-test/busybox/manifests/latest 2>/dev/null || curl -sf -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' http://127.0.0.1:${PORTS.open}/v2/ocir-push-test/busybox/manifests/latest`,
  ])
  if (inRegistry.status !== 0) {
    execFileSync('docker', ['tag', BASE_IMAGE, BASE_IMAGE_IN_REGISTRY])
    execFileSync('docker', ['push', BASE_IMAGE_IN_REGISTRY], {stdio: 'ignore'})
  }
}

export async function up() {
  mkdirSync(STATE_DIR, {recursive: true})
  ensurePackages()
  await ensureDocker()
  const {key, cert} = await ensureRegistries()
  ensureBaseImage()
  const environment = {
    stateDir: STATE_DIR,
    baseImage: BASE_IMAGE,
    baseImageInRegistry: BASE_IMAGE_IN_REGISTRY,
    registries: {
      open: {host: `127.0.0.1:${PORTS.open}`, log: join(STATE_DIR, 'registry-open.log')},
      htpasswd: {
        host: `127.0.0.1:${PORTS.htpasswd}`,
        username: USER,
        password: PASSWORD,
        log: join(STATE_DIR, 'registry-htpasswd.log'),
      },
      token: {
        host: `127.0.0.1:${PORTS.token}`,
        username: USER,
        ocirStyleUsername: OCIR_STYLE_USER,
        password: PASSWORD,
        realm: `http://127.0.0.1:${PORTS.issuer}/token`,
        service: SERVICE,
        issuer: ISSUER,
        issuerKey: key,
        issuerCert: cert,
        log: join(STATE_DIR, 'registry-token.log'),
      },
    },
  }
  writeFileSync(ENV_FILE, JSON.stringify(environment, null, 2))
  return environment
}

export function down(names) {
  const pids = readPids()
  // Stop registries and the issuer before the engine.
  const order = Object.keys(pids).sort((a, b) => (a === 'dockerd') - (b === 'dockerd'))
  for (const name of order) {
    if (names && !names.includes(name)) continue
    // A recorded pid the kernel has since given to another program is not ours to stop.
    if (!isOurProcess(name, pids[name], {stateDir: STATE_DIR})) {
      log(`${name} (pid ${pids[name]}) is no longer running; nothing to stop`)
    } else {
      try {
        process.kill(pids[name], 'SIGTERM')
        log(`stopped ${name}`)
      } catch {
        // already gone
      }
    }
    delete pids[name]
  }
  writeFileSync(PIDS, JSON.stringify(pids, null, 2))
}

export function started() {
  return Object.keys(readPids())
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2] ?? 'up'
  try {
    if (command === 'up') process.stdout.write(`${JSON.stringify(await up(), null, 2)}\n`)
    else if (command === 'down') down()
    else if (command === 'status')
      process.stdout.write(
        `${JSON.stringify({started: started(), docker: dockerWorks(), ports: await portOwners()}, null, 2)}\n`,
      )
    else throw new Error(`unknown command '${command}': use up, down or status`)
  } catch (err) {
    log(err instanceof Error ? err.message : String(err))
    process.exit(1)
  }
}
