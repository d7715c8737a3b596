/**
 * Images that share a base, pushed side by side: the base's layer goes up once, the other
 * repositories mount it (adapters/layer-gate.ts). Counted from the token-auth registry's own access
 * log, where docker's upload of a blob ends with `PUT …/blobs/uploads/…?digest=<that blob>`.
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect, test} from 'vitest'
import {registryLayers} from '../fixtures/registry-probe.js'
import {runAction} from '../fixtures/run-action.js'
import {testEnvironment, uniqueNamespace} from '../fixtures/test-env.js'

const env = testEnvironment()

function docker(...args: string[]): string {
  const result = spawnSync('docker', args, {encoding: 'utf8'})
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

/** A base of its own (busybox and 20 MiB of random bytes), in the open registry. */
function uniqueBase(dir: string, namespace: string): string {
  const root = join(dir, 'rootfs')
  mkdirSync(join(root, 'bin'), {recursive: true})
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'))
  chmodSync(join(root, 'bin/busybox'), 0o755)
  writeFileSync(join(root, 'runtime.bin'), randomBytes(20 * 1024 * 1024))
  const tarball = join(dir, 'base.tar')
  spawnSync('tar', ['-C', root, '-cf', tarball, '.'])
  const ref = `${env.registries.open.host}/${namespace}/shared-base:1`
  docker('import', tarball, ref)
  docker('push', '-q', ref)
  return ref
}

test('four images on one base, pushed side by side to a token-auth registry: the base layer is uploaded once', async () => {
  const namespace = uniqueNamespace('shared')
  const workspace = mkdtempSync(join(tmpdir(), 'shared-layers-'))
  const base = uniqueBase(workspace, namespace)
  const names = ['one', 'two', 'three', 'four']
  for (const name of names) {
    mkdirSync(join(workspace, name))
    writeFileSync(join(workspace, name, 'app.bin'), randomBytes(512 * 1024))
    writeFileSync(join(workspace, name, 'Dockerfile'), `FROM ${base}\nCOPY app.bin /app.bin\n`)
  }
  const registry = env.registries.token
  const inputs = {
    builder: 'docker',
    registry: registry.host,
    username: registry.username,
    'auth-token': registry.password,
    namespace,
    images: names.map((name) => `- ${name}: ${name}`).join('\n'),
    tags: 'type=sha\ntype=raw,value=latest',
  }
  // Built once without pushing, as on a warm runner: the pushes then follow each other closely
  // (every build is a cache hit), which is when two of them would upload the base side by side.
  const warm = await runAction({workspace, inputs: {...inputs, push: 'false'}})
  expect(warm.exitCode, warm.stdout + warm.stderr).toBe(0)
  const run = await runAction({workspace, inputs})
  expect(run.exitCode, run.stdout + run.stderr).toBe(0)
  const [baseLayer] = await registryLayers(registry, `${namespace}/one`, 'latest')
  for (const name of names)
    expect((await registryLayers(registry, `${namespace}/${name}`, 'latest'))[0]).toBe(baseLayer)
  const log = readFileSync(registry.log, 'utf8').split('\n')
  const encoded = encodeURIComponent(baseLayer)
  const ours = log.filter((line) => line.includes(`/v2/${namespace}/`))
  const uploads = ours.filter(
    (line) =>
      /"PUT \S+\/blobs\/uploads\//.test(line) &&
      (line.includes(`digest=${encoded}`) || line.includes(`digest=${baseLayer}`)),
  )
  const mounts = ours.filter(
    (line) =>
      /"POST \S+\/blobs\/uploads\/\?\S*mount=/.test(line) &&
      (line.includes(encoded) || line.includes(baseLayer)) &&
      /" 201 /.test(line),
  )
  expect(uploads, uploads.join('\n')).toHaveLength(1)
  expect(mounts).toHaveLength(3)
}, 240_000)
