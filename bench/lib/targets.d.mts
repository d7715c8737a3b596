export const PARTS: string[]
export const TARGETS: {
  pushWall: number
  pushRequests: number
  bundleBytes: number
  dryRunMs: number
}

export interface TargetRow {
  name: string
  value: number | null
  target: string
  pass: boolean
  missing?: true
}

export function exactRatio(a: unknown, b: unknown): number | null
export function atMost(value: unknown, limit: number): boolean
export function below(value: unknown, limit: number): boolean
export function evaluateTargets(results: Record<string, unknown>): TargetRow[]
export function completeness(
  results: Record<string, unknown>,
  only?: string[],
): {complete: boolean; missing: {part: string; reason: string}[]}
export function formatValue(value: number | null | undefined): string
