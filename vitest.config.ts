import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    setupFiles: ['__tests__/setup.ts'],
    globalSetup: ['__tests__/global-setup.ts'],
    clearMocks: true,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Files run side by side: every e2e test uses its own namespace, runner temp dir and proxy,
    // so they share the one Docker engine and the registries without seeing each other.
    fileParallelism: true,
    pool: 'forks',
  },
})
