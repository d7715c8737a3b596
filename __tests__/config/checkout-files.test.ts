import {execFileSync} from 'node:child_process'
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {
  CheckoutFileError,
  checkCheckoutPath,
  outputPathProblem,
  readCheckoutFile,
  writeCheckoutFile,
} from '../../src/config/checkout-files.js'

const scratch = mkdtempSync(join(process.env.RUNNER_TEMP as string, 'checkout-files-'))
const outside = join(scratch, 'outside')
mkdirSync(outside)
writeFileSync(join(outside, 'secret.txt'), 'outside secret\n')

function workspace(): string {
  const dir = mkdtempSync(join(scratch, 'ws-'))
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n')
  return dir
}

describe('readCheckoutFile', () => {
  const read = (path: string, maxBytes = 1024, bounds?: {workspace: string}) =>
    readCheckoutFile(path, {what: 'Dockerfile', maxBytes, bounds})

  test('reads a regular file, through a link that stays in the workspace', () => {
    const dir = workspace()
    symlinkSync('Dockerfile', join(dir, 'linked'))
    expect(read('linked', 1024, {workspace: dir})).toBe('FROM scratch\n')
  })

  test.each([
    {
      why: 'a link out of the workspace',
      make: (dir: string) => symlinkSync(join(outside, 'secret.txt'), join(dir, 'f')),
      text: /the Dockerfile f resolves to .*secret\.txt, outside the workspace/,
    },
    {
      why: 'a named pipe: refused at once, never opened',
      make: (dir: string) => execFileSync('mkfifo', [join(dir, 'f')]),
      text: /the Dockerfile f is a named pipe \(FIFO\), not a regular file/,
    },
    {
      why: 'a file over the cap',
      make: (dir: string) => writeFileSync(join(dir, 'f'), 'x'.repeat(1025)),
      text: /the Dockerfile f is 1025 bytes, more than the 1024 bytes allowed/,
    },
    {
      why: 'a directory',
      make: (dir: string) => mkdirSync(join(dir, 'f')),
      text: /the Dockerfile f is a directory, not a regular file/,
    },
    {
      why: 'nothing there',
      make: () => {},
      text: /the Dockerfile f does not exist/,
    },
  ])('$why', ({make, text}) => {
    const dir = workspace()
    make(dir)
    const started = performance.now()
    expect(() => read('f', 1024, {workspace: dir})).toThrow(CheckoutFileError)
    expect(() => read('f', 1024, {workspace: dir})).toThrow(text)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  test('a device that never ends is refused before it is read', () => {
    expect(() => read('/dev/zero')).toThrow(/is a character device, not a regular file/)
  })

  test('the error names the path, never the content', () => {
    const dir = workspace()
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'f'))
    expect(() => read('f', 1024, {workspace: dir})).not.toThrow(/outside secret/)
  })
})

describe('checkCheckoutPath and RUNNER_TEMP', () => {
  test('a path inside RUNNER_TEMP is refused when RUNNER_TEMP is not around the workspace', () => {
    const dir = workspace()
    mkdirSync(join(dir, '_temp'))
    expect(
      checkCheckoutPath('_temp', {workspace: dir, runnerTemp: join(dir, '_temp')}),
    ).toMatchObject({status: 'runner-temp'})
  })

  test('a workspace inside RUNNER_TEMP (as in these tests) keeps its files usable', () => {
    const dir = workspace()
    expect(
      checkCheckoutPath('Dockerfile', {workspace: dir, runnerTemp: process.env.RUNNER_TEMP}),
    ).toMatchObject({status: 'ok', type: 'file', real: realpathSync(join(dir, 'Dockerfile'))})
  })
})

describe('writeCheckoutFile', () => {
  test('writes mode 0600, creating directories, and leaves no temporary file', () => {
    const dir = workspace()
    writeCheckoutFile('k8s/deploy/secret.yaml', 'token: 1\n', {workspace: dir})
    const path = join(dir, 'k8s/deploy/secret.yaml')
    expect(readFileSync(path, 'utf8')).toBe('token: 1\n')
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readdirSync(join(dir, 'k8s/deploy'))).toEqual(['secret.yaml'])
  })

  test('replaces a link inside the workspace instead of writing through it', () => {
    const dir = workspace()
    writeFileSync(join(dir, 'target.txt'), 'keep me\n')
    symlinkSync('target.txt', join(dir, 'secret.yaml'))
    writeCheckoutFile('secret.yaml', 'token: 2\n', {workspace: dir})
    expect(lstatSync(join(dir, 'secret.yaml')).isSymbolicLink()).toBe(false)
    expect(readFileSync(join(dir, 'secret.yaml'), 'utf8')).toBe('token: 2\n')
    expect(readFileSync(join(dir, 'target.txt'), 'utf8')).toBe('keep me\n')
  })

  test('an existing file is replaced, its mode made 0600', () => {
    const dir = workspace()
    writeFileSync(join(dir, 'secret.yaml'), 'old\n', {mode: 0o644})
    writeCheckoutFile('secret.yaml', 'new\n', {workspace: dir})
    expect(readFileSync(join(dir, 'secret.yaml'), 'utf8')).toBe('new\n')
    expect(statSync(join(dir, 'secret.yaml')).mode & 0o777).toBe(0o600)
  })

  test.each([
    {
      why: 'a link to a file outside',
      make: (dir: string) => symlinkSync(join(outside, 'secret.txt'), join(dir, 'secret.yaml')),
      path: 'secret.yaml',
    },
    {
      why: 'a directory that links outside',
      make: (dir: string) => symlinkSync(outside, join(dir, 'k8s')),
      path: 'k8s/secret.txt',
    },
  ])('refuses $why, and writes nothing there', ({make, path}) => {
    const dir = workspace()
    make(dir)
    expect(outputPathProblem(path, {workspace: dir})).toMatch(/outside the workspace/)
    expect(() => writeCheckoutFile(path, 'token: 3\n', {workspace: dir})).toThrow(CheckoutFileError)
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside secret\n')
    expect(readdirSync(outside)).toEqual(['secret.txt'])
  })
})
