import { createCookieSessionStorage, createMemorySessionStorage, type SessionStorage } from '@remix-run/node'
import { errors as joseErrors } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { completeLogin } from '../../dev/auth0-emulator/login'
import { DEFAULT_APIS } from '../../dev/auth0-emulator/config'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  appOrigin,
  beginLogin,
  clientId,
  clientSecret,
  createAuthenticator,
  deliverCallback,
  login,
  sessionSecret,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { freePort } from '../support/ports'
import {
  Auth0RemixServer,
  SessionStrategy,
  Token,
  TokenErrorCode,
  type Credentials,
  type UserProfile,
} from '~/lib/auth0'
import { toTokenError } from '~/lib/auth0/errors'
import { userFromClaims } from '~/lib/auth0/session.server'

/**
 * Issue 12's B-items and loose ends: behaviour an app written from the original auth0-remix-server README relies
 * on. Each test failed before its fix.
 */

let harness: Harness
let apiV2: string
beforeAll(async () => {
  const port = await freePort()
  apiV2 = `http://127.0.0.1:${port}/api/v2/`
  harness = await startHarness({
    emulator: { port, apis: [...DEFAULT_APIS, { identifier: apiV2, scopes: ['read:users'] }] },
  })
  expect(`${harness.emulator.origin}/api/v2/`).toBe(apiV2)
})
afterAll(() => harness.close())
beforeEach(() => harness.emulator.control.reset())

const withAuth = (auth: Auth0RemixServer): Harness => ({ ...harness, auth })

describe('B5: isValid(token, Token.ACCESS) without a configured audience', () => {
  it("defaults the audience to the tenant's Management API, like the original", async () => {
    const auth = createAuthenticator(harness.emulator, harness.storage)
    const browser = new AppBrowser()
    await login(withAuth(auth), browser, { authorize: { audience: apiV2 } })
    const token = await auth.getAccessToken(browser.request('/'))
    await expect(auth.isValid(token, Token.ACCESS)).resolves.toBe(true)
    // the seed README's spelling
    await expect(auth.isValid(token, Token.AccessToken)).resolves.toBe(true)
  })
})

describe('B12: authorize tells its call forms apart without instanceof Request', () => {
  it('accepts a request from another fetch implementation (method, url, headers)', async () => {
    const real = new AppBrowser().post('/auth/auth0')
    const foreign = { method: real.method, url: real.url, headers: real.headers } as unknown as Request
    const response = await responseOf(() => harness.auth.authorize(foreign, { forceLogin: true }))
    expect(location(response).searchParams.get('prompt')).toBe('login')
  })
})

describe('B10: getUser with the profile cache hooks never fails because of them', () => {
  const hooks = (set: (token: string, profile: UserProfile) => Promise<void>) =>
    createAuthenticator(harness.emulator, harness.storage, {
      auth: { profileCacheGet: async () => undefined, profileCacheSet: set },
    })

  it('falls back to the ID token claims when /userinfo fails', async () => {
    const auth = hooks(async () => undefined)
    const browser = new AppBrowser()
    await login(withAuth(auth), browser)
    await harness.emulator.control.setFaults({ userinfo: { status: 500 } })
    expect((await auth.getUser(browser.request('/'))).email).toBe('alice@example.com')
    await harness.emulator.control.clearFaults()
  })

  it('returns the /userinfo profile when profileCacheSet rejects', async () => {
    const auth = hooks(() => Promise.reject(new Error('cache down')))
    const browser = new AppBrowser()
    await login(withAuth(auth), browser)
    expect((await auth.getUser(browser.request('/'))).email).toBe('alice@example.com')
    expect((await harness.emulator.control.counters()).endpoints['/userinfo']).toBe(1)
  })

  it('keeps custom claims (namespaced, app_metadata…) in the profile', () => {
    const profile = userFromClaims({
      sub: 'auth0|x',
      name: 'X',
      'https://example.com/roles': ['admin'],
      iss: 'https://tenant/',
      nonce: 'n',
    })
    expect(profile['https://example.com/roles']).toEqual(['admin'])
    expect(profile.name).toBe('X')
    expect(profile).not.toHaveProperty('iss')
    expect(profile).not.toHaveProperty('nonce')
  })
})

