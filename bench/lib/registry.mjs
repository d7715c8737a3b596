// A throwaway distribution registry per measured run, its access log, and the request count a
// perfect client would need for what ended up in it.
import {spawn} from 'node:child_process'
import {createPrivateKey} from 'node:crypto'
import {cpSync, openSync, readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {portOpen, registryConfig, STATE_DIR, waitFor} from '../../scripts/test-env/index.mjs'
import {processCpuMs} from './cpu.mjs'
import {signRegistryToken} from '../../scripts/test-env/registry-jwt.mjs'

/** User agent of the bench's own look-ups, left out of every count. */
export const BENCH_USER_AGENT = 'ocir-push-bench'

const usedPorts = new Set()

/** Every registry host this process started, e.g. for removing the local tags that point at them. */
export function benchHosts() {
  return [...usedPorts].map((port) => `127.0.0.1:${port}`)
}

/** A free port on 127.0.0.1 never handed out before in this process (see startRegistry). */
async function freshPort() {
  for (;;) {
    const port = await new Promise((resolvePort) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const {port: chosen} = server.address()
        server.close(() => resolvePort(chosen))
      })
    })
    if (!usedPorts.has(port)) {
      usedPorts.add(port)
      return port
    }
  }
}

/**
 * Starts `docker-registry serve` on a port of its own. A new port every time matters: dockerd
 * remembers which blobs it pushed to which registry host, and on a host it has seen it tries
 * cross-repository mounts, which would change the request count of whoever comes second.
 * `seedFrom`: the storage directory of a stopped registry, copied in before it starts, so the new
 * registry holds what was pushed there (under a host the engine has never pushed to).
 */
export async function startRegistry(work, name, {seedFrom, auth = 'open'} = {}) {
  const port = await freshPort()
  const token = auth === 'token' ? tokenService() : undefined
  const config = registryConfig(name, port, token ? token.config : [], work)
  if (seedFrom) cpSync(seedFrom, join(work, `registry-${name}`), {recursive: true})
  const accessLog = join(work, `${name}.access.log`)
  const child = spawn('docker-registry', ['serve', config], {
    // distribution 2.8 writes the access log (Apache combined format) on stdout, its own log on stderr
    stdio: ['ignore', openSync(accessLog, 'w'), openSync(join(work, `${name}.log`), 'w')],
  })
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit))
  await waitFor(`registry ${name} on port ${port}`, () => portOpen(port))
  return {
    name,
    port,
    host: `127.0.0.1:${port}`,
    accessLog,
    root: join(work, `registry-${name}`),
    auth,
    /** How the contestants log in: none for an open registry. */
    login: token?.login,
    /** CPU the registry process has used so far, in ms (read it before stop). */
    cpuMs: () => processCpuMs(child.pid),
    /** The bench's own read access to these repositories (a token it signs itself). */
    readAuthorization: (repositories) => token?.readAuthorization(repositories),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

/**
 * Token auth as OCIR does it (a Bearer challenge, a token service elsewhere), through the test
 * environment's token issuer and its users (`scripts/test-env` up must have run).
 */
function tokenService() {
  const environment = JSON.parse(readFileSync(join(STATE_DIR, 'env.json'), 'utf8')).registries.token
  const privateKey = createPrivateKey(readFileSync(environment.issuerKey))
  return {
    config: [
      'auth:',
      '  token:',
      `    realm: ${environment.realm}`,
      `    service: ${environment.service}`,
      `    issuer: ${environment.issuer}`,
      `    rootcertbundle: ${environment.issuerCert}`,
    ],
    login: {username: environment.username, password: environment.password},
    readAuthorization: (repositories) =>
      `Bearer ${signRegistryToken({
        privateKey,
        issuer: environment.issuer,
        service: environment.service,
        account: 'ocir-push-bench',
        scopes: repositories.map((repository) => `repository:${repository}:pull`),
      })}`,
  }
}

// 127.0.0.1 - - [23/Nov/2026:12:34:48 +0000] "HEAD /v2/acme/fe/blobs/sha256:… HTTP/1.1" 404 157 "" "docker/20.10.24 …"
const ACCESS_LINE = /^\S+ \S+ \S+ \[[^\]]+\] "(\S+) (\S+) HTTP\/[\d.]+" (\d{3}) \S+ "[^"]*" "(.*)"$/

