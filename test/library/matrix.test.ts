import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { SessionStrategy, Token } from '~/lib/auth0'
import { beginLogin, deliverCallback, login } from '../support/auth-harness'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  advanceClock,
  cells,
  defaultApi,
  otherApis,
  startCell,
  visit,
  type CellHarness,
} from '../support/matrix'

/** Access tokens live 120 s: a refresh is due 61 s after login (the leeway is 60 s). */
const accessTokenTtl = 120
const untilRefreshDue = 61_000

describe.each(cells)('the library, $name', (cell) => {
  let h: CellHarness
  beforeAll(async () => {
    h = await startCell(cell, { emulator: { ttl: { accessToken: accessTokenTtl } } })
  })
  afterAll(async () => {
    vi.useRealTimers()
    await h.close()
  })
  beforeEach(() => h.emulator.control.reset())

  const tokenCalls = async () => (await h.emulator.control.counters()).grants.refresh_token ?? 0
  const userOf = (browser: AppBrowser) =>
    visit(h, browser, '/', (request, context) => h.auth.getUserOrNull(request, context))
  const tokenFor = (browser: AppBrowser, options: { audience?: string; refresh?: boolean } = {}) =>
    visit(h, browser, '/', (request, context) => h.auth.getAccessToken(request, options, context))
  const sessionCookies = (browser: AppBrowser) =>
    [...browser.cookies.keys()].filter((name) => name === '__session' || name.startsWith('__session.'))

  async function loggedIn(email = 'alice@example.com') {
    const browser = new AppBrowser()
    const done = await login(h, browser, { email })
    expect(location(done).pathname).toBe('/dashboard')
    await h.emulator.control.reset()
    return browser
  }

  it('logs in through the response mode and serves the user from the ID token, no Auth0 call per request', async () => {
    const browser = new AppBrowser()
    const { authorizeUrl, callback } = await beginLogin(h, browser)
    expect(authorizeUrl.searchParams.get('response_mode')).toBe(cell.usePost ? 'form_post' : 'query')
    expect(callback.method).toBe(cell.usePost ? 'POST' : 'GET')
    const done = await deliverCallback(h, browser, callback)
    expect(location(done).pathname).toBe('/dashboard')
    expect([...browser.cookies.keys()].filter((name) => name.startsWith('__a0'))).toEqual([])
    const before = await h.emulator.control.counters()
    for (let i = 0; i < 3; i++) expect((await userOf(browser))?.email).toBe('alice@example.com')
    expect(await h.emulator.control.counters()).toEqual(before)
  })

  it('refuses a callback for another login (state mismatch) and creates no session', async () => {
    const attacker = new AppBrowser()
    const { callback } = await beginLogin(h, attacker)
    const victim = new AppBrowser()
    await responseOf(() => h.auth.authorize(victim.post('/auth/auth0'))).then((r) => victim.store(r))
    const failed = await deliverCallback(h, victim, callback)
    expect(location(failed).pathname).toBe('/login')
    expect(location(failed).searchParams.get('error')).toMatch(/^(invalid_state|missing_state)$/)
    expect(await userOf(victim)).toBeNull()
  })

  it('refreshes once for 50 concurrent requests of an expiring session; every request keeps the user', async () => {
    const browser = await loggedIn()
    const before = await visit(h, browser, '/', (r, c) => h.auth.getSessionInfo(r, c))
    advanceClock(untilRefreshDue)
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        visit(h, browser, '/dashboard', (r, c) => h.auth.getSessionInfo(r, c)),
      ),
    )
    expect(await tokenCalls()).toBe(1)
    expect(results.every((info) => info.user.email === 'alice@example.com')).toBe(true)
    expect(new Set(results.map((info) => info.accessTokenExpiresAt)).size).toBe(1)
    expect(results[0]!.accessTokenExpiresAt).toBeGreaterThan(before.accessTokenExpiresAt)
  })

  it('keeps refreshing: three refreshes in a row, each one call, and the session stays valid', async () => {
    const browser = await loggedIn()
    for (let round = 1; round <= 3; round++) {
      advanceClock(untilRefreshDue)
      expect((await userOf(browser))?.email).toBe('alice@example.com')
      expect(await tokenCalls()).toBe(round)
    }
    // the next request carries the newest cookie or row: nothing left to refresh
    expect(await userOf(browser)).not.toBeNull()
    expect(await tokenCalls()).toBe(3)
  })

  it('gets access tokens per audience: the default one without a call, then two other APIs in turn', async () => {
    const browser = await loggedIn()
    const own = await tokenFor(browser)
    expect((await h.auth.decodeToken(own, Token.ACCESS)).aud).toContain(defaultApi)
    expect(await tokenCalls()).toBe(0)
    const [first, second] = otherApis
    const a = await tokenFor(browser, { audience: first })
    const b = await tokenFor(browser, { audience: second })
    expect((await h.auth.decodeToken(a, Token.ACCESS, { audience: first })).aud).toContain(first)
    expect((await h.auth.decodeToken(b, Token.ACCESS, { audience: second })).aud).toContain(second)
    expect(await tokenCalls()).toBe(2)
    // both are kept in the session: asking again costs nothing
    expect(await tokenFor(browser, { audience: first })).toBe(a)
    expect(await tokenFor(browser, { audience: second })).toBe(b)
    expect(await tokenCalls()).toBe(2)
  })

  it('refresh: true gets a new access token every time it is asked, one call each', async () => {
    const browser = await loggedIn()
    const start = await tokenFor(browser)
    const once = await tokenFor(browser, { refresh: true })
    const twice = await tokenFor(browser, { refresh: true })
    expect(new Set([start, once, twice]).size).toBe(3)
    expect(await tokenCalls()).toBe(2)
    expect(await tokenFor(browser)).toBe(twice)
  })

  it('fetchWithAccessToken retries a 401 with a new token', async () => {
    const seen: string[] = []
    const api = createServer((request, response) => {
      seen.push(request.headers.authorization ?? '')
      response.writeHead(seen.length === 1 ? 401 : 200).end()
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    try {
      const browser = await loggedIn()
      await tokenFor(browser, { audience: otherApis[0] })
      const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}/me`
      const response = await visit(h, browser, '/', (request, context) =>
        h.auth.fetchWithAccessToken(request, url, { audience: otherApis[0], context }),
      )
      expect(response.status).toBe(200)
      expect(seen).toHaveLength(2)
      expect(seen[1]).not.toBe(seen[0])
    } finally {
      api.close()
    }
  })

  it('logs in again over a larger session and stays logged in (stale cookie chunks are cleared)', async () => {
    const browser = await loggedIn()
    for (const audience of otherApis) await tokenFor(browser, { audience })
    const before = sessionCookies(browser).length
    expect(before).toBeGreaterThan(cell.strategy === SessionStrategy.Browser ? 1 : 0)
    const done = await login(h, browser, { email: 'bob@example.com' })
    expect(location(done).pathname).toBe('/dashboard')
    expect((await userOf(browser))?.email).toBe('bob@example.com')
    expect(sessionCookies(browser).length).toBeLessThanOrEqual(before)
  })

  it('logs out: cookie gone, refresh token revoked, Auth0 logout URL', async () => {
    const browser = await loggedIn()
    const response = browser.store(await responseOf(() => h.auth.logout(browser.post('/logout'))))
    expect(location(response).origin + location(response).pathname).toBe(`${h.emulator.origin}/v2/logout`)
    expect((await h.emulator.control.counters()).endpoints['/oauth/revoke']).toBe(1)
    expect(sessionCookies(browser)).toEqual([])
    expect(await userOf(browser)).toBeNull()
  })

  it('refuses a session cookie copied before logout', async () => {
    const browser = await loggedIn()
    const copy = browser.clone()
    browser.store(await responseOf(() => h.auth.logout(browser.post('/logout'))))
    expect(await userOf(copy)).toBeNull()
  })

  it('back-channel logout ends the sessions of that sid, and only those', async () => {
    const victim = await loggedIn()
    const bystander = await loggedIn('bob@example.com')
    const info = await visit(h, victim, '/', (r, c) => h.auth.getSessionInfo(r, c))
    expect(await h.emulator.control.backchannelLogout({ sid: String(info.claims.sid) })).toBe(200)
    expect(await userOf(victim)).toBeNull()
    expect(await userOf(bystander)).not.toBeNull()
  })
})

describe('refreshTokenRotationEnabled is checked against the tenant', () => {
  it.each([
    { declared: true, tenant: true, warnings: 0 },
    { declared: false, tenant: false, warnings: 0 },
    { declared: true, tenant: false, warnings: 1 },
    { declared: false, tenant: true, warnings: 1 },
  ])(
    'says $declared, tenant rotates: $tenant → $warnings warning(s)',
    async ({ declared, tenant, warnings }) => {
      const logged: string[] = []
      const cell = { strategy: SessionStrategy.Browser, rotation: tenant, usePost: false }
      const h = await startCell(cell, {
        auth: { refreshTokenRotationEnabled: declared, logger: { warn: (line) => void logged.push(line) } },
      })
      try {
        const browser = new AppBrowser()
        await login(h, browser)
        for (let i = 0; i < 2; i++)
          await visit(h, browser, '/', (r, c) => h.auth.getAccessToken(r, { refresh: true }, c))
        const mismatches = logged.filter((line) => line.includes('(rotation_mismatch)'))
        expect(mismatches).toHaveLength(warnings)
        if (warnings) expect(mismatches[0]).toContain('refreshTokenRotationEnabled')
      } finally {
        await h.close()
      }
    },
  )
})

describe('Browser strategy: a refreshed cookie that is never sent', () => {
  it('is reported once the request is over (a resource route that forgot applyHeaders)', async () => {
    const logged: string[] = []
    const cell = { strategy: SessionStrategy.Browser, rotation: true, usePost: false }
    const h = await startCell(cell, { auth: { logger: { warn: (line) => void logged.push(line) } } })
    try {
      const browser = new AppBrowser()
      await login(h, browser)
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldAdvanceTime: true })
      const sent = { request: browser.request('/'), context: {} }
      await h.auth.getAccessToken(sent.request, { refresh: true }, sent.context)
      const forgot = { request: browser.request('/'), context: {} }
      await h.auth.getAccessToken(forgot.request, { refresh: true }, forgot.context)
      h.auth.applyHeaders(sent.request, sent.context, new Headers())
      vi.advanceTimersByTime(10_000)
      expect(logged.filter((line) => line.includes('(cookie_not_sent)'))).toHaveLength(1)
    } finally {
      vi.useRealTimers()
      await h.close()
    }
  })
})
