import {execFileSync} from 'node:child_process'
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {contextDigest} from '../../src/adapters/build-context.js'

/** A context: files (path → content), then symlinks (path → target). */
function makeContext(
  files: Record<string, string>,
  links: Record<string, string> = {},
  order: 'forward' | 'reverse' = 'forward',
): string {
  const dir = mkdtempSync(join(process.env.RUNNER_TEMP ?? '/tmp', 'context-'))
  const paths = Object.keys(files)
  for (const path of order === 'forward' ? paths : paths.reverse()) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), files[path])
    chmodSync(join(dir, path), 0o644)
  }
  for (const [path, target] of Object.entries(links)) symlinkSync(target, join(dir, path))
  return dir
}

const BASE = {
  Dockerfile: 'FROM busybox\nCOPY . /app\n',
  '.dockerignore': 'node_modules\n*.log\n!keep.log\n',
  'src/main.js': 'console.log(1)\n',
  'src/lib/util.js': 'export {}\n',
  'node_modules/big/index.js': 'x',
  'debug.log': 'noise',
  'keep.log': 'kept',
}
const LINKS = {'current.js': 'src/main.js'}

test.each([
  {why: 'the same content built in another order', change: (): void => {}, same: true},
  {
    why: 'a changed file',
    change: (dir: string) => writeFileSync(join(dir, 'src/main.js'), 'console.log(2)\n'),
    same: false,
  },
  {
    why: 'a new file',
    change: (dir: string) => writeFileSync(join(dir, 'src/new.js'), ''),
    same: false,
  },
  {
    why: 'a file that became executable',
    change: (dir: string) => chmodSync(join(dir, 'src/main.js'), 0o755),
    same: false,
  },
  {
    why: 'a symlink pointing elsewhere',
    change: (dir: string) => {
      unlinkSync(join(dir, 'current.js'))
      symlinkSync('src/lib/util.js', join(dir, 'current.js'))
    },
    same: false,
  },
  {
    why: 'a new empty directory (directories are entries)',
    change: (dir: string) => mkdirSync(join(dir, 'empty')),
    same: false,
  },
  {
    why: 'a change to an ignored file',
    change: (dir: string) => writeFileSync(join(dir, 'debug.log'), 'other noise'),
    same: true,
  },
  {
    why: 'a new file inside an ignored directory',
    change: (dir: string) => writeFileSync(join(dir, 'node_modules/big/more.js'), 'y'),
    same: true,
  },
  {
    why: 'a change to a file an exception re-includes',
    change: (dir: string) => writeFileSync(join(dir, 'keep.log'), 'kept, changed'),
    same: false,
  },
  {
    why: 'a change to .dockerignore itself (it is sent like any file)',
    change: (dir: string) =>
      writeFileSync(join(dir, '.dockerignore'), 'node_modules\n*.log\n!keep.log\n# more\n'),
    same: false,
  },
])('$why: same digest is $same', async ({change, same}) => {
  const first = makeContext(BASE, LINKS)
  const second = makeContext(BASE, LINKS, 'reverse')
  change(second)
  const [a, b] = [await contextDigest(first), await contextDigest(second)]
  expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
  expect(a.digest === b.digest).toBe(same)
})

test('counts what docker sends: the re-included file yes, ignored files and directories no', async () => {
  const result = await contextDigest(makeContext(BASE, LINKS))
  // Dockerfile, .dockerignore, src/main.js, src/lib/util.js, keep.log and the symlink.
  expect(result.files).toBe(6)
  expect(result.problems).toEqual([])
})

test('an exception inside an ignored directory brings that file back', async () => {
  const dir = makeContext({
    '.dockerignore': 'vendor\n!vendor/keep/LICENSE\n',
    'vendor/keep/LICENSE': 'MIT',
    'vendor/drop.txt': 'x',
  })
  const before = await contextDigest(dir)
  expect(before.files).toBe(2)
  writeFileSync(join(dir, 'vendor/drop.txt'), 'changed')
  expect((await contextDigest(dir)).digest).toBe(before.digest)
  writeFileSync(join(dir, 'vendor/keep/LICENSE'), 'Apache-2.0')
  expect((await contextDigest(dir)).digest).not.toBe(before.digest)
})

