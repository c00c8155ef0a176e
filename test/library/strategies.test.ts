import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  beginLogin,
  createAuthenticator,
  login,
  sessionSecret,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { createTestClock } from '../support/clock'
import {
  Auth0RemixServer,
  createBrowserSessionStorage,
  SessionStrategy,
  type Credentials,
  type UserProfile,
} from '~/lib/auth0'

let harness: Harness
beforeAll(async () => {
  // Access tokens live 60 s: due for refresh after 30 s on the library's clock (`harness.clock`).
  harness = await startHarness({ emulator: { ttl: { accessToken: 60 } } })
})
afterAll(() => harness.close())

describe('SessionStrategy.Browser (encrypted, chunked cookie)', () => {
  const storage = createBrowserSessionStorage({ secrets: [sessionSecret], secure: false })

  it('keeps the whole session in encrypted cookies and refreshes without a redirect', async () => {
    const auth = createAuthenticator(harness.emulator, storage, {
      strategy: SessionStrategy.Browser,
      clock: harness.clock,
    })
    const local: Harness = { ...harness, auth, storage }
    const browser = new AppBrowser()
    await login(local, browser)
    const raw = [...browser.cookies]
      .filter(([name]) => name.startsWith('__session'))
      .map(([, c]) => c.value)
      .join('')
    expect(raw).not.toContain('alice')
    expect(Buffer.from(raw.split('.')[0] ?? '', 'base64url').toString()).toContain('A256GCM')
    await harness.emulator.control.reset()
    const first = await auth.getSessionInfo(browser.request('/'))
    expect(first.lastRefreshedAt).toBeNull()
    harness.clock.advance(31_000)
    const context = {}
    const refreshed = await auth.getSessionInfo(browser.request('/dashboard'), context)
    expect(refreshed.accessTokenExpiresAt).toBeGreaterThan(first.accessTokenExpiresAt)
    expect((await harness.emulator.control.counters()).grants.refresh_token).toBe(1)
    const headers = new Headers()
    auth.applyHeaders(browser.request('/dashboard'), context, headers)
    expect(headers.getSetCookie().some((c) => c.startsWith('__session='))).toBe(true)
    browser.store(new Response(null, { headers }))
    // the next request reads the refreshed cookie: no second refresh
    await harness.emulator.control.reset()
    await auth.getUser(browser.request('/'))
    expect((await harness.emulator.control.counters()).grants.refresh_token ?? 0).toBe(0)
  })

  it('splits a large session into chunks and reads it back', async () => {
    const session = await storage.getSession()
    session.set(
      'big',
      'x'.repeat(20_000).replace(/x/g, () => Math.random().toString(36)[2]!),
    )
    const cookies = await storage.commitSessionCookies(session)
    expect(cookies.length).toBeGreaterThan(1)
    expect(cookies.every((c) => c.length < 4096)).toBe(true)
    const header = cookies.map((c) => c.split(';')[0]).join('; ')
    expect((await storage.getSession(header)).get('big')).toBe(session.get('big'))
    // flip a ciphertext character (not the last one: its low bits may be base64 padding)
    const at = header.indexOf('=') + 200
    const tampered = header.slice(0, at) + (header[at] === 'A' ? 'B' : 'A') + header.slice(at + 1)
    expect((await storage.getSession(tampered)).get('big')).toBeUndefined()
  })

  it('reads cookies sealed under a retired secret only while it is listed', async () => {
    const old = createBrowserSessionStorage({
      secrets: ['old-secret-0123456789abcdef0123456789'],
      secure: false,
    })
    const session = await old.getSession()
    session.set('theme', 'dark')
    const cookie = (await old.commitSession(session)).split(';')[0]
    const rotated = createBrowserSessionStorage({
      secrets: ['new-secret-0123456789abcdef0123456789', 'old-secret-0123456789abcdef0123456789'],
      secure: false,
    })
    expect((await rotated.getSession(cookie)).get('theme')).toBe('dark')
    const retired = createBrowserSessionStorage({
      secrets: ['new-secret-0123456789abcdef0123456789'],
      secure: false,
    })
    expect((await retired.getSession(cookie)).get('theme')).toBeUndefined()
  })
})

