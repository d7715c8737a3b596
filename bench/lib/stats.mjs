/** Median of a list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** a / b rounded to two decimals, or null when b is 0: for the tables only (targets: targets.mjs). */
export function ratio(a, b) {
  return b ? Math.round((a / b) * 100) / 100 : null
}
