// Types of what the tests import from index.mjs (the bench's .mjs imports need none).

/** Whether something accepts connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean>

/**
 * Writes `<stateDir>/registry-<name>.yml`, the config of a distribution registry on
 * 127.0.0.1:`port` that stores in `<stateDir>/registry-<name>` (created) and writes an access
 * log, with `auth` as its auth lines; returns its path.
 */
export function registryConfig(
  name: string,
  port: number,
  auth: readonly string[],
  stateDir?: string,
): string
