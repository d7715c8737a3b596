/**
 * The bench's target check (bench/lib/targets.mjs), on hand-made results: a target is met only by
 * a measured value, compared unrounded, and results with a part left out or skipped are not
 * complete.
 */
import {describe, expect, test} from 'vitest'
import {
  completeness,
  evaluateTargets,
  exactRatio,
  formatValue,
  PARTS,
} from '../../bench/lib/targets.mjs'

const push = (actionWall: number, recipeWall: number | undefined, extra = {}) => ({
  scenarios: {
    realisticOpen: {
      targets: true,
      contestants: {
        action: {wallMsMedian: actionWall, requestsMedian: 30},
        recipe: {wallMsMedian: recipeWall, requestsMedian: 32},
        ...extra,
      },
    },
    // The few-byte workload measures overhead: no target, whatever its figures.
    overhead: {
      targets: false,
      contestants: {
        action: {wallMsMedian: 99_999, requestsMedian: 999},
        recipe: {wallMsMedian: 1, requestsMedian: 1},
      },
    },
  },
})
const target = (rows: ReturnType<typeof evaluateTargets>, name: string) => {
  const row = rows.find((candidate) => candidate.name === name)
  expect(row, name).toBeDefined()
  return row as NonNullable<typeof row>
}
const PUSH_WALL = 'push realisticOpen: wall time, action / recipe'

describe('targets', () => {
  test('0.8006 does not meet <= 0.8, though it rounds to 0.8', () => {
    const row = target(evaluateTargets({push: push(8006, 10_000)}), PUSH_WALL)
    expect(row.value).toBeCloseTo(0.8006, 10)
    expect(row.target).toBe('<= 0.8')
    expect(row.pass).toBe(false)
    expect(formatValue(row.value)).toBe('0.8006')
  })

  test('0.8 itself, and below, meet <= 0.8', () => {
    expect(target(evaluateTargets({push: push(8000, 10_000)}), PUSH_WALL).pass).toBe(true)
    expect(target(evaluateTargets({push: push(7994, 10_000)}), PUSH_WALL).pass).toBe(true)
  })

  test.each([
    {why: 'no baseline median', recipe: undefined},
    {why: 'a baseline of 0', recipe: 0},
    {why: 'a baseline that is NaN (no samples)', recipe: Number.NaN},
  ])('a missing baseline fails the target: $why', ({recipe}) => {
    const row = target(evaluateTargets({push: push(100, recipe)}), PUSH_WALL)
    expect(row.value).toBeNull()
    expect(row.pass).toBe(false)
    expect(row.missing).toBe(true)
    expect(formatValue(row.value)).toBe('missing')
  })

  test('only scenarios with targets are checked; attestations are measured against the signed release', () => {
    const rows = evaluateTargets({
      push: push(7000, 10_000, {
        signed: {wallMsMedian: 10_000},
        provenance: {wallMsMedian: 11_001},
        sbom: {wallMsMedian: 12_999},
      }),
    })
    expect(rows.some((row) => row.name.includes('overhead'))).toBe(false)
    const provenance = target(
      rows,
      'push realisticOpen: wall time with attestations: provenance / signed release',
    )
    expect(provenance).toMatchObject({target: '<= 1.1', pass: false})
    expect(
      target(rows, 'push realisticOpen: wall time with attestations: sbom / signed release'),
    ).toMatchObject({target: '<= 1.3', pass: true})
  })

  test('a cold scenario is checked on its unrounded ratio and fails without a baseline', () => {
    const rows = evaluateTargets({
      cold: {
        scenarios: {
          oneChanged: {
            what: 'one changed',
            target: 0.35,
            action: {wallMsMedian: 3503},
            recipe: {wallMsMedian: 10_000},
            // What the table shows (rounded): must not decide the target.
            ratio: 0.35,
          },
          nothingChanged: {
            what: 'nothing changed',
            target: 0.15,
            action: {wallMsMedian: 100},
            recipe: {wallMsMedian: undefined},
            ratio: null,
          },
        },
      },
    })
    expect(target(rows, 'cold, one changed: wall time, action / recipe').pass).toBe(false)
    const none = target(rows, 'cold, nothing changed: wall time, action / recipe')
    expect(none.value).toBeNull()
    expect(none.pass).toBe(false)
  })

  test('start-up: a missing dry-run median or bundle size fails', () => {
    const rows = evaluateTargets({startup: {bundle: {}, dryRunMsMedian: Number.NaN}})
    expect(rows.map((row) => row.pass)).toEqual([false, false])
    const ok = evaluateTargets({startup: {bundle: {bytes: 1000}, dryRunMsMedian: 120}})
    expect(ok.map((row) => row.pass)).toEqual([true, true])
  })

  test('exactRatio is unrounded, and null without both sides', () => {
    expect(exactRatio(1, 3)).toBe(1 / 3)
    expect(exactRatio(1, 0)).toBeNull()
    expect(exactRatio(undefined, 3)).toBeNull()
    expect(exactRatio(1, null)).toBeNull()
  })
})

describe('completeness', () => {
  const all = Object.fromEntries(PARTS.map((part) => [part, {}]))

  test('every part ran and none was skipped: complete', () => {
    expect(completeness(all, PARTS)).toEqual({complete: true, missing: []})
  })

  test('a part that ran but was skipped makes the results incomplete, with its reason', () => {
    const results = {...all, scale: {skipped: 'missing: dist/index.js'}}
    expect(completeness(results, PARTS)).toEqual({
      complete: false,
      missing: [{part: 'scale', reason: 'skipped: missing: dist/index.js'}],
    })
  })

  test('a part left out with --only makes them incomplete', () => {
    const {complete, missing} = completeness({startup: {}}, ['startup'])
    expect(complete).toBe(false)
    expect(missing.map(({part}) => part)).toEqual(['scale', 'push', 'cold', 'replicate'])
  })
})
