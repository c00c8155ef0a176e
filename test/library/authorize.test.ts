import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, CookieJar } from '../../dev/auth0-emulator/login'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  appOrigin,
  beginLogin,
  deliverCallback,
  login,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import type { AuthorizeOptions } from '~/lib/auth0'

let harness: Harness
beforeAll(async () => {
  harness = await startHarness()
})
afterAll(() => harness.close())

async function authorizeUrl(options: AuthorizeOptions) {
  const browser = new AppBrowser()
  return location(await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'), options)))
}

describe('authorize options (the seed table)', () => {
  it('forceLogin sends prompt=login', async () => {
    expect((await authorizeUrl({ forceLogin: true })).searchParams.get('prompt')).toBe('login')
  })

  it('forceSignup sends screen_hint=signup, with forceLogin too', async () => {
    const url = await authorizeUrl({ forceSignup: true, forceLogin: true })
    expect(url.searchParams.get('screen_hint')).toBe('signup')
    expect(url.searchParams.get('prompt')).toBe('login')
  })

  it('silentAuth sends prompt=none; with forceLogin it is a runtime error (and a type error)', async () => {
    expect((await authorizeUrl({ silentAuth: true })).searchParams.get('prompt')).toBe('none')
    // @ts-expect-error the seed's table: silentAuth + forceLogin is a type error
    const bad: AuthorizeOptions = { silentAuth: true, forceLogin: true }
    await expect(harness.auth.authorize(new AppBrowser().post('/auth/auth0'), bad)).rejects.toThrow(TypeError)
  })

  it('silentAuth + forceSignup: silent wins (no screen_hint), login_required without an Auth0 session', async () => {
    const url = await authorizeUrl({ silentAuth: true, forceSignup: true })
    expect(url.searchParams.get('prompt')).toBe('none')
    expect(url.searchParams.has('screen_hint')).toBe(false)
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser, {
      authorize: { silentAuth: true, forceSignup: true },
    })
    const failed = await deliverCallback(harness, browser, callback)
    expect(location(failed).searchParams.get('error')).toBe('login_required')
  })

  it('silentAuth with an Auth0 session logs in without a page', async () => {
    const jar = new CookieJar()
    const browser = new AppBrowser()
    await login(harness, browser, { jar })
    const silent = new AppBrowser()
    const { callback } = await beginLogin(harness, silent, { jar, authorize: { silentAuth: true } })
    expect(location(await deliverCallback(harness, silent, callback)).pathname).toBe('/dashboard')
  })

  it('passes connection, organization-free audience and login_hint', async () => {
    const url = await authorizeUrl({ connection: 'google-oauth2', loginHint: 'alice@example.com' })
    expect(url.searchParams.get('connection')).toBe('google-oauth2')
    expect(url.searchParams.get('login_hint')).toBe('alice@example.com')
  })

  it('callbackParams reach the callback and the token request repeats the same redirect_uri', async () => {
    const browser = new AppBrowser()
    const { authorizeUrl: url, callback } = await beginLogin(harness, browser, {
      authorize: { callbackParams: { flow: 'promo' } },
    })
    expect(url.searchParams.get('redirect_uri')).toBe(`${appOrigin}/auth/callback?flow=promo`)
    expect(new URL(callback.url).searchParams.get('flow')).toBe('promo')
    expect(location(await deliverCallback(harness, browser, callback)).pathname).toBe('/dashboard')
  })

  it('a sign-up goes through the emulator sign-up page', async () => {
    const browser = new AppBrowser()
    const started = browser.store(
      await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'), { forceSignup: true })),
    )
    const callback = await completeLogin(location(started).href, {
      email: `new-${Date.now()}@example.com`,
      signup: true,
    })
    expect(location(await deliverCallback(harness, browser, callback)).pathname).toBe('/dashboard')
  })
})
