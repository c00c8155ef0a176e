import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDb, type Db } from '~/db.server'
import { createPrismaSessionStorage, type PrismaSessionStorage } from '~/session-store.server'
import { setTimeout as sleep } from 'node:timers/promises'
import { AppBrowser, location, responseOf } from '../support/browser'
import { createAuthenticator, login, startHarness, type Harness } from '../support/auth-harness'
import { createTestDatabase, type Engine, type TestDatabase } from '../sessions/databases'
import { closePostgres, lockSqlite } from '../support/outages'

/** The library on the stack's Prisma store (versioned rows, leases, revocation), on both engines. */
describe.each<Engine>(['sqlite', 'postgresql'])('Server strategy on the Prisma store (%s)', (engine) => {
  let database: TestDatabase
  let db: Db
  let storage: PrismaSessionStorage
  let harness: Harness

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    db = createDb(database.url)
    storage = createPrismaSessionStorage({
      db,
      secrets: ['prisma-store-test-secret-0123456789abcdef'],
      secure: false,
    })
    // Access tokens live 60 s: due for refresh after 30 s on the library's clock, which the tests move.
    harness = await startHarness({ storage, emulator: { ttl: { accessToken: 60 } } })
  })
  afterAll(async () => {
    await harness?.close()
    await db?.$disconnect()
    await database?.drop()
  })

  const refreshCalls = async () => (await harness.emulator.control.counters()).grants.refresh_token ?? 0
  /** The emulator counts a token request before its injected delay: the refresh has read the session and waits. */
  const refreshInFlight = () =>
    vi.waitFor(async () => expect(await refreshCalls()).toBe(1), { interval: 10, timeout: 5_000 })

  async function loggedIn() {
    const browser = new AppBrowser()
    await login(harness, browser)
    await harness.emulator.control.reset()
    return browser
  }

  it('stays logged out when logout happens while a refresh is in flight', async () => {
    const browser = await loggedIn()
    harness.clock.advance(31_000)
    await harness.emulator.control.setFaults({ token: { delayMs: 400, times: 1 } })
    const pending = harness.auth.getUserOrNull(browser.request('/'))
    await refreshInFlight()
    const logout = await responseOf(() => harness.auth.logout(browser.post('/logout')))
    expect(location(logout).pathname).toBe('/v2/logout')
    await pending
    // the late refresh found the row gone and did not write it back
    expect(await db.session.count()).toBe(0)
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
    await harness.emulator.control.clearFaults()
  })

  it('keeps an app write made while a refresh was in flight (version conflict, retried)', async () => {
    const browser = await loggedIn()
    harness.clock.advance(31_000)
    await harness.emulator.control.setFaults({ token: { delayMs: 300, times: 1 } })
    const refreshing = harness.auth.getSessionInfo(browser.request('/'))
    await refreshInFlight()
    const session = await storage.getSession(browser.request('/').headers.get('Cookie'))
    session.set('theme', 'dark')
    await storage.commitSession(session)
    const refreshed = await refreshing
    const after = await storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(after.get('theme')).toBe('dark')
    expect((after.get('user') as { credentials: { expiresAt: number } }).credentials.expiresAt).toBe(
      refreshed.accessTokenExpiresAt,
    )
    await harness.emulator.control.clearFaults()
  })

  it(
    'stores a refresh Auth0 answered while the database was briefly down: rotation spent the old token',
    { timeout: 30_000 },
    async () => {
      const browser = await loggedIn()
      harness.clock.advance(31_000)
      await harness.emulator.control.setFaults({ token: { delayMs: 300, times: 1 } })
      const refreshing = harness.auth.getSessionInfo(browser.request('/'))
      await refreshInFlight()
      // The token call is in flight; the write after it meets the outage (SQLite: a writer holds the lock past
      // the 5 s busy timeout; PostgreSQL: connections refused). A real outage of the real database: real time.
      const restore = engine === 'sqlite' ? lockSqlite(database.url) : await closePostgres(database.url)
      await sleep(engine === 'sqlite' ? 6000 : 1500)
      await restore()
      const refreshed = await refreshing
      expect(refreshed.lastRefreshedAt).not.toBeNull()
      // The stored refresh token is the rotated one: the next refresh works (reuse interval 0 at the emulator).
      harness.clock.advance(31_000)
      const again = await harness.auth.getSessionInfo(browser.request('/'))
      expect(again.lastRefreshedAt).toBeGreaterThan(refreshed.lastRefreshedAt!)
      await harness.emulator.control.clearFaults()
    },
  )

  it('deletes the pre-login row at login (new id) and keeps its values', async () => {
    const browser = new AppBrowser()
    const session = await storage.getSession()
    session.set('cart', [1, 2])
    browser.store(new Response(null, { headers: { 'Set-Cookie': await storage.commitSession(session) } }))
    const before = (await storage.getSession(browser.request('/').headers.get('Cookie'))).id
    await login(harness, browser)
    const after = await storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(after.id).not.toBe(before)
    expect(after.get('cart')).toEqual([1, 2])
    expect(await db.session.findUnique({ where: { id: before } })).toBeNull()
  })

  it('back-channel logout deletes the sessions of that sid, and only those', async () => {
    const { createServer } = await import('node:http')
    // the emulator posts the logout token to the client's back-channel URI: serve it with the library
    let auth = harness.auth
    const delivered: Buffer[] = []
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const chunk of req) chunks.push(chunk as Buffer)
      delivered.push(Buffer.concat(chunks))
      const response = await auth.handleBackchannelLogout(
        new Request(`http://localhost:3999${req.url}`, {
          method: req.method,
          headers: { 'Content-Type': req.headers['content-type'] ?? '' },
          body: Buffer.concat(chunks),
        }),
      )
      res.writeHead(response.status)
      res.end(await response.text())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const local = await startHarness({
      storage,
      emulator: {
        clients: [
          {
            clientId: 'library-test-client',
            clientSecret: 'library-test-client-secret-0123456789abcdef',
            redirectUris: ['http://localhost:3999/auth/callback'],
            logoutUrls: ['http://localhost:3999/'],
            backchannelLogoutUri: `http://127.0.0.1:${port}/auth/backchannel-logout`,
          },
        ],
      },
    })
    auth = local.auth
    try {
      const victim = new AppBrowser()
      await login(local, victim)
      const bystander = new AppBrowser()
      await login(local, bystander, { email: 'bob@example.com' })
      const victimInfo = await local.auth.getSessionInfo(victim.request('/'))
      const status = await local.emulator.control.backchannelLogout({ sid: victimInfo.claims.sid as string })
      expect(status).toBe(200)
      expect(await local.auth.getUserOrNull(victim.request('/'))).toBeNull()
      expect(await local.auth.getUserOrNull(bystander.request('/'))).not.toBeNull()

      // The same token replayed to another instance of the app (its own client on the same database) is refused.
      const otherDb = createDb(database.url)
      try {
        const otherInstance = createAuthenticator(
          local.emulator,
          createPrismaSessionStorage({
            db: otherDb,
            secrets: ['prisma-store-test-secret-0123456789abcdef'],
            secure: false,
          }),
        )
        const replay = await otherInstance.handleBackchannelLogout(
          new Request('http://localhost:3999/auth/backchannel-logout', {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
            body: delivered[0]!.toString(),
          }),
        )
        expect(replay.status).toBe(400)
        expect(await replay.json()).toMatchObject({ error_description: 'Logout token replayed' })
      } finally {
        await otherDb.$disconnect()
      }
    } finally {
      await local.close()
      server.close()
    }
  })
})

