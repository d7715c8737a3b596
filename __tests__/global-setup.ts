import {execFileSync} from 'node:child_process'
import {join} from 'node:path'

/** Brings up the Docker engine and registries once per test run (idempotent, fast when running). */
export default function setup(): void {
  execFileSync(
    process.execPath,
    [join(import.meta.dirname, '../scripts/test-env/index.mjs'), 'up'],
    {stdio: ['ignore', 'ignore', 'inherit']},
  )
}
