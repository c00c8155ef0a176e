import { describe, expect, it } from 'vitest'
import { location } from '../support/browser'
import { closePostgres, lockSqlite } from '../support/outages'
import {
  beginLogin,
  Client,
  dashboardStatus,
  deliverCallback,
  engine,
  expectLoginError,
  expectSafe,
  loggedIn,
  signedIn,
  login,
  type SecretWatch,
  sessionCount,
  withStack,
  type Stack,
} from './support'

/** Outages of Auth0, the JWKS endpoint, the database and the app itself: clear errors, nothing lost. */
let stack: Stack
let watch: SecretWatch
withStack((running) => ({ stack, watch } = running))

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('Auth0 outages during login', () => {
  it.each([
    ['answers 500', { token: { status: 500, times: 1 } }],
    ['is slower than the 5 s timeout', { token: { delayMs: 6500, times: 1 } }],
  ] as const)(
    'token endpoint %s → /login?error=auth0_down, no session',
    { timeout: 30_000 },
    async (_, faults) => {
      const before = await sessionCount(stack)
      const browser = new Client(stack.origin)
      const { callback } = await beginLogin(browser)
      await stack.emulator.control.setFaults(faults)
      const response = await deliverCallback(browser, callback)
      await stack.emulator.control.clearFaults()
      expectLoginError(response, /^(auth0_down|token_exchange_failed)$/)
      await expectSafe(watch, await browser.get(location(response).pathname + location(response).search))
      expect(browser.value('__session')).toBeUndefined()
      expect(await sessionCount(stack)).toBe(before)
      // the next attempt works
      expect(location(await login(browser)).pathname).toBe('/dashboard')
    },
  )
})

describe('Auth0 outages during refresh', () => {
  it('keeps serving while the access token works, then logs out cleanly', { timeout: 30_000 }, async () => {
    await stack.emulator.control.setTtl({ accessToken: 6 })
    const browser = await loggedIn(stack)
    await stack.emulator.control.setTtl({ accessToken: 86_400 })
    await stack.emulator.control.setFaults({ token: { status: 503 } })
    await sleep(3500) // refresh due (half the lifetime), token still valid
    expect(await dashboardStatus(browser)).toBe(200)
    await sleep(3000) // token expired, Auth0 still down
    const response = await browser.get('/dashboard')
    expect(response.status).toBe(302)
    expect(location(response).searchParams.get('error')).toMatch(/^(refresh_failed|session_expired)$/)
    await stack.emulator.control.clearFaults()
    // the row is intact and readable, without the login
    const rows = await stack.db.session.findMany({ select: { data: true } })
    for (const row of rows) expect(() => JSON.parse(row.data)).not.toThrow()
    expect(await dashboardStatus(browser)).toBe(302)
    expect(location(await login(browser)).pathname).toBe('/dashboard')
  })

  it(
    'validates a refreshed ID token with cached keys while the JWKS endpoint is down',
    { timeout: 30_000 },
    async () => {
      await stack.emulator.control.setTtl({ accessToken: 4 })
      const browser = await loggedIn(stack)
      await stack.emulator.control.setTtl({ accessToken: 86_400 })
      await stack.emulator.control.setFaults({ jwks: { status: 500 } })
      expect(await dashboardStatus(browser)).toBe(200)
      await sleep(2500)
      await stack.emulator.control.reset()
      await stack.emulator.control.setFaults({ jwks: { status: 500 } })
      expect(await dashboardStatus(browser)).toBe(200)
      const counters = await stack.emulator.control.counters()
      expect(counters.grants.refresh_token).toBe(1)
      await stack.emulator.control.clearFaults()
    },
  )
})

describe('database outage', () => {
  it(
    `answers 503 (not 500) while the ${engine} database is unavailable and recovers`,
    { timeout: 60_000 },
    async () => {
      const browser = await signedIn(stack)
      const release =
        engine === 'sqlite' ? lockSqlite(stack.database.url) : await closePostgres(stack.database.url)
      try {
        if (engine === 'postgresql') {
          const health = await fetch(`${stack.origin}/healthz`)
          expect(health.status).toBe(503)
          const page = await browser.get('/dashboard')
          expect(page.status).toBe(503)
          const html = await page.text()
          expect(html).toContain('<html')
          expect(watch.found(html)).toEqual([])
        }
        // a login needs a write: it waits for the lock / connection, then fails with a friendly 503
        const fresh = new Client(stack.origin)
        const { callback } = await beginLogin(fresh)
        const response = await deliverCallback(fresh, callback)
        expect(response.status).toBe(503)
        expect(response.headers.get('Retry-After')).toBeTruthy()
        // the callback is a resource route: the store's 503 text as it is (pages render the ErrorBoundary)
        const text = await response.text()
        expect(text).toMatch(/temporarily unavailable/)
        expect(watch.found(text)).toEqual([])
      } finally {
        await release()
      }
      expect((await fetch(`${stack.origin}/healthz`)).status).toBe(200)
      expect(await dashboardStatus(browser)).toBe(200)
      expect(location(await login(new Client(stack.origin))).pathname).toBe('/dashboard')
      expect(stack.output()).toContain('Session store unavailable')
    },
  )
})

describe('Auth0 down', () => {
  it(
    'fails a login cleanly while the emulator is gone; signed-in users keep working',
    { timeout: 60_000 },
    async () => {
      const existing = await signedIn(stack)
      const before = await sessionCount(stack)
      const browser = new Client(stack.origin)
      const { callback } = await beginLogin(browser)
      await stack.emulator.close()
      try {
        const response = await deliverCallback(browser, callback)
        expectLoginError(response, 'auth0_down')
        expect(await sessionCount(stack)).toBe(before)
        expect(await dashboardStatus(existing)).toBe(200)
        expect((await new Client(stack.origin).submit('/auth/auth0')).status).toBeLessThan(500)
      } finally {
        // A new emulator has new signing keys (a real tenant keeps its keys); the restart test below logs in
        // against it with a fresh process.
        await stack.restartEmulator()
      }
    },
  )
})

describe('process restart', () => {
  it('completes a login started before a restart, and new logins work', { timeout: 60_000 }, async () => {
    const browser = new Client(stack.origin)
    const { callback } = await beginLogin(browser)
    await stack.restart()
    const response = await deliverCallback(browser, callback)
    // the transaction lives in the browser's encrypted cookie, so nothing was lost with the process
    expect(location(response).pathname).toBe('/dashboard')
    expect(await dashboardStatus(browser)).toBe(200)
    expect(location(await login(new Client(stack.origin))).pathname).toBe('/dashboard')
  })
})
