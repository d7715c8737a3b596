// Runs bench/scale/ only, when bench/run.mjs asks for it. The main vitest.config.ts includes
// __tests__/** alone, so `npm test` never runs these.
import {fileURLToPath} from 'node:url'
import {defineConfig} from 'vitest/config'

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['bench/scale/**/*.scale.ts'],
    testTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
