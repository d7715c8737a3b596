import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

// Every test file gets a fresh runner temp dir, as the GitHub runner gives each job one.
const runnerTemp = mkdtempSync(join(tmpdir(), 'ocir-push-test-'))
process.env.RUNNER_TEMP = runnerTemp
process.env.TEMP = runnerTemp
