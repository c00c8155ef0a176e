import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  beginLogin,
  createAuthenticator,
  deliverCallback,
  login,
  signedIn,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { createTestClock } from '../support/clock'

let harness: Harness
beforeAll(async () => {
  harness = await startHarness()
})
afterAll(() => harness.close())
beforeEach(() => harness.emulator.control.reset())

async function user(browser: AppBrowser) {
  return harness.auth.getUserOrNull(browser.request('/dashboard'))
}

describe('login (form_post, the default)', () => {
  it('sends state, nonce, PKCE S256 and form_post to /authorize', async () => {
    const browser = new AppBrowser()
    const response = await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0')))
    const url = location(response)
    expect(url.origin).toBe(harness.emulator.origin)
    expect(url.pathname).toBe('/authorize')
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('response_mode')).toBe('form_post')
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{43}$/)
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/)
    expect(url.searchParams.get('scope')).toBe('openid profile email offline_access')
    const txCookie = response.headers.getSetCookie().find((c) => c.startsWith('__a0tx_'))!
    expect(txCookie).toMatch(/HttpOnly/)
    expect(txCookie).toMatch(/SameSite=None/)
    expect(txCookie).toMatch(/Secure/)
    expect(txCookie).toMatch(/Max-Age=600/)
    // the cookie is encrypted: no protocol value readable in it
    expect(txCookie).not.toContain(url.searchParams.get('state')!.slice(20))
  })

  it('logs in, lands on the default page and builds the user from the ID token', async () => {
    const browser = new AppBrowser()
    const done = await login(harness, browser)
    expect(done.status).toBe(302)
    expect(location(done).pathname).toBe('/dashboard')
    expect(done.headers.get('Cache-Control')).toBe('no-store')
    expect([...browser.cookies.keys()].filter((name) => name.startsWith('__a0'))).toEqual([])
    const profile = await user(browser)
    expect(profile).toMatchObject({
      id: expect.stringMatching(/^auth0\|/),
      email: 'alice@example.com',
      emailVerified: true,
    })
    expect(profile?.name).toBe('Alice Liddell')
    // no call to Auth0 per request: user from stored claims
    const before = await harness.emulator.control.counters()
    for (let i = 0; i < 5; i++) await user(browser)
    const after = await harness.emulator.control.counters()
    expect(after).toEqual(before)
  })

  it('keeps pre-login session values, rotates the session id and honours returnTo', async () => {
    const browser = new AppBrowser()
    const session = await harness.storage.getSession()
    session.set('theme', 'dark')
    browser.store(
      new Response(null, { headers: { 'Set-Cookie': await harness.storage.commitSession(session) } }),
    )
    const before = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    const done = await login(harness, browser, { returnTo: '/settings?tab=profile' })
    expect(location(done).pathname + location(done).search).toBe('/settings?tab=profile')
    const after = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(after.get('theme')).toBe('dark')
    expect(after.id).not.toBe(before.id)
    expect((await harness.storage.getSession(`__session=${browser.value('__session')}`)).id).toBe(after.id)
  })

  it('ignores open-redirect returnTo values', async () => {
    const browser = new AppBrowser()
    const done = await login(harness, browser, { returnTo: '//evil.example/steal' })
    expect(location(done).href).toBe('http://localhost:3999/dashboard')
  })

  it('keeps parallel logins in separate transaction cookies', async () => {
    const browser = new AppBrowser()
    const first = await beginLogin(harness, browser)
    const second = await beginLogin(harness, browser)
    expect([...browser.cookies.keys()].filter((n) => n.startsWith('__a0tx_'))).toHaveLength(2)
    expect(location(await deliverCallback(harness, browser, first.callback)).pathname).toBe('/dashboard')
    expect(location(await deliverCallback(harness, browser, second.callback)).pathname).toBe('/dashboard')
  })

  it('holds only the authorization response across the form_post bounce, and refuses what cannot be held', async () => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser)
    if (callback.method !== 'POST') throw new Error('expected form_post')
    const handle = (request: Request) =>
      responseOf(() => harness.auth.handleCallback(request, { onSuccessRedirect: '/dashboard' }))
    const post = (path: string, body: URLSearchParams) =>
      browser.request(path, {
        method: 'POST',
        body,
        crossSite: true,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'null' },
      })
    const refused = async (response: Response) => {
      expect(response.status).toBe(302)
      expect(location(response).pathname + location(response).search).toBe('/login?error=invalid_request')
      expect(response.headers.getSetCookie().join()).not.toContain('__a0cb=')
    }
    // A browser drops a cookie over 4 KB: too much to hold is refused by name, not lost silently.
    const huge = new URLSearchParams(callback.body)
    huge.set('error_description', 'x'.repeat(5000))
    await refused(await handle(post('/auth/callback', huge)))
    // The query is kept for callbackParams, but a long one would make a response that proxies reject.
    await refused(await handle(post(`/auth/callback?pad=${'p'.repeat(3000)}`, callback.body)))
    // Unknown fields (here 3 KB of them) are not carried into the cookie; the real response still logs in.
    const padded = new URLSearchParams(callback.body)
    padded.set('padding', 'x'.repeat(3000))
    const held = browser.store(await handle(post('/auth/callback?flow=promo', padded)))
    expect(held.status).toBe(303)
    expect(location(held).pathname + location(held).search).toBe('/auth/callback?flow=promo')
    const cookie = held.headers.getSetCookie().find((value) => value.startsWith('__a0cb='))!
    expect(cookie.length).toBeLessThan(1000)
    const done = browser.store(await handle(browser.request('/auth/callback?flow=promo')))
    expect(location(done).pathname).toBe('/dashboard')
  })

  it('caps abandoned logins at three pending transaction cookies', async () => {
    const browser = new AppBrowser()
    for (let i = 0; i < 6; i++) {
      browser.store(await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'))))
    }
    expect([...browser.cookies.keys()].filter((n) => n.startsWith('__a0tx_')).length).toBeLessThanOrEqual(3)
  })
})

