// The realistic push workload: four services on a shared base of 24 MiB pulled from a local
// registry, each adding one layer of 5 to 40 MiB, some incompressible (binaries, archives), some
// compressible (text, bundles). All content is generated from fixed seeds: the same bytes on every
// run and every machine, so the build cache hits and the sizes in the README stay true.
import {spawnSync} from 'node:child_process'
import {createCipheriv, createHash} from 'node:crypto'
import {chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const MiB = 1024 * 1024

/** `size` bytes that no compressor shrinks: AES-CTR over zeros, keyed by the seed. */
export function incompressible(seed, size) {
  const key = createHash('sha256').update(`key:${seed}`).digest().subarray(0, 16)
  const iv = createHash('sha256').update(`iv:${seed}`).digest().subarray(0, 16)
  return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(size))
}

const WORDS = (
  'todo item task done due date user list share remind notify repeat weekly daily ' +
  'title note label priority high low medium status open closed archived owner team'
).split(' ')

/**
 * `size` bytes of source-like text (gzip shrinks it about 4x, like a JS bundle or templates): lines
 * of words picked by a generator seeded with `seed`.
 */
export function compressible(seed, size) {
  const random = incompressible(`text:${seed}`, Math.ceil(size / 8) + 64)
  const lines = []
  let length = 0
  for (let at = 0; length < size; at = (at + 6) % (random.length - 6)) {
    const id = random.readUInt16BE(at)
    const line = `export const ${WORDS[random[at + 2] % WORDS.length]}_${id} = {id: ${id}, name: "${WORDS[random[at + 3] % WORDS.length]} ${WORDS[random[at + 4] % WORDS.length]}", ${WORDS[random[at + 5] % WORDS.length]}: true}\n`
    lines.push(line)
    length += line.length
  }
  return Buffer.from(lines.join('')).subarray(0, size)
}

/** Each service: its folder, repository, and its own layer (what it copies and how big). */
export const REALISTIC_SERVICES = [
  {folder: 'frontend', name: 'todo-frontend', kind: 'compressible', mib: 24, file: 'static/app.js'},
  {folder: 'backend', name: 'todo-backend', kind: 'incompressible', mib: 40, file: 'app/app.jar'},
  {
    folder: 'recurring',
    name: 'todo-recurring-service',
    kind: 'incompressible',
    mib: 8,
    file: 'bin/recurring',
  },
  {
    folder: 'notification',
    name: 'todo-notification-service',
    kind: 'compressible',
    mib: 5,
    file: 'templates/mail.txt',
  },
]

/** The base: busybox plus 12 MiB of incompressible and 12 MiB of compressible files. */
export const BASE = {
  name: 'bench-base/runtime',
  tag: '1',
  incompressibleMib: 12,
  compressibleMib: 12,
}

/**
 * Builds the base image with `docker import` from a tarball made here, tags it for the registry
 * at `host` and pushes it there (where the services' FROM pulls it from). Returns its reference.
 */
export function pushBase(work, host) {
  const dir = join(work, 'base-rootfs')
  rmSync(dir, {recursive: true, force: true})
  for (const sub of ['bin', 'usr/lib/runtime', 'usr/share/runtime', 'tmp'])
    mkdirSync(join(dir, sub), {recursive: true})
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'))
  chmodSync(join(dir, 'bin/busybox'), 0o755)
  writeFileSync(
    join(dir, 'usr/lib/runtime/libruntime.so'),
    incompressible('base', BASE.incompressibleMib * MiB),
  )
  writeFileSync(
    join(dir, 'usr/share/runtime/catalog.txt'),
    compressible('base', BASE.compressibleMib * MiB),
  )
  const tarball = join(work, 'base.tar')
  // Fixed times and owners: the same tarball, so the same layer, on every run.
  run('tar', [
    '--sort=name',
    '--mtime=2026-01-01',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-C',
    dir,
    '-cf',
    tarball,
    '.',
  ])
  const ref = `${host}/${BASE.name}:${BASE.tag}`
  run('docker', ['import', '--change', 'CMD ["/bin/busybox", "sh"]', tarball, ref])
  run('docker', ['push', '-q', ref])
  rmSync(dir, {recursive: true, force: true})
  rmSync(tarball, {force: true})
  return ref
}

/** Writes the four services' folders (Dockerfile + layer content) under `workspace`. */
export function writeRealisticWorkspace(workspace, baseRef) {
  for (const service of REALISTIC_SERVICES) {
    const dir = join(workspace, service.folder)
    const path = join(dir, service.file)
    mkdirSync(join(path, '..'), {recursive: true})
    const make = service.kind === 'incompressible' ? incompressible : compressible
    writeFileSync(path, make(service.name, service.mib * MiB))
    writeFileSync(
      join(dir, 'Dockerfile'),
      [`FROM ${baseRef}`, `COPY ${service.file} /srv/${service.file}`, ''].join('\n'),
    )
  }
}

/** The workload as the README states it: the sizes of the base and of each service's layer. */
export function describeRealistic() {
  return {
    base: `${BASE.incompressibleMib + BASE.compressibleMib} MiB (busybox + ${BASE.incompressibleMib} MiB incompressible + ${BASE.compressibleMib} MiB text), pulled from a local registry`,
    services: REALISTIC_SERVICES.map((s) => `${s.name}: +${s.mib} MiB ${s.kind}`),
  }
}

/** Bytes of a file, for checks. */
export const sizeOf = (path) => statSync(path).size

function run(command, args) {
  const result = spawnSync(command, args, {encoding: 'utf8'})
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`)
  return result.stdout
}