test('<Dockerfile>.dockerignore next to the Dockerfile replaces .dockerignore', async () => {
  const dir = makeContext({
    '.dockerignore': 'a.txt\n',
    'docker/app.Dockerfile': 'FROM busybox\n',
    'docker/app.Dockerfile.dockerignore': 'b.txt\n',
    'a.txt': '1',
    'b.txt': '2',
  })
  const plain = await contextDigest(dir)
  const specific = await contextDigest(dir, {dockerfile: join(dir, 'docker/app.Dockerfile')})
  writeFileSync(join(dir, 'a.txt'), 'changed')
  expect((await contextDigest(dir)).digest).toBe(plain.digest)
  expect(
    (await contextDigest(dir, {dockerfile: join(dir, 'docker/app.Dockerfile')})).digest,
  ).not.toBe(specific.digest)
})

test('no .dockerignore: everything counts; a broken one is reported', async () => {
  const dir = makeContext({'a.txt': '1', 'b/c.txt': '2'})
  expect((await contextDigest(dir)).files).toBe(2)
  writeFileSync(join(dir, '.dockerignore'), '!\n')
  expect((await contextDigest(dir)).problems).toEqual([
    ".dockerignore line 1: '!' without a pattern",
  ])
})

test('a big file (64 MiB, read in chunks): a change in its last byte counts', async () => {
  const dir = makeContext({})
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(64 * 1024 * 1024, 7))
  const first = await contextDigest(dir)
  writeFileSync(
    join(dir, 'big.bin'),
    Buffer.concat([Buffer.alloc(64 * 1024 * 1024 - 1, 7), Buffer.from([8])]),
  )
  expect((await contextDigest(dir)).digest).not.toBe(first.digest)
  rmSync(dir, {recursive: true})
})

describe('files of a checkout that is not trusted', () => {
  test('a named pipe in the context is an entry, never opened: the digest does not wait on it', async () => {
    const dir = makeContext({'a.txt': '1'})
    execFileSync('mkfifo', [join(dir, 'pipe')])
    const result = await contextDigest(dir)
    expect(result.files).toBe(2)
  })

  test.each([
    {
      why: 'a .dockerignore that is a named pipe',
      make: (dir: string) => execFileSync('mkfifo', [join(dir, '.dockerignore')]),
      error: /the \.dockerignore .* is a named pipe \(FIFO\), not a regular file/,
    },
    {
      why: 'a .dockerignore over 1 MiB',
      make: (dir: string) => writeFileSync(join(dir, '.dockerignore'), 'x\n'.repeat(600_000)),
      error: /the \.dockerignore .* is 1200000 bytes, more than the 1 MiB allowed/,
    },
    {
      why: 'a .dockerignore linked out of the workspace',
      make: (dir: string) => {
        const outside = mkdtempSync(join(process.env.RUNNER_TEMP ?? '/tmp', 'outside-'))
        writeFileSync(join(outside, 'ignore'), 'SECRET-LINE\n')
        symlinkSync(join(outside, 'ignore'), join(dir, '.dockerignore'))
      },
      error: /the \.dockerignore .* resolves to .*ignore, outside the workspace/,
    },
  ])('$why is refused, not read', async ({make, error}) => {
    const dir = makeContext({'a.txt': '1'})
    make(dir)
    const attempt = contextDigest(dir, {bounds: {workspace: dir}})
    await expect(attempt).rejects.toThrow(error)
    await expect(contextDigest(dir, {bounds: {workspace: dir}})).rejects.not.toThrow(/SECRET/)
  })
})