describe('login (query response mode)', () => {
  it('completes with a GET callback and a Lax transaction cookie', async () => {
    const query = await startHarness({ usePost: false })
    try {
      const browser = new AppBrowser()
      const { authorizeUrl, callback } = await beginLogin(query, browser)
      expect(authorizeUrl.searchParams.get('response_mode')).toBe('query')
      const tx = [...browser.cookies].find(([name]) => name.startsWith('__a0tx_'))![1]
      expect(tx.sameSite).toBe('lax')
      expect(callback.method).toBe('GET')
      const done = await deliverCallback(query, browser, callback)
      expect(location(done).pathname).toBe('/dashboard')
      expect((await query.auth.getUserOrNull(browser.request('/')))?.email).toBe('alice@example.com')
    } finally {
      await query.close()
    }
  })
})

describe('per-request session scope', () => {
  it('never hands one user to another through a shared context object', async () => {
    const alice = await signedIn(harness.auth, { id: 'auth0|alice', email: 'alice@example.com' })
    const bob = await signedIn(harness.auth, { id: 'auth0|bob', email: 'bob@example.com' })
    const singleton = {}
    expect((await harness.auth.getUser(alice.request('/'), singleton)).email).toBe('alice@example.com')
    expect((await harness.auth.getUser(bob.request('/'), singleton)).email).toBe('bob@example.com')
    expect(await harness.auth.getUserOrNull(new AppBrowser().request('/'), singleton)).toBeNull()
  })

  it('reads the session once for all loaders of one request', async () => {
    const browser = await signedIn(harness.auth, { id: 'auth0|alice' })
    const context = {}
    let reads = 0
    const getSession = harness.storage.getSession.bind(harness.storage)
    harness.storage.getSession = (...args) => {
      reads++
      return getSession(...args)
    }
    try {
      await Promise.all(
        Array.from({ length: 4 }, () => harness.auth.getUser(browser.request('/dashboard'), context)),
      )
    } finally {
      harness.storage.getSession = getSession
    }
    expect(reads).toBe(1)
  })
})

describe("the library's clock (options.now)", () => {
  it("is oauth4webapi's clock too: it refuses an ID token that expired on the library's clock", async () => {
    const clock = createTestClock()
    const auth = createAuthenticator(harness.emulator, harness.storage, { clock, usePost: false })
    const local: Harness = { ...harness, auth }
    // 9 hours ahead of the emulator, within the ID token's lifetime (10 h): the login works
    clock.advance(9 * 3600_000)
    expect(location(await login(local, new AppBrowser())).pathname).toBe('/dashboard')
    // 10 hours and a minute: the ID token's exp is behind the library's clock
    clock.advance(3600_000 + 60_000)
    const browser = new AppBrowser()
    const { callback } = await beginLogin(local, browser)
    const url = new URL(callback.url)
    const error = await auth.authenticateCallback(browser.request(url.pathname + url.search)).catch((e) => e)
    expect(error).toMatchObject({ code: 'id_token_invalid' })
    // refused by oauth4webapi's own exp check (given the clock as its clockSkew), before the library's jose check
    expect((error as Error).cause).toMatchObject({ code: oauth.JWT_TIMESTAMP_CHECK })
  })
})
