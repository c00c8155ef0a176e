import { defineConfig, devices } from '@playwright/test'
import { e2eApps, e2eDPoP, e2eEmulator, e2eSessionSecret } from './e2e/stack'
import { chromiumExecutablePath } from './test/support/chromium'

// Playwright's own Chromium when installed, else a system one (test/support/chromium.ts).
const executablePath = chromiumExecutablePath()
// The machine has no internet: keep Chromium from calling home (and waiting on it).
const offlineArgs = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

/** A PostgreSQL DATABASE_URL from the environment is shared by both apps; otherwise each gets a fresh SQLite file. */
const sharedDatabaseUrl = process.env.DATABASE_URL?.startsWith('postgres')
  ? process.env.DATABASE_URL
  : undefined

const appEnv = {
  NODE_ENV: 'production',
  ALLOW_AUTH0_EMULATOR: 'true',
  AUTH0_DOMAIN: e2eEmulator.origin,
  AUTH0_CLIENT_ID: e2eEmulator.clientId,
  AUTH0_CLIENT_SECRET: e2eEmulator.clientSecret,
  // The emulator's default API: the dashboard's "Call the API" asks for a token for it.
  AUTH0_AUDIENCE: 'http://localhost:3000/api',
  SESSION_SECRET: e2eSessionSecret,
  SESSION_STRATEGY: 'server',
  // Each test sends its own X-Forwarded-For, so the per-client login rate limit never spans tests.
  TRUST_PROXY: 'true',
}

function appServer(
  app: { port: number; origin: string; responseMode: string },
  strategy: 'server' | 'browser' = 'server',
) {
  const sqliteFile = `data/e2e-${app.port}.db`
  return {
    // A fresh SQLite file per run keeps session lists free of earlier runs' logins.
    command: sharedDatabaseUrl ? 'npm start' : `rm -f ${sqliteFile} ${sqliteFile}-* && npm start`,
    url: `${app.origin}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore' as const,
    stderr: 'pipe' as const,
    env: {
      ...appEnv,
      PORT: String(app.port),
      APP_DOMAIN: app.origin,
      AUTH0_RESPONSE_MODE: app.responseMode,
      SESSION_STRATEGY: strategy,
      DATABASE_URL: sharedDatabaseUrl ?? `file:./${sqliteFile}`,
    },
  }
}

export const config = defineConfig({
  testDir: 'e2e',
  fullyParallel: true,
  // Two cores: two browsers plus three servers already fill them.
  workers: 2,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    headless: true,
    baseURL: e2eApps.formPost.origin,
    trace: 'retain-on-failure',
    launchOptions: { executablePath, args: offlineArgs },
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: /(exclusive|screenshots)\.spec\.ts/,
      use: devices['Desktop Chrome'],
    },
    {
      // Emulator faults and "log out other sessions" act on shared state (and screenshots want a quiet
      // session list): they run after everything else.
      name: 'exclusive',
      testMatch: /(exclusive|screenshots)\.spec\.ts/,
      dependencies: ['chromium'],
      workers: 1,
      fullyParallel: false,
      use: devices['Desktop Chrome'],
    },
  ],
  webServer: [
    {
      command: 'npx tsx dev/auth0-emulator/main.ts',
      url: `${e2eEmulator.origin}/.well-known/openid-configuration`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
      env: {
        EMULATOR_PORT: String(e2eEmulator.port),
        EMULATOR_HOST: '127.0.0.1',
        EMULATOR_QUIET: 'true',
        // The apps declare refreshTokenRotationEnabled: true, as the README asks of a real tenant.
        EMULATOR_REFRESH_TOKEN_ROTATION: 'true',
        AUTH0_CLIENT_ID: e2eEmulator.clientId,
        AUTH0_CLIENT_SECRET: e2eEmulator.clientSecret,
        APP_DOMAIN: [e2eApps.formPost, e2eApps.query, e2eApps.browser].map((app) => app.origin).join(','),
        EMULATOR_EXTRA_CLIENTS: JSON.stringify([
          {
            clientId: e2eDPoP.clientId,
            clientSecret: e2eDPoP.clientSecret,
            appDomain: e2eDPoP.app.origin,
            dpopBoundAccessTokens: true,
          },
        ]),
      },
    },
    appServer(e2eApps.formPost),
    appServer(e2eApps.query),
    appServer(e2eApps.browser, 'browser'),
    {
      ...appServer(e2eDPoP.app),
      env: {
        ...appServer(e2eDPoP.app).env,
        AUTH0_CLIENT_ID: e2eDPoP.clientId,
        AUTH0_CLIENT_SECRET: e2eDPoP.clientSecret,
        AUTH0_USE_DPOP: 'true',
      },
    },
    {
      // No migration and a database nobody listens on: every session read fails, as when the database is down.
      command: 'node server.js',
      url: `${e2eApps.databaseDown.origin}/login`,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'ignore',
      env: {
        ...appEnv,
        PORT: String(e2eApps.databaseDown.port),
        APP_DOMAIN: e2eApps.databaseDown.origin,
        AUTH0_RESPONSE_MODE: 'query',
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/unreachable',
        SKIP_MIGRATIONS: 'true',
      },
    },
  ],
})

export default config