describe('opting out of session handling', () => {
  it('hands the credentials to the app and sets no session cookie', async () => {
    const received: Array<{ credentials: Credentials; user: UserProfile }> = []
    const auth = new Auth0RemixServer({
      clientDetails: {
        domain: harness.emulator.origin,
        clientID: 'library-test-client',
        clientSecret: 'library-test-client-secret-0123456789abcdef',
      },
      callbackURL: 'http://localhost:3999/auth/callback',
      failedLoginRedirect: '/login',
      secrets: [sessionSecret],
      credentialsCallback: (credentials, user) => void received.push({ credentials, user }),
    })
    const local: Harness = { ...harness, auth }
    const browser = new AppBrowser()
    const { callback } = await beginLogin(local, browser)
    const url = new URL(callback.url)
    const request = browser.request(url.pathname + url.search, {
      method: 'POST',
      body: (callback as { body: URLSearchParams }).body,
      crossSite: true,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    const done = browser.store(
      await responseOf(() => auth.handleCallback(request, { onSuccessRedirect: '/home' })),
    )
    expect(location(done).pathname).toBe('/home')
    expect(received).toHaveLength(1)
    expect(received[0]!.credentials.accessToken).toBeTruthy()
    expect(received[0]!.credentials.refreshToken).toBeTruthy()
    expect(received[0]!.credentials.expiresAt).toBeGreaterThan(Date.now())
    expect(received[0]!.user.email).toBe('alice@example.com')
    expect(browser.value('__session')).toBeUndefined()
  })
})

describe('profile cache hooks', () => {
  it('returns /userinfo data through profileCacheGet/Set, one Auth0 call per access token', async () => {
    const cache = new Map<string, UserProfile>()
    const auth = createAuthenticator(harness.emulator, harness.storage, {
      auth: {
        profileCacheGet: async (token) => cache.get(token),
        profileCacheSet: async (token, profile) => void cache.set(token, profile),
      },
    })
    const local: Harness = { ...harness, auth }
    const browser = new AppBrowser()
    await login(local, browser)
    await harness.emulator.control.reset()
    for (let i = 0; i < 3; i++)
      expect((await auth.getUser(browser.request('/'))).email).toBe('alice@example.com')
    expect((await harness.emulator.control.counters()).endpoints['/userinfo']).toBe(1)
    expect(cache.size).toBe(1)
  })
})

describe('session lifetime', () => {
  it('ends the session at the absolute lifetime, capped by the refresh token lifetime', async () => {
    const clock = createTestClock()
    const auth = createAuthenticator(harness.emulator, harness.storage, {
      auth: { absoluteSessionLifetimeSeconds: 3600, refreshTokenLifetimeSeconds: 1 },
      // its own clock: the deadline below is compared with the emulator's auth_time (real time)
      clock,
    })
    const local: Harness = { ...harness, auth }
    const browser = new AppBrowser()
    await login(local, browser)
    const info = await auth.getSessionInfo(browser.request('/'))
    // auth_time has whole seconds: the deadline is at most 1 s + that rounding after it
    expect(info.sessionExpiresAt - info.authenticatedAt).toBeLessThanOrEqual(2000)
    clock.advance(1100)
    // the library's guard ends it at the deadline (the store would drop the row then too: the cookie's expiry)
    const redirect = await responseOf(() => auth.getUser(browser.request('/dashboard')))
    expect(location(redirect).pathname).toBe('/login')
    expect(await auth.getUserOrNull(browser.request('/'))).toBeNull()
    expect((await harness.storage.getSession(browser.request('/').headers.get('Cookie'))).has('user')).toBe(
      false,
    )
  })
})
