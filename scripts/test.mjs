#!/usr/bin/env node
// `npm test`: installs what the tests need (npm packages; the Docker engine, registries and
// builders through scripts/test-env), starts the test environment, typechecks, runs the whole
// vitest suite against the bundled dist/, and stops what it started. Extra arguments go to vitest.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)

function run(command, args) {
  const result = spawnSync(command, args, {stdio: 'inherit'})
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`)
}

if (!existsSync(join(root, 'node_modules/.package-lock.json')))
  run('npm', ['ci', '--no-audit', '--no-fund'])
const testEnv = await import('./test-env/index.mjs')
const runningBefore = new Set(testEnv.started())
let failed = false
try {
  await testEnv.up()
  // The tests run dist/index.js as the runner does: make sure it is the bundle of this source.
  run('npm', ['run', '--silent', 'build'])
  run('npx', ['tsc', '--noEmit'])
  run('npx', ['vitest', 'run', ...process.argv.slice(2)])
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err))
  failed = true
} finally {
  testEnv.down(testEnv.started().filter((name) => !runningBefore.has(name)))
}
process.exit(failed ? 1 : 0)
