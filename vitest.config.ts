import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    alias: { '~': fileURLToPath(new URL('./app', import.meta.url)) },
  },
  test: {
    environment: 'node',
    include: ['app/**/*.test.ts', 'dev/**/*.test.ts', 'test/**/*.test.ts'],
    // The proxy suite needs its CA made before the workers start: vitest.proxy.config.ts (npm run test:proxy).
    exclude: [...configDefaults.exclude, 'test/proxy/**'],
    globalSetup: ['test/global-setup.ts'],
    // Integration tests start real servers and databases; a cold start on 2 cores takes seconds.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // A valid local configuration, so modules that read `env` at import can load; tests that care set their own.
    env: {
      NODE_ENV: 'test',
      AUTH0_DOMAIN: 'http://127.0.0.1:3334',
      AUTH0_CLIENT_ID: 'remix-stack-test',
      AUTH0_CLIENT_SECRET: 'test-client-secret',
      APP_DOMAIN: 'http://localhost:3000',
      SESSION_SECRET: 'test-session-secret',
    },
  },
})
