import { defineConfig } from 'vitest/config'
import base from './vitest.config'

/** `npm run test:proxy`: the TLS proxy cluster suite (test/proxy), with its local CA made before the workers start. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/proxy/**/*.test.ts'],
    exclude: [],
    globalSetup: ['test/global-setup.ts', 'test/proxy/global-setup.ts'],
    // One file at a time: each runs nginx, three app instances and the emulator on 2 cores.
    fileParallelism: false,
    testTimeout: 120_000,
  },
})
