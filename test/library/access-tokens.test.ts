import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  beginLogin,
  createAuthenticator,
  deliverCallback,
  login,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { createTestClock } from '../support/clock'
import { advanceClock } from '../support/matrix'
import { CookieJar } from '../../dev/auth0-emulator/login'
import { AccessTokenError, Token } from '~/lib/auth0'

const defaultApi = 'http://localhost:3000/api'
const otherApi = 'https://api.example.test'

let harness: Harness
beforeAll(async () => {
  harness = await startHarness({ audience: defaultApi })
})
afterAll(() => harness.close())
beforeEach(() => harness.emulator.control.reset())

async function loggedIn(jar?: CookieJar) {
  const browser = new AppBrowser()
  await login(harness, browser, { jar })
  await harness.emulator.control.reset()
  return browser
}

const counters = () => harness.emulator.control.counters()

describe('getAccessToken', () => {
  it('returns the session token for the default API without calling Auth0', async () => {
    const browser = await loggedIn()
    const token = await harness.auth.getAccessToken(browser.request('/'))
    const claims = await harness.auth.decodeToken(token, Token.ACCESS)
    expect(claims.aud).toContain(defaultApi)
    expect((await counters()).endpoints['/oauth/token'] ?? 0).toBe(0)
  })

  it('refresh: true gets a new token with one refresh, shared by concurrent callers', async () => {
    const browser = await loggedIn()
    const before = await harness.auth.getAccessToken(browser.request('/'))
    const tokens = await Promise.all(
      Array.from({ length: 10 }, () => harness.auth.getAccessToken(browser.request('/'), { refresh: true })),
    )
    expect((await counters()).grants.refresh_token).toBe(1)
    expect(new Set(tokens).size).toBe(1)
    expect(tokens[0]).not.toBe(before)
    expect(await harness.auth.getAccessToken(browser.request('/'))).toBe(tokens[0])
  })

  it('gets a token for a second audience with the refresh token and keeps it per audience', async () => {
    const browser = await loggedIn()
    const token = await harness.auth.getAccessToken(browser.request('/'), { audience: otherApi })
    const claims = await harness.auth.decodeToken(token, Token.ACCESS, { audience: otherApi })
    expect(claims.aud).toContain(otherApi)
    expect(await harness.auth.isValid(token, Token.ACCESS)).toBe(false) // not for the default API
    expect((await counters()).grants.refresh_token).toBe(1)
    // cached in the session; the default token is untouched and still works
    expect(await harness.auth.getAccessToken(browser.request('/'), { audience: otherApi })).toBe(token)
    expect((await counters()).grants.refresh_token).toBe(1)
    const defaultToken = await harness.auth.getAccessToken(browser.request('/'))
    expect(await harness.auth.isValid(defaultToken, Token.ACCESS)).toBe(true)
  })

  it('throws a typed AccessTokenError when the refresh token is no longer accepted', async () => {
    const browser = await loggedIn()
    const { user } = await harness.auth.getSessionInfo(browser.request('/'))
    await harness.emulator.control.revokeRefreshTokens(user.id)
    const failure = await harness.auth.getAccessToken(browser.request('/'), { refresh: true }).catch((e) => e)
    expect(failure).toBeInstanceOf(AccessTokenError)
    expect(failure.code).toBe('refresh_failed')
    // failed events remove the user
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
  })
})

describe('fetchWithAccessToken', () => {
  let api: Server
  let calls: string[] = []
  let rejectFirst = true
  let apiOrigin = ''

  beforeAll(async () => {
    api = createServer((request, response) => {
      calls.push(request.headers.authorization ?? '')
      const reject = rejectFirst && calls.length === 1
      response.writeHead(reject ? 401 : 200, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ ok: !reject }))
    })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    apiOrigin = `http://127.0.0.1:${(api.address() as { port: number }).port}`
  })
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())))

  it('sends the bearer token and, after a 401, retries exactly once with a refreshed token', async () => {
    const browser = await loggedIn()
    calls = []
    rejectFirst = true
    const response = await harness.auth.fetchWithAccessToken(browser.request('/'), `${apiOrigin}/me`)
    expect(response.status).toBe(200)
    expect(calls).toHaveLength(2)
    expect(calls[0]).toMatch(/^Bearer /)
    expect(calls[1]).not.toBe(calls[0])
    expect((await counters()).grants.refresh_token).toBe(1)
  })

  it('does not retry a success', async () => {
    const browser = await loggedIn()
    calls = []
    rejectFirst = false
    expect((await harness.auth.fetchWithAccessToken(browser.request('/'), `${apiOrigin}/me`)).status).toBe(
      200,
    )
    expect(calls).toHaveLength(1)
  })
})