describe('B11: a failure after a successful code exchange', () => {
  it('redirects with ?error= when credentialsCallback throws, and keeps the previous session', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const before = await harness.auth.getUser(browser.request('/'))
    const failing = createAuthenticator(harness.emulator, harness.storage, {
      auth: {
        credentialsCallback: () => {
          throw new Error('app bug')
        },
      },
    })
    const done = await login(withAuth(failing), browser, { email: 'bob@example.com' })
    expect(location(done).pathname).toBe('/login')
    expect(location(done).searchParams.get('error')).toBe('unknown_error')
    expect((await harness.auth.getUser(browser.request('/'))).id).toBe(before.id)
  })

  it('redirects with ?error= when the store cannot save the new session, and keeps the previous one', async () => {
    let failNext = false
    const memory = createMemorySessionStorage({
      cookie: { name: '__session', secrets: [sessionSecret], sameSite: 'lax', httpOnly: true, path: '/' },
    })
    const flaky: SessionStorage = {
      ...memory,
      async commitSession(session, options) {
        if (failNext) {
          failNext = false
          throw new Error('database down')
        }
        return memory.commitSession(session, options)
      },
    }
    const auth = createAuthenticator(harness.emulator, flaky)
    const browser = new AppBrowser()
    await login(withAuth(auth), browser)
    failNext = true
    const done = await login(withAuth(auth), browser, { email: 'bob@example.com' })
    expect(location(done).searchParams.get('error')).toBe('unknown_error')
    expect((await auth.getUser(browser.request('/'))).email).toBe('alice@example.com')
  })
})

describe('B8: re-login as a different user', () => {
  it('keeps pre-login values for the same user only', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const session = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    session.set('cart', ['book'])
    browser.store(
      new Response(null, { headers: { 'Set-Cookie': await harness.storage.commitSession(session) } }),
    )
    await login(harness, browser)
    const same = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(same.get('cart')).toEqual(['book'])
    await login(harness, browser, { email: 'bob@example.com' })
    const other = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect((await harness.auth.getUser(browser.request('/'))).email).toBe('bob@example.com')
    expect(other.get('cart')).toBeUndefined()
  })
})

describe('B9: revokeRefreshTokenOnLogout', () => {
  it('revokes by default, and not when switched off (other devices keep their grant)', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    await responseOf(() => harness.auth.logout(browser.post('/logout')))
    expect((await harness.emulator.control.counters()).endpoints['/oauth/revoke']).toBe(1)
    await harness.emulator.control.reset()
    const keep = createAuthenticator(harness.emulator, harness.storage, {
      auth: { revokeRefreshTokenOnLogout: false },
    })
    const second = new AppBrowser()
    await login(withAuth(keep), second)
    const response = await responseOf(() => keep.logout(second.post('/logout')))
    expect(location(response).pathname).toBe('/v2/logout')
    expect((await harness.emulator.control.counters()).endpoints['/oauth/revoke'] ?? 0).toBe(0)
    expect(await keep.getUserOrNull(second.request('/'))).toBeNull()
  })
})

describe('B9 on a tenant where revoking a refresh token deletes the grant', () => {
  let tenant: Harness
  beforeAll(async () => {
    tenant = await startHarness({ emulator: { refreshTokens: { revocationDeletesGrant: true } } })
  })
  afterAll(() => tenant.close())

  it('logout ends the other devices by default, and keeps them with revokeRefreshTokenOnLogout: false', async () => {
    for (const revoke of [true, false]) {
      const auth = createAuthenticator(tenant.emulator, tenant.storage, {
        auth: { revokeRefreshTokenOnLogout: revoke },
      })
      const laptop = new AppBrowser()
      const phone = new AppBrowser()
      await login({ ...tenant, auth }, laptop)
      await login({ ...tenant, auth }, phone)
      await responseOf(() => auth.logout(laptop.post('/logout')))
      const refreshed = auth.getAccessToken(phone.request('/'), { refresh: true })
      if (revoke) await expect(refreshed).rejects.toMatchObject({ name: 'AccessTokenError' })
      else await expect(refreshed).resolves.toBeTruthy()
    }
  })
})