describe('two authenticators ("two processes") on one PostgreSQL store', () => {
  let database: TestDatabase
  const dbs: Db[] = []
  let harness: Harness

  beforeAll(async () => {
    database = await createTestDatabase('postgresql')
    dbs.push(createDb(database.url), createDb(database.url))
    const storage = createPrismaSessionStorage({
      db: dbs[0]!,
      secrets: ['prisma-store-test-secret-0123456789abcdef'],
      secure: false,
    })
    harness = await startHarness({ storage, emulator: { ttl: { accessToken: 60 } } })
  })
  afterAll(async () => {
    await harness?.close()
    await Promise.all(dbs.map((db) => db.$disconnect()))
    await database?.drop()
  })

  it('makes one refresh for 40 concurrent requests split between them (the row lease)', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const secondStorage = createPrismaSessionStorage({
      db: dbs[1]!,
      secrets: ['prisma-store-test-secret-0123456789abcdef'],
      secure: false,
    })
    // one clock for both "processes", as two servers share real time
    const second = createAuthenticator(harness.emulator, secondStorage, { clock: harness.clock })
    await harness.emulator.control.reset()
    await second.getSessionInfo(browser.request('/'))
    expect((await harness.emulator.control.counters()).grants.refresh_token ?? 0).toBe(0)
    harness.clock.advance(31_000)
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? second : harness.auth).getSessionInfo(browser.request('/')),
      ),
    )
    expect((await harness.emulator.control.counters()).grants.refresh_token).toBe(1)
    expect(new Set(results.map((r) => r.accessTokenExpiresAt)).size).toBe(1)
  })
})
