import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    setupFiles: ['__tests__/setup.ts'],
    globalSetup: ['__tests__/global-setup.ts'],
    clearMocks: true,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // e2e files drive one Docker engine on a 2-core machine: run files one at a time there.
    fileParallelism: true,
    pool: 'forks',
  },
})