describe('B14: opting out of session handling', () => {
  it('getUser / getSessionInfo fail with an error naming the fix instead of redirecting to the login page', async () => {
    const auth = new Auth0RemixServer({
      clientDetails: { domain: harness.emulator.origin, clientID: clientId, clientSecret },
      callbackURL: `${appOrigin}/auth/callback`,
      failedLoginRedirect: '/login',
    })
    const request = new AppBrowser().request('/dashboard')
    await expect(auth.getUser(request)).rejects.toThrow(/session.*credentialsCallback/s)
    await expect(auth.getSessionInfo(request)).rejects.toThrow(TypeError)
    await expect(auth.getUserOrNull(request)).rejects.toThrow(TypeError)
  })
})

describe('B4: the store decides, not session.strategy', () => {
  const cookieStore = () =>
    createCookieSessionStorage({
      cookie: { name: '__session', secrets: [sessionSecret], sameSite: 'lax', httpOnly: true, path: '/' },
    })

  it('Server strategy on a cookie store still hands out the refreshed cookie', async () => {
    const store = cookieStore()
    const auth = createAuthenticator(harness.emulator, store, { strategy: SessionStrategy.Server })
    const browser = new AppBrowser()
    await login(withAuth(auth), browser)
    const context = {}
    const request = browser.request('/')
    const token = await auth.getAccessToken(request, { refresh: true }, context)
    const headers = new Headers()
    auth.applyHeaders(request, context, headers)
    expect(headers.getSetCookie().some((cookie) => cookie.startsWith('__session='))).toBe(true)
    browser.store(new Response(null, { headers }))
    expect(await auth.getAccessToken(browser.request('/'))).toBe(token)
  })

  it('a session too large for a 4 KB cookie fails the login with ?error=, not a 500', async () => {
    const store = cookieStore()
    const auth = createAuthenticator(harness.emulator, store, { strategy: SessionStrategy.Browser })
    const browser = new AppBrowser()
    const before = await store.getSession()
    before.set('notes', 'n'.repeat(2000))
    browser.store(new Response(null, { headers: { 'Set-Cookie': await store.commitSession(before) } }))
    const done = await login(withAuth(auth), browser)
    expect(location(done).pathname).toBe('/login')
    expect(location(done).searchParams.get('error')).toBe('session_too_large')
  })
})

describe('B6: form_post on a plain-http APP_DOMAIN that is not localhost', () => {
  it('warns once at construction and falls back to response_mode=query (a Secure cookie would be dropped)', async () => {
    const warnings: string[] = []
    const auth = new Auth0RemixServer({
      clientDetails: { domain: harness.emulator.origin, clientID: clientId, clientSecret },
      callbackURL: 'http://192.168.1.20:3000/auth/callback',
      failedLoginRedirect: '/login',
      logger: { warn: (message: string) => void warnings.push(message) },
    })
    expect(warnings.join()).toMatch(/form_post.*query/)
    const request = new Request('http://192.168.1.20:3000/auth/auth0', { method: 'POST' })
    const response = await responseOf(() => auth.authorize(request))
    expect(location(response).searchParams.get('response_mode')).toBe('query')
    const transaction = response.headers.getSetCookie().find((cookie) => cookie.startsWith('__a0tx_'))!
    expect(transaction).not.toMatch(/;\s*Secure/i)
    expect(transaction).toMatch(/SameSite=Lax/i)
  })

  it('keeps form_post on https and on http://localhost', async () => {
    for (const callbackURL of ['https://app.example.com/auth/callback', `${appOrigin}/auth/callback`]) {
      const warnings: string[] = []
      const auth = new Auth0RemixServer({
        clientDetails: { domain: harness.emulator.origin, clientID: clientId, clientSecret },
        callbackURL,
        failedLoginRedirect: '/login',
        logger: { warn: (message: string) => void warnings.push(message) },
      })
      const response = await responseOf(() => auth.authorize({}))
      expect(location(response).searchParams.get('response_mode')).toBe('form_post')
      expect(warnings).toEqual([])
    }
  })
})

