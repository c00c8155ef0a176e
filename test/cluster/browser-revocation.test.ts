import { createServer, type Server } from 'node:http'
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
 * Issue 12, item 3, on the built app: two app processes with SESSION_STRATEGY=browser on one PostgreSQL. The
 * session lives in the cookie; logout and back-channel logout put it on the database's deny-list, so both
 * processes refuse it, whichever one heard of the logout.
 */
describe('Browser strategy on two app instances: revocation', () => {
  let emulator: RunningEmulator
  let database: TestDatabase
  let apps: RunningApp[] = []
  let relay: Server

  beforeAll(async () => {
    const port = await freePort()
    const publicOrigin = `http://localhost:${port}`
    // Auth0's back-channel POST reaches one instance only (the second), through this relay.
    relay = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      const answer = await fetch(`${apps[1]!.origin}/auth/backchannel-logout`, {
        method: 'POST',
        headers: { 'Content-Type': req.headers['content-type'] ?? '' },
        body: Buffer.concat(chunks),
      })
      res.writeHead(answer.status)
      res.end(await answer.text())
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    const relayPort = (relay.address() as { port: number }).port
    emulator = await startEmulator({
      port: 0,
      quiet: true,
      clients: [
        {
          ...testClient,
          redirectUris: [`${publicOrigin}/auth/callback`],
          logoutUrls: [publicOrigin, `${publicOrigin}/`],
          backchannelLogoutUri: `http://127.0.0.1:${relayPort}/auth/backchannel-logout`,
        },
      ],
    })
    database = await createTestDatabase('postgresql')
    const env = { SESSION_STRATEGY: 'browser' }
    apps = await Promise.all([
      startApp({ databaseUrl: database.url, auth0Origin: emulator.origin, port, env }),
      startApp({ databaseUrl: database.url, auth0Origin: emulator.origin, appOrigin: publicOrigin, env }),
    ])
  })

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()))
    relay?.close()
    await emulator?.close()
    await database?.drop()
  })

  const dashboard = (app: RunningApp, cookie: string) =>
    fetch(`${app.origin}/dashboard`, { headers: { Cookie: cookie }, redirect: 'manual' })

  it('a valid back-channel logout token to one instance ends the browser session on both', async () => {
    const browser = new AppBrowser(apps[0]!.origin)
    expect(location(await httpLogin(browser)).pathname).toBe('/dashboard')
    const cookie = browser.header()
    for (const app of apps) expect((await dashboard(app, cookie)).status).toBe(200)
    expect(await emulator.control.backchannelLogout({ sub: 'auth0|alice' })).toBe(200)
    for (const app of apps) {
      const response = await dashboard(app, cookie)
      expect(response.status).toBe(302)
      expect(location(response).pathname).toBe('/login')
    }
  })

  it('a cookie copied before logout on one instance is refused by the other', async () => {
    const browser = new AppBrowser(apps[0]!.origin)
    expect(location(await httpLogin(browser)).pathname).toBe('/dashboard')
    const copied = browser.header()
    const logout = await fetch(browser.post('/logout'), { redirect: 'manual' })
    expect(logout.status).toBe(302)
    for (const app of apps) expect((await dashboard(app, copied)).status).toBe(302)
  })

  it('answers 400 to a forged logout token', async () => {
    const response = await fetch(`${apps[0]!.origin}/auth/backchannel-logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhdXRoMHxhbGljZSJ9.',
    })
    expect(response.status).toBe(400)
  })
})
