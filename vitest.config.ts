import {defineConfig} from 'vitest/config'

/**
 * Tests that need the Docker engine or the registries of scripts/test-env. Everything else is the
 * `unit` project (`npm run test:unit`): no engine, no registry, no global setup, seconds.
 */
const ENGINE_TESTS = [
  '__tests__/e2e/**/*.test.ts',
  '__tests__/adapters/docker-engine.test.ts',
  '__tests__/adapters/buildah-engine.test.ts',
  '__tests__/adapters/base-images.test.ts',
  '__tests__/adapters/registry-http-live.test.ts',
  '__tests__/replication/engine/**/*.test.ts',
]

export default defineConfig({
  test: {
    setupFiles: ['__tests__/setup.ts'],
    clearMocks: true,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Files run side by side: every e2e test uses its own namespace, runner temp dir and proxy,
    // so they share the one Docker engine and the registries without seeing each other.
    fileParallelism: true,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {name: 'unit', include: ['__tests__/**/*.test.ts'], exclude: ENGINE_TESTS},
      },
      {
        extends: true,
        // A project's global setup runs only when one of its files is picked, so a unit run
        // never starts the environment.
        test: {name: 'engine', include: ENGINE_TESTS, globalSetup: ['__tests__/global-setup.ts']},
      },
    ],
  },
})