describe('B7: a callback route with only an action (the original README)', () => {
  it('names the fix in the log when the form_post bounce never came back', async () => {
    const warnings: string[] = []
    const auth = createAuthenticator(harness.emulator, harness.storage, {
      auth: { logger: { warn: (message: string) => void warnings.push(message) } },
    })
    const browser = new AppBrowser()
    const { callback } = await beginLogin(withAuth(auth), browser)
    const url = new URL(callback.url)
    const held = browser.store(
      await responseOf(() =>
        auth.handleCallback(
          browser.request(url.pathname, {
            method: 'POST',
            body: (callback as { body: URLSearchParams }).body,
            crossSite: true,
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'null' },
          }),
          { onSuccessRedirect: '/dashboard' },
        ),
      ),
    )
    expect(held.status).toBe(303)
    // The GET to the callback got Remix's 400 (no loader): the user tries again.
    await responseOf(() => auth.authorize(browser.post('/auth/auth0')))
    expect(warnings.join()).toMatch(/export const loader = action/)
  })
})

describe('loose ends', () => {
  it('onFailureRedirect overrides failedLoginRedirect', async () => {
    const browser = new AppBrowser()
    const response = await responseOf(() =>
      harness.auth.handleCallback(browser.request('/auth/callback?state=forged&code=x'), {
        onSuccessRedirect: '/dashboard',
        onFailureRedirect: '/oops',
      }),
    )
    expect(location(response).pathname).toBe('/oops')
    expect(location(response).searchParams.get('error')).toBe('invalid_state')
  })

  it('calls credentialsCallback after a refresh, with the new tokens', async () => {
    const received: Credentials[] = []
    const auth = createAuthenticator(harness.emulator, harness.storage, {
      auth: { credentialsCallback: (credentials) => void received.push(credentials) },
    })
    const browser = new AppBrowser()
    await login(withAuth(auth), browser)
    expect(received).toHaveLength(1)
    const token = await auth.getAccessToken(browser.request('/'), { refresh: true })
    expect(received).toHaveLength(2)
    expect(received[1]!.accessToken).toBe(token)
    expect(received[1]!.lastRefreshed).toBeGreaterThanOrEqual(received[0]!.lastRefreshed)
    expect(received[1]!.refreshToken).toBeTruthy()
  })

  it('authorize(options) without a request (the original signature) logs in', async () => {
    const browser = new AppBrowser()
    const started = browser.store(await responseOf(() => harness.auth.authorize({ forceLogin: true })))
    expect(location(started).searchParams.get('prompt')).toBe('login')
    const callback = await completeLogin(location(started).href, { email: 'alice@example.com' })
    const done = await deliverCallback(harness, browser, callback)
    expect(location(done).pathname).toBe('/dashboard')
    expect((await harness.auth.getUser(browser.request('/'))).email).toBe('alice@example.com')
  })

  it('maps ERR_JWKS_MULTIPLE_MATCHING_KEYS', () => {
    expect(toTokenError(new joseErrors.JWKSMultipleMatchingKeys()).code).toBe(
      TokenErrorCode.multipleMatchingKeys,
    )
    expect(TokenErrorCode.multipleMatchingKeys).toBe('ERR_JWKS_MULTIPLE_MATCHING_KEYS')
  })
})

describe('logout(redirectTo, headers): the original threw at once', () => {
  it('throws the redirect synchronously, so a route that calls it without await still logs out', () => {
    let thrown: unknown
    try {
      void harness.auth.logout(appOrigin, { 'Set-Cookie': '__session=; Max-Age=0' })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(Response)
    const response = thrown as Response
    expect(location(response).pathname).toBe('/v2/logout')
    expect(location(response).searchParams.get('returnTo')).toBe(appOrigin)
    expect(response.headers.get('Set-Cookie')).toBe('__session=; Max-Age=0')
  })
})
