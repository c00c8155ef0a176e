import { describe, expect, it } from 'vitest'
import { loggedIn, type SecretWatch, withStack, type Stack } from './support'

/** The built app with SESSION_STRATEGY=browser on a tenant that rotates refresh tokens. */
let stack: Stack
let watch: SecretWatch
withStack(
  (running) => ({ stack, watch } = running),
  () => ({ env: { SESSION_STRATEGY: 'browser' }, emulator: { refreshTokens: { rotation: true } } }),
)

const refreshCalls = async () => (await stack.emulator.control.counters()).grants.refresh_token ?? 0

describe('Browser strategy: a refresh inside a resource route', () => {
  it('sends the refreshed session cookie with the resource route response (/api/me)', async () => {
    // The login's access token is already expired for the example API: /api/me's call gets a 401, and
    // fetchWithAccessToken refreshes and retries inside the resource route.
    await stack.emulator.control.setFaults({ accessToken: { tamper: 'expired', times: 1 } })
    const browser = await loggedIn(stack)
    await stack.emulator.control.reset()
    const before = browser.value('__session')
    const response = await browser.get('/api/me')
    expect(response.status).toBe(200)
    expect(await refreshCalls()).toBe(1)
    // Without it the browser keeps the cookie with the used (rotated) refresh token.
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('__session='))).toBe(true)
    expect(browser.value('__session')).not.toBe(before)
    // The refreshed cookie works and holds a token the API accepts: no further refresh.
    const again = await browser.get('/api/me')
    expect(((await again.json()) as { api: { ok: boolean } }).api.ok).toBe(true)
    expect(await refreshCalls()).toBe(1)
    await watch.expectCleanOutput()
  })
})
