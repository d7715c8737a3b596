// The bench's targets and whether a results object meets them. Pure: bench/run.mjs calls it on
// what it measured, and __tests__/bench/targets.test.ts on hand-made results.

/** Every part of the bench, in the order it runs. */
export const PARTS = ['startup', 'scale', 'push', 'cold', 'replicate']

export const TARGETS = {
  pushWall: 0.8,
  pushRequests: 1.0,
  provenanceWall: 1.1,
  replicateWall: 1.3,
  replicateRssBytes: 200 * 1024 * 1024,
  sbomWall: 1.3,
  bundleBytes: 3 * 1024 * 1024,
  dryRunMs: 300,
}

const measured = (value) => typeof value === 'number' && Number.isFinite(value)

/**
 * a / b, unrounded, or null when either side was not measured or the baseline is 0: a ratio
 * without its baseline is no figure at all. Targets are checked on this, never on the rounded
 * ratio the tables show (0.8006 rounds to 0.8 and misses <= 0.8).
 */
export function exactRatio(a, b) {
  return measured(a) && measured(b) && b !== 0 ? a / b : null
}

/** value <= limit, for a measured value only: null, undefined or NaN never meets a target. */
export function atMost(value, limit) {
  return measured(value) && value <= limit
}

/** value < limit, for a measured value only. */
export function below(value, limit) {
  return measured(value) && value < limit
}

/**
 * Each target of the parts that ran: its name, the value (unrounded; null when a side is
 * missing), the target as text, and pass. A part that did not run has no rows here; whether the
 * results are complete is `completeness`'s to say.
 */
export function evaluateTargets(r) {
  const targets = []
  const row = (name, value, target, pass) =>
    targets.push({name, value, target, pass, ...(value === null ? {missing: true} : {})})
  for (const [id, scenario] of Object.entries(r.push?.scenarios ?? {})) {
    if (!scenario.targets) continue
    const {action, recipe, signed, provenance, sbom} = scenario.contestants ?? {}
    const wall = exactRatio(action?.wallMsMedian, recipe?.wallMsMedian)
    const requests = exactRatio(action?.requestsMedian, recipe?.requestsMedian)
    row(
      `push ${id}: wall time, action / recipe`,
      wall,
      `<= ${TARGETS.pushWall}`,
      atMost(wall, TARGETS.pushWall),
    )
    row(
      `push ${id}: requests, action / recipe`,
      requests,
      `<= ${TARGETS.pushRequests}`,
      atMost(requests, TARGETS.pushRequests),
    )
    for (const [name, contestant, limit] of [
      ['provenance', provenance, TARGETS.provenanceWall],
      ['sbom', sbom, TARGETS.sbomWall],
    ]) {
      if (!signed) continue
      const added = exactRatio(contestant?.wallMsMedian, signed.wallMsMedian)
      row(
        `push ${id}: wall time with attestations: ${name} / signed release`,
        added,
        `<= ${limit}`,
        atMost(added, limit),
      )
    }
  }
  if (r.cold) {
    for (const scenario of Object.values(r.cold.scenarios ?? {})) {
      // A point of the workload without targets is informative.
      if (scenario.target === null) continue
      const wall = exactRatio(scenario.action?.wallMsMedian, scenario.recipe?.wallMsMedian)
      row(
        `cold, ${scenario.what}: wall time, action / recipe`,
        wall,
        `<= ${scenario.target}`,
        atMost(wall, scenario.target),
      )
    }
  }
  if (r.replicate) {
    const {wall, rss} = r.replicate
    const added = exactRatio(wall?.three?.wallMsMedian, wall?.one?.wallMsMedian)
    row(
      'replication: wall time, two more registries / one',
      added,
      `<= ${TARGETS.replicateWall}`,
      atMost(added, TARGETS.replicateWall),
    )
    const peak = measured(rss?.peakRssBytes) ? rss.peakRssBytes : null
    row(
      'replication of a 1 GiB layer: peak RSS, bytes',
      peak,
      `< ${TARGETS.replicateRssBytes} (200 MiB)`,
      below(peak, TARGETS.replicateRssBytes),
    )
  }
  if (r.startup) {
    const {bundle, dryRunMsMedian} = r.startup
    const bytes = bundle?.bytes ?? null
    row(
      'dist/ size, bytes',
      bytes,
      `< ${TARGETS.bundleBytes} (3 MiB)`,
      below(bytes, TARGETS.bundleBytes),
    )
    row(
      'dry-run cold start, ms',
      measured(dryRunMsMedian) ? dryRunMsMedian : null,
      `< ${TARGETS.dryRunMs}`,
      below(dryRunMsMedian, TARGETS.dryRunMs),
    )
  }
  return targets
}

/**
 * Whether the results hold every part: a part left out with --only, or one that ran but was
 * skipped (it says why in `skipped`), makes them incomplete, with the reason per part.
 */
export function completeness(r, only = r.settings?.only ?? PARTS) {
  const missing = []
  for (const part of PARTS) {
    if (!only.includes(part)) missing.push({part, reason: 'not run (--only)'})
    else if (!r[part]) missing.push({part, reason: 'no results'})
    else if (r[part].skipped) missing.push({part, reason: `skipped: ${r[part].skipped}`})
    else if (part === 'push' && r.settings?.pushScenarios?.length)
      missing.push({part, reason: `only ${r.settings.pushScenarios.join(', ')} (--push-scenarios)`})
  }
  return {complete: missing.length === 0, missing}
}

/** A target's value for the table: up to 4 decimals, never rounded onto its limit unseen. */
export function formatValue(value) {
  if (value === null || value === undefined) return 'missing'
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)))
}
