import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import { appOrigin, clientId, login, startHarness, type Harness } from '../support/auth-harness'

let harness: Harness
beforeAll(async () => {
  harness = await startHarness()
})
afterAll(() => harness.close())
beforeEach(() => harness.emulator.control.reset())

describe('logout', () => {
  it('destroys the session, revokes the refresh token and redirects to Auth0 /v2/logout', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const stolenCookie = browser.header()
    const response = browser.store(await responseOf(() => harness.auth.logout(browser.post('/logout'))))
    const url = location(response)
    expect(url.origin + url.pathname).toBe(`${harness.emulator.origin}/v2/logout`)
    expect(url.searchParams.get('client_id')).toBe(clientId)
    expect(url.searchParams.get('returnTo')).toBe(`${appOrigin}/`)
    expect(
      response.headers
        .getSetCookie()
        .some((c) => c.startsWith('__session=;') || /Max-Age=0|Expires=Thu, 01 Jan 1970/.test(c)),
    ).toBe(true)
    expect((await harness.emulator.control.counters()).endpoints['/oauth/revoke']).toBe(1)
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
    // replaying the old cookie after logout gives nothing
    const replay = new Request(`${appOrigin}/dashboard`, { headers: { Cookie: stolenCookie } })
    expect(await harness.auth.getUserOrNull(replay)).toBeNull()
    // and Auth0 accepts the logout URL (returnTo is an allowed logout URL)
    const auth0 = await fetch(url, { redirect: 'manual' })
    expect(auth0.status).toBeGreaterThanOrEqual(300)
    expect(auth0.status).toBeLessThan(400)
    expect(auth0.headers.get('Location')).toBe(`${appOrigin}/`)
  })

  it('only returns to same-origin paths', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const response = await responseOf(() =>
      harness.auth.logout(browser.post('/logout'), { returnTo: '//evil.example' }),
    )
    expect(location(response).searchParams.get('returnTo')).toBe(`${appOrigin}/`)
    const kept = await responseOf(() =>
      harness.auth.logout(new AppBrowser().post('/logout'), { returnTo: '/bye' }),
    )
    expect(location(kept).searchParams.get('returnTo')).toBe(`${appOrigin}/bye`)
  })

  it('refuses GET (405) and cross-origin POSTs (403) and keeps the session', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const get = await responseOf(() => harness.auth.logout(browser.request('/logout')))
    expect(get.status).toBe(405)
    const crossOrigin = await responseOf(() =>
      harness.auth.logout(
        browser.request('/logout', { method: 'POST', headers: { Origin: 'https://evil.example' } }),
      ),
    )
    expect(crossOrigin.status).toBe(403)
    const fetchMetadata = await responseOf(() =>
      harness.auth.logout(
        browser.request('/logout', {
          method: 'POST',
          headers: { Origin: '', 'Sec-Fetch-Site': 'cross-site' },
        }),
      ),
    )
    expect(fetchMetadata.status).toBe(403)
    expect(await harness.auth.getUserOrNull(browser.request('/'))).not.toBeNull()
  })

  it('keeps the seed form logout(redirectTo, headers)', async () => {
    const response = await responseOf(() =>
      harness.auth.logout(`${appOrigin}/`, { 'Set-Cookie': 'a=; Max-Age=0' }),
    )
    expect(location(response).searchParams.get('returnTo')).toBe(`${appOrigin}/`)
    expect(response.headers.get('Set-Cookie')).toBe('a=; Max-Age=0')
  })
})