/** Every HTTP request in a distribution access log, except the bench's own. */
export function readAccessLog(path) {
  const requests = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = ACCESS_LINE.exec(line)
    if (!match) continue
    const [, method, target, status, userAgent] = match
    if (userAgent === BENCH_USER_AGENT) continue
    requests.push({
      method,
      target,
      status: Number(status),
      client: userAgent.startsWith('docker/') ? 'docker' : 'other',
      kind: requestKind(method, target),
    })
  }
  return requests
}

function requestKind(method, target) {
  const path = target.split('?')[0]
  if (path === '/v2/' || path === '/v2') return 'ping'
  if (path.includes('/blobs/uploads/')) {
    if (method === 'POST') return target.includes('mount=') ? 'blob mount' : 'upload start'
    return method === 'PATCH'
      ? 'upload chunk'
      : method === 'PUT'
        ? 'upload finish'
        : `upload ${method}`
  }
  if (path.includes('/blobs/')) return method === 'HEAD' ? 'blob check' : `blob ${method}`
  if (path.includes('/manifests/')) return `manifest ${method}`
  if (path.endsWith('/tags/list')) return 'tags list'
  return `other ${method}`
}

/** `{kind: count}`, and the same per client (docker CLI/daemon vs the action's own HTTP). */
export function summarizeRequests(requests) {
  const byKind = {}
  const byClient = {}
  for (const request of requests) {
    byKind[request.kind] = (byKind[request.kind] ?? 0) + 1
    byClient[request.client] = (byClient[request.client] ?? 0) + 1
  }
  return {total: requests.length, byKind, byClient}
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ')

function readHeaders(authorization) {
  return {
    accept: MANIFEST_TYPES,
    'user-agent': BENCH_USER_AGENT,
    ...(authorization ? {authorization} : {}),
  }
}

async function getJson(url, authorization) {
  const response = await fetch(url, {headers: readHeaders(authorization)})
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`)
  return response.json()
}

/** One manifest (by tag or digest), read with the bench's user agent. */
export function readManifest(host, repository, reference, authorization) {
  return getJson(`http://${host}/v2/${repository}/manifests/${reference}`, authorization)
}

/**
 * What the registry holds for these repositories, read through the v2 API after the run:
 * tags, and per repository the distinct blobs (layers + config) and child manifests (of an index).
 */
export async function readPushedContent(host, repositories, authorization) {
  const content = []
  for (const repository of repositories) {
    const base = `http://${host}/v2/${repository}`
    const {tags} = await getJson(`${base}/tags/list`, authorization)
    const blobs = new Set()
    const childManifests = new Set()
    const digests = {}
    for (const tag of [...(tags ?? [])].sort()) {
      const response = await fetch(`${base}/manifests/${tag}`, {
        headers: readHeaders(authorization),
      })
      if (!response.ok) throw new Error(`GET ${base}/manifests/${tag}: HTTP ${response.status}`)
      digests[tag] = response.headers.get('docker-content-digest')
      const manifest = await response.json()
      const images = []
      if (Array.isArray(manifest.manifests)) {
        for (const child of manifest.manifests) {
          childManifests.add(child.digest)
          images.push(await getJson(`${base}/manifests/${child.digest}`, authorization))
        }
      } else {
        images.push(manifest)
      }
      for (const image of images) {
        if (image.config?.digest) blobs.add(image.config.digest)
        for (const layer of image.layers ?? []) blobs.add(layer.digest)
      }
    }
    content.push({
      repository,
      tags: [...(tags ?? [])].sort(),
      digests,
      blobs: [...blobs],
      childManifests: [...childManifests],
    })
  }
  return content
}

/** How the theoretical minimum is counted; printed with the results. */
export const MINIMUM_DEFINITION =
  '1 ping (GET /v2/) per run; per repository, per distinct blob (layers + config): 1 existence ' +
  'check (HEAD) + 2 for the upload (POST to open it, PUT with the whole blob: the monolithic ' +
  'upload every v2 registry supports), or 1 cross-repository mount (POST ?mount=) when the blob ' +
  'was already uploaded to another repository of the run; 1 PUT per child manifest of an index; ' +
  '1 manifest PUT per tag (the client already holds the manifest bytes, so no GET)'

/** The request count of a perfect client for this content (see MINIMUM_DEFINITION). */
export function minimumRequests(content) {
  const uploaded = new Set()
  let total = 1
  for (const repository of content) {
    for (const blob of repository.blobs) {
      total += uploaded.has(blob) ? 1 : 3
      uploaded.add(blob)
    }
    total += repository.childManifests.length + repository.tags.length
  }
  return total
}
