import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../../dev/auth0-emulator/server'
import {
  createTestDatabase,
  freePort,
  httpLogin,
  startApp,
  testClient,
  type RunningApp,
  type TestDatabase,
} from '../support/app-server'
import { AppBrowser, location } from '../support/browser'

/**
 * Issue 5's cluster promise, on the built app: two app servers on one PostgreSQL, 50 concurrent requests on one
 * session whose access token expired → exactly one refresh at the emulator, all succeed, new tokens stored.
 */
describe('two app instances on one PostgreSQL', () => {
  let emulator: RunningEmulator
  let database: TestDatabase
  let apps: RunningApp[] = []

  beforeAll(async () => {
    const port = await freePort()
    const publicOrigin = `http://localhost:${port}`
    emulator = await startEmulator({
      port: 0,
      quiet: true,
      // Long enough that the whole storm (seconds on a busy 2-core runner) ends before the next refresh is due.
      ttl: { accessToken: 10 },
      // With rotation a second refresh would be refused as reuse: the one-call guarantee is what keeps users in.
      refreshTokens: { rotation: true },
      clients: [
        {
          ...testClient,
          redirectUris: [`${publicOrigin}/auth/callback`],
          logoutUrls: [publicOrigin, `${publicOrigin}/`],
        },
      ],
    })
    database = await createTestDatabase('postgresql')
    apps = await Promise.all([
      startApp({ databaseUrl: database.url, auth0Origin: emulator.origin, port }),
      startApp({ databaseUrl: database.url, auth0Origin: emulator.origin, appOrigin: publicOrigin }),
    ])
  })

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()))
    await emulator?.close()
    await database?.drop()
  })

  it('makes one refresh for 50 concurrent requests split across both instances', async () => {
    const [a, b] = apps as [RunningApp, RunningApp]
    const browser = new AppBrowser(a.origin)
    const done = await httpLogin(browser)
    expect(location(done).pathname).toBe('/dashboard')
    // the session works on both instances
    for (const app of apps) {
      const response = await fetch(`${app.origin}/dashboard`, { headers: { Cookie: browser.header() } })
      expect(response.status).toBe(200)
    }
    await new Promise((resolve) => setTimeout(resolve, 5200)) // past half the 10 s lifetime: refresh is due
    await emulator.control.reset()
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        fetch(`${(index % 2 ? b : a).origin}/dashboard`, {
          headers: { Cookie: browser.header() },
          redirect: 'manual',
        }),
      ),
    )
    const statuses = responses.map((response) => response.status)
    expect(statuses.filter((status) => status !== 200)).toEqual([])
    const counters = await emulator.control.counters()
    expect(counters.grants.refresh_token).toBe(1)
    // both instances now serve the refreshed tokens without another refresh
    await emulator.control.reset()
    for (const app of apps) {
      const response = await fetch(`${app.origin}/dashboard`, { headers: { Cookie: browser.header() } })
      expect(response.status).toBe(200)
    }
    expect((await emulator.control.counters()).grants.refresh_token ?? 0).toBe(0)
  })
})
