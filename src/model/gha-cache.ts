// The GitHub Actions cache service, in one place: whether the runner offers it (buildx then
// caches with type=gha) and the variables the backend reads.

/** The variables the `type=gha` cache backend reads (the runner sets them for actions). */
const GHA_CACHE_VARIABLES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_SERVICE_V2',
] as const

/** The `type=gha` cache environment, or undefined when this runner has no cache service. */
export function ghaCacheEnvironment(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  if (!env.ACTIONS_CACHE_URL && !env.ACTIONS_RESULTS_URL) return undefined
  const picked: Record<string, string> = {}
  for (const name of GHA_CACHE_VARIABLES) {
    const value = env[name]
    if (value) picked[name] = value
  }
  return picked
}
