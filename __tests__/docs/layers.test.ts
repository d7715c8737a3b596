import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {PROJECT_ROOT} from '../fixtures/run-action.js'

const DEPCRUISE = join(PROJECT_ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs')
const CONFIG = join(PROJECT_ROOT, '.dependency-cruiser.mjs')
const FIXTURE = join(PROJECT_ROOT, '__tests__/fixtures/layers')

interface Violation {
  rule: {name: string}
  from: string
  to: string
  cycle?: {name: string; dependencyTypes: string[]}[]
}

/** `depcruise src --config .dependency-cruiser.mjs` as `npm run lint` runs it, from `cwd`. */
function depcruise(cwd: string, outputType: 'json' | 'err'): {status: number | null; out: string} {
  const run = spawnSync(
    process.execPath,
    [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', outputType],
    {cwd, encoding: 'utf8', timeout: 20_000},
  )
  if (run.error) throw run.error
  return {status: run.status, out: run.stdout + run.stderr}
}

describe('the layer rules (.dependency-cruiser.mjs)', () => {
  test('report every kind of violation in a tree that breaks each rule once', () => {
    const {out} = depcruise(FIXTURE, 'json')
    const violations = (JSON.parse(out) as {summary: {violations: Violation[]}}).summary.violations
    // A package resolves into the node_modules above the fixture: name it by its package.
    const target = (to: string): string =>
      to.replace(/^.*node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'node_modules/$1')
    const found = violations.map(({rule, from, to}) => `${rule.name}: ${from} → ${target(to)}`)
    expect(found.sort()).toEqual([
      'adapters-know-no-callers: src/adapters/fetch.ts → src/steps/step.ts',
      'config-does-not-connect: src/config/read.ts → src/adapters/fetch.ts',
      'config-sees-steps-as-types: src/config/read.ts → src/steps/step.ts',
      'model-is-a-leaf: src/model/shared.ts → src/config/settings.ts',
      'no-circular: src/cycle/one.ts → src/cycle/two.ts',
      'no-orphans: src/lonely.ts → src/lonely.ts',
      'no-test-or-tooling-imports: src/uses-script.ts → scripts/tool.ts',
      'no-unreachable-modules: src/dead.ts → src/dead.ts',
      'no-unreachable-modules: src/lonely.ts → src/lonely.ts',
      'plan-does-no-io: src/plan/reads-files.ts → fs',
      'plan-imports-only-pure-code: src/plan/uses-config.ts → src/config/settings.ts',
      'plan-uses-no-toolkit-or-sdk: src/plan/uses-toolkit.ts → node_modules/@actions/core',
    ])
    // The cycle closes through a type-only import: tsPreCompilationDeps counts it.
    const cycle = violations.find((violation) => violation.rule.name === 'no-circular')?.cycle
    expect(cycle?.find((step) => step.name === 'src/cycle/one.ts')?.dependencyTypes).toContain(
      'type-only',
    )
  })

  test('fail the lint command on them, naming the rule and the import', () => {
    const {status, out} = depcruise(FIXTURE, 'err')
    expect(status).not.toBe(0)
    expect(out).toContain('error no-circular: src/cycle/one.ts')
    expect(out).toContain(
      'error plan-imports-only-pure-code: src/plan/uses-config.ts → src/config/settings.ts',
    )
  })

  test('find nothing in src/', () => {
    const {status, out} = depcruise(PROJECT_ROOT, 'err')
    expect(out).toContain('no dependency violations found')
    expect(status).toBe(0)
  })
})
