import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type Db } from '~/db.server'
import {
  type Auth0RemixServer,
  createBrowserSessionStorage,
  SessionStrategy,
  type SessionDenyList,
} from '~/lib/auth0'
import { createPrismaSessionStorage, type PrismaSessionStorage } from '~/session-store.server'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  appOrigin,
  clientId,
  clientSecret,
  createAuthenticator,
  login,
  sessionSecret,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { createTestDatabase, type Engine, type TestDatabase } from '../sessions/databases'

/**
 * Issue 12, item 3: the Browser strategy keeps the whole session in a cookie, so logout and back-channel logout
 * list the session on a deny-list in the database, which every instance reads on every request.
 */

/** Receives the emulator's back-channel logout POSTs and hands them to whichever authenticator is current. */
async function startRelay(target: () => Auth0RemixServer): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const response = await target().handleBackchannelLogout(
      new Request(`${appOrigin}${req.url}`, {
        method: req.method,
        headers: { 'Content-Type': req.headers['content-type'] ?? '' },
        body: Buffer.concat(chunks),
      }),
    )
    res.writeHead(response.status)
    res.end(await response.text())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return { server, url: `http://127.0.0.1:${port}/auth/backchannel-logout` }
}

describe.each<Engine>(['sqlite', 'postgresql'])('Browser strategy with a deny-list (%s)', (engine) => {
  let database: TestDatabase
  const dbs: Db[] = []
  let stores: PrismaSessionStorage[]
  let harness: Harness
  let relay: { server: Server; url: string }
  let instances: Auth0RemixServer[]
  const cookies = createBrowserSessionStorage({ secrets: [sessionSecret], secure: false })

  const instance = (denyList: SessionDenyList) =>
    createAuthenticator(harness.emulator, cookies, {
      strategy: SessionStrategy.Browser,
      auth: {
        session: { store: cookies, key: 'user', strategy: SessionStrategy.Browser, denyList },
      },
    })

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    dbs.push(createDb(database.url), createDb(database.url))
    stores = dbs.map((db) =>
      createPrismaSessionStorage({ db, secrets: ['deny-list-test-secret-0123456789abcdef'], secure: false }),
    )
    relay = await startRelay(() => instances[0]!)
    harness = await startHarness({
      storage: cookies,
      strategy: SessionStrategy.Browser,
      emulator: {
        clients: [
          {
            clientId,
            clientSecret,
            redirectUris: [`${appOrigin}/auth/callback`],
            logoutUrls: [appOrigin, `${appOrigin}/`],
            backchannelLogoutUri: relay.url,
          },
        ],
      },
    })
    // Two instances of the app: each its own authenticator and its own database connection.
    instances = stores.map((store) => instance(store))
  })
  afterAll(async () => {
    relay?.server.close()
    await harness?.close()
    await Promise.all(dbs.map((db) => db.$disconnect()))
    await database?.drop()
  })

  const loginOn = async (auth: Auth0RemixServer, email = 'alice@example.com') => {
    const browser = new AppBrowser()
    await login({ ...harness, auth }, browser, { email })
    return browser
  }
  const userOn = (auth: Auth0RemixServer, cookie: string) =>
    auth.getUserOrNull(new Request(`${appOrigin}/dashboard`, { headers: { Cookie: cookie } }))

  it('refuses a cookie copied before logout, on every instance', async () => {
    const [a, b] = instances as [Auth0RemixServer, Auth0RemixServer]
    const browser = await loginOn(a)
    const copied = browser.header()
    expect(await userOn(b, copied)).not.toBeNull()
    browser.store(await responseOf(() => a.logout(browser.post('/logout'))))
    expect(await userOn(a, copied)).toBeNull()
    expect(await userOn(b, copied)).toBeNull()
    // the guard sends the copy to the login page, and clears it
    const guarded = await responseOf(() =>
      b.getUser(new Request(`${appOrigin}/dashboard`, { headers: { Cookie: copied } })),
    )
    expect(location(guarded).pathname).toBe('/login')
    // another login of the same user is a new session (new sid): it works
    const again = await loginOn(a)
    expect(await userOn(b, again.header())).not.toBeNull()
  })

  it('ends the sid of a valid back-channel logout token on both instances, and nobody else', async () => {
    const [a, b] = instances as [Auth0RemixServer, Auth0RemixServer]
    const victim = await loginOn(a)
    const bystander = await loginOn(b, 'bob@example.com')
    const info = await a.getSessionInfo(victim.request('/'))
    expect(await harness.emulator.control.backchannelLogout({ sid: info.claims.sid as string })).toBe(200)
    expect(await userOn(a, victim.header())).toBeNull()
    expect(await userOn(b, victim.header())).toBeNull()
    expect(await userOn(a, bystander.header())).not.toBeNull()
    expect(await userOn(b, bystander.header())).not.toBeNull()
  })

  it('ends all sessions of a sub begun before a sub-only token, and lets a later login in', async () => {
    const [a, b] = instances as [Auth0RemixServer, Auth0RemixServer]
    const laptop = await loginOn(a, 'carol@example.com')
    const phone = await loginOn(b, 'carol@example.com')
    const sub = (await a.getSessionInfo(laptop.request('/'))).user.id
    expect(await harness.emulator.control.backchannelLogout({ sub })).toBe(200)
    for (const auth of instances) {
      expect(await userOn(auth, laptop.header())).toBeNull()
      expect(await userOn(auth, phone.header())).toBeNull()
    }
    const later = await loginOn(b, 'carol@example.com')
    expect(await userOn(a, later.header())).not.toBeNull()
    expect(await userOn(b, later.header())).not.toBeNull()
  })

  it('answers 400 to a forged or replayed logout token and 405 to a GET', async () => {
    const [a] = instances as [Auth0RemixServer]
    const forged = [
      Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sub: 'auth0|alice', iss: harness.emulator.origin })).toString('base64url'),
      '',
    ].join('.')
    for (const body of [`logout_token=${forged}`, 'logout_token=abc', '']) {
      const response = await a.handleBackchannelLogout(
        new Request(`${appOrigin}/auth/backchannel-logout`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body,
        }),
      )
      expect(response.status).toBe(400)
    }
    const get = await a.handleBackchannelLogout(new Request(`${appOrigin}/auth/backchannel-logout`))
    expect(get.status).toBe(405)
  })

  it('keeps entries until the longest session could end, then the cleanup removes them', async () => {
    let now = Date.now()
    const store = createPrismaSessionStorage({
      db: dbs[0]!,
      secrets: ['deny-list-test-secret-0123456789abcdef'],
      secure: false,
      now: () => now,
    })
    const entry = { sid: 'sid-cleanup', expiresAt: new Date(now + 3600_000) }
    await store.denySessions(entry)
    const session = { sid: 'sid-cleanup', sub: 'auth0|x', issuedAt: new Date(now - 1000) }
    expect(await store.isSessionDenied(session)).toBe(true)
    now += 3599_000
    await store.deleteExpired()
    expect(await store.isSessionDenied(session)).toBe(true)
    now += 2000
    await store.deleteExpired()
    expect(await store.isSessionDenied(session)).toBe(false)
  })

  it('widens a sub entry to the later cut-off and never narrows a sid entry', async () => {
    const [store] = stores as [PrismaSessionStorage]
    const base = Date.now()
    const expiresAt = new Date(base + 3600_000)
    await store.denySessions({ sub: 'auth0|wide', issuedBefore: new Date(base), expiresAt })
    await store.denySessions({ sub: 'auth0|wide', issuedBefore: new Date(base - 5000), expiresAt })
    const at = (offset: number) => ({ sub: 'auth0|wide', issuedAt: new Date(base + offset) })
    expect(await store.isSessionDenied(at(-1))).toBe(true)
    expect(await store.isSessionDenied(at(1))).toBe(false)
    await store.denySessions({ sub: 'auth0|wide', issuedBefore: new Date(base + 10_000), expiresAt })
    expect(await store.isSessionDenied(at(9000))).toBe(true)
  })
})

describe('Browser strategy without a deny-list', () => {
  let harness: Harness
  beforeAll(async () => {
    harness = await startHarness({ strategy: SessionStrategy.Browser })
  })
  afterAll(() => harness.close())

  it('answers 400 to an invalid logout token, not 501', async () => {
    const cookies = createBrowserSessionStorage({ secrets: [sessionSecret], secure: false })
    const auth = createAuthenticator(harness.emulator, cookies, { strategy: SessionStrategy.Browser })
    const invalid = await auth.handleBackchannelLogout(
      new Request(`${appOrigin}/auth/backchannel-logout`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      }),
    )
    expect(invalid.status).toBe(400)
  })
})
