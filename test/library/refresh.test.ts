import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import { login, startHarness, type Harness } from '../support/auth-harness'

let harness: Harness
beforeAll(async () => {
  // Access tokens live 60 s: refresh is due after 30 s (leeway is at most half the lifetime). The library's clock
  // is moved, not waited for; the emulator's refresh tokens stay valid in real time.
  harness = await startHarness({ emulator: { ttl: { accessToken: 60 } } })
})
/** Moves the library's clock until the access token is due for refresh (not yet expired). */
const untilDue = () => harness.clock.advance(31_000)
/** Moves the library's clock past the access token's expiry, from the moment it was issued. */
const untilExpired = () => harness.clock.advance(61_000)
afterAll(() => harness.close())
beforeEach(() => harness.emulator.control.reset())

async function loggedIn() {
  const browser = new AppBrowser()
  await login(harness, browser)
  await harness.emulator.control.reset()
  return browser
}

const refreshCalls = async () => (await harness.emulator.control.counters()).grants.refresh_token ?? 0

describe('refresh', () => {
  it('makes exactly one refresh for 50 concurrent requests of one session, and all succeed', async () => {
    const browser = await loggedIn()
    const before = await harness.auth.getSessionInfo(browser.request('/'))
    expect(before.lastRefreshedAt).toBeNull()
    expect(await refreshCalls()).toBe(0)
    untilDue()
    const results = await Promise.all(
      Array.from({ length: 50 }, () => harness.auth.getSessionInfo(browser.request('/dashboard'))),
    )
    expect(await refreshCalls()).toBe(1)
    expect(results.every((info) => info.user.email === 'alice@example.com')).toBe(true)
    expect(new Set(results.map((info) => info.accessTokenExpiresAt)).size).toBe(1)
    expect(results[0]!.accessTokenExpiresAt).toBeGreaterThan(before.accessTokenExpiresAt)
    // the session ends with the new tokens
    const after = await harness.auth.getSessionInfo(browser.request('/'))
    expect(after.accessTokenExpiresAt).toBe(results[0]!.accessTokenExpiresAt)
    expect(after.lastRefreshedAt).not.toBeNull()
  })

  it('shares one session read and refresh across the loaders of one request (context)', async () => {
    const browser = await loggedIn()
    untilDue()
    const context = {}
    await Promise.all(
      Array.from({ length: 5 }, () => harness.auth.getUser(browser.request('/dashboard'), context)),
    )
    expect(await refreshCalls()).toBe(1)
  })

  it('keeps rotating: consecutive refreshes never replay a used refresh token', async () => {
    const browser = await loggedIn()
    for (let round = 0; round < 3; round++) {
      untilDue()
      expect((await harness.auth.getUser(browser.request('/'))).email).toBe('alice@example.com')
    }
    expect(await refreshCalls()).toBe(3)
    // not due again until the clock moves
    await harness.auth.getUser(browser.request('/'))
    expect(await refreshCalls()).toBe(3)
    // reuse detection in the emulator would have revoked the family: the session still works
    untilDue()
    expect(await harness.auth.getUserOrNull(browser.request('/'))).not.toBeNull()
    expect(await refreshCalls()).toBe(4)
  })

  it('removes the user when Auth0 rejects the refresh token', async () => {
    const browser = await loggedIn()
    const info = await harness.auth.getSessionInfo(browser.request('/'))
    await harness.emulator.control.revokeRefreshTokens(info.user.id)
    // before the token is due the revocation goes unnoticed: no refresh is attempted
    expect(await harness.auth.getUserOrNull(browser.request('/'))).not.toBeNull()
    expect(await refreshCalls()).toBe(0)
    untilExpired()
    const redirect = await responseOf(() => harness.auth.getUser(browser.request('/dashboard?tab=1')))
    expect(location(redirect).pathname).toBe('/login')
    expect(location(redirect).searchParams.get('returnTo')).toBe('/dashboard?tab=1')
    expect(location(redirect).searchParams.get('error')).toBe('refresh_failed')
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
    const session = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(session.get('user')).toBeUndefined()
  })

  it('keeps serving while Auth0 is down and the token still works, then logs out cleanly', async () => {
    const browser = await loggedIn()
    untilDue()
    await harness.emulator.control.setFaults({ token: { status: 500 } })
    // due for refresh but not expired: served
    expect(await harness.auth.getUserOrNull(browser.request('/'))).not.toBeNull()
    expect(await refreshCalls()).toBe(1)
    harness.clock.advance(30_000)
    // expired and Auth0 still down: logged out with a clear code
    const redirect = await responseOf(() => harness.auth.getUser(browser.request('/dashboard')))
    expect(location(redirect).searchParams.get('error')).toBe('refresh_failed')
    await harness.emulator.control.clearFaults()
  })

  it('reads the session once for all the loaders of one request (context), once each without it', async () => {
    const browser = await loggedIn()
    const reads = vi.spyOn(harness.storage, 'getSession')
    try {
      const context = {}
      await Promise.all(
        Array.from({ length: 5 }, () => harness.auth.getUser(browser.request('/dashboard'), context)),
      )
      expect(reads).toHaveBeenCalledTimes(1)
      await Promise.all(Array.from({ length: 5 }, () => harness.auth.getUser(browser.request('/dashboard'))))
      expect(reads).toHaveBeenCalledTimes(6)
    } finally {
      reads.mockRestore()
    }
  })

  it('tells every concurrent request of a refused refresh the same reason: one refresh call, all refresh_failed', async () => {
    const browser = await loggedIn()
    const info = await harness.auth.getSessionInfo(browser.request('/'))
    await harness.emulator.control.revokeRefreshTokens(info.user.id)
    untilExpired()
    const redirects = await Promise.all(
      Array.from({ length: 20 }, () => responseOf(() => harness.auth.getUser(browser.request('/dashboard')))),
    )
    expect(await refreshCalls()).toBe(1)
    expect(redirects.map((redirect) => location(redirect).searchParams.get('error'))).toEqual(
      Array(20).fill('refresh_failed'),
    )
  })
})