describe('organizations', () => {
  it('sends the organization and checks org_id in the ID token', async () => {
    const org = await startHarness({ organization: 'org_acme' })
    try {
      const browser = new AppBrowser()
      const { authorizeUrl, callback } = await beginLogin(org, browser)
      expect(authorizeUrl.searchParams.get('organization')).toBe('org_acme')
      expect(location(await deliverCallback(org, browser, callback)).pathname).toBe('/dashboard')
      expect((await org.auth.getUser(browser.request('/'))).orgId).toBe('org_acme')

      for (const tamper of ['wrong-org', 'missing-org'] as const) {
        const attacker = new AppBrowser()
        const started = await beginLogin(org, attacker)
        await org.emulator.control.setFaults({ idToken: { tamper } })
        const failed = await deliverCallback(org, attacker, started.callback)
        expect(location(failed).searchParams.get('error')).toBe('org_mismatch')
        expect(await org.auth.getUserOrNull(attacker.request('/'))).toBeNull()
        await org.emulator.control.clearFaults()
      }
    } finally {
      await org.close()
    }
  })

  it('passes an invitation through to /authorize', async () => {
    const browser = new AppBrowser()
    const url = location(
      await responseOf(() =>
        harness.auth.authorize(browser.post('/auth/auth0'), {
          organization: 'org_acme',
          invitation: 'inv_123',
        }),
      ),
    )
    expect(url.searchParams.get('invitation')).toBe('inv_123')
    expect(url.searchParams.get('organization')).toBe('org_acme')
  })
})

describe('step-up authentication', () => {
  it('sends the user back to Auth0 when auth_time is too old, and accepts the fresh login', async () => {
    const jar = new CookieJar()
    const browser = await loggedIn(jar)
    expect((await harness.auth.requireAuth(browser.request('/settings'), { maxAge: 60 })).user.email).toBe(
      'alice@example.com',
    )
    // auth_time has whole seconds: a login moments ago is less than 2 s old
    expect((await harness.auth.requireAuth(browser.request('/settings'), { maxAge: 2 })).user.email).toBe(
      'alice@example.com',
    )
    // The process clock, not only the library's: the emulator (oidc-provider reads Date.now itself) must see its
    // session older than max_age=2 to ask for the login again.
    advanceClock(3100)
    try {
      const redirect = await responseOf(() =>
        harness.auth.requireAuth(browser.request('/settings/email'), { maxAge: 2 }),
      )
      const target = location(redirect)
      expect(target.pathname).toBe('/login')
      expect(target.searchParams.get('maxAge')).toBe('2')
      expect(target.searchParams.get('returnTo')).toBe('/settings/email')
      expect(target.searchParams.get('error')).toBe('reauthentication_required')
      // the login form passes maxAge to authorize(); Auth0 (the emulator) asks for the login again despite its
      // session
      const { authorizeUrl, callback } = await beginLogin(harness, browser, {
        jar,
        returnTo: '/settings/email',
        authorize: { maxAge: 2 },
      })
      expect(authorizeUrl.searchParams.get('max_age')).toBe('2')
      const done = await deliverCallback(harness, browser, callback)
      expect(location(done).pathname).toBe('/settings/email')
      expect(
        (await harness.auth.requireAuth(browser.request('/settings/email'), { maxAge: 2 })).user.email,
      ).toBe('alice@example.com')
    } finally {
      vi.useRealTimers()
    }
  })

  it('requires the acr asked for', async () => {
    const browser = await loggedIn()
    const acr = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'
    const redirect = await responseOf(() => harness.auth.requireAuth(browser.request('/admin'), { acr }))
    expect(location(redirect).searchParams.get('acr')).toBe(acr)
    const { callback } = await beginLogin(harness, browser, { authorize: { acrValues: acr } })
    await deliverCallback(harness, browser, callback)
    expect((await harness.auth.requireAuth(browser.request('/admin'), { acr })).claims.acr).toBe(acr)
  })
})

describe('a stale auth_time from Auth0 is refused at the callback', () => {
  it('rejects a login whose auth_time is older than the max_age asked for', async () => {
    // no clock tolerance, so an authentication 61 s old (on the library's clock) is older than max_age=60; both
    // oauth4webapi (given the clock as its clockSkew) and the library's own auth_time check refuse it
    const clock = createTestClock()
    const auth = createAuthenticator(harness.emulator, harness.storage, {
      audience: defaultApi,
      auth: { clockToleranceSeconds: 0 },
      clock,
    })
    const local: Harness = { ...harness, auth }
    expect(location(await login(local, new AppBrowser(), { authorize: { maxAge: 60 } })).pathname).toBe(
      '/dashboard',
    )
    const browser = new AppBrowser()
    const { callback } = await beginLogin(local, browser, { authorize: { maxAge: 60 } })
    clock.advance(61_000)
    const failed = await deliverCallback(local, browser, callback)
    expect(location(failed).searchParams.get('error')).toBe('id_token_invalid')
  })
})
