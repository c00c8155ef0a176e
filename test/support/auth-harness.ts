import { createMemorySessionStorage, type SessionStorage } from '@remix-run/node'
import { completeLogin, type CookieJar } from '../../dev/auth0-emulator/login'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../dev/auth0-emulator/server'
import {
  Auth0RemixServer,
  SessionStrategy,
  type Auth0RemixServerOptions,
  type AuthorizeOptions,
  type UserProfile,
} from '~/lib/auth0'
import { createTestSession } from '~/lib/auth0/testing.server'
import { AppBrowser, location, responseOf } from './browser'
import { createTestClock, type TestClock } from './clock'

export const appOrigin = 'http://localhost:3999'
export const clientId = 'library-test-client'
export const clientSecret = 'library-test-client-secret-0123456789abcdef'
export const sessionSecret = 'library-test-session-secret-0123456789abcdef'

export interface Harness {
  emulator: RunningEmulator
  auth: Auth0RemixServer
  storage: SessionStorage
  /** The authenticator's clock: `clock.advance(ms)` instead of sleeping until a token is due or expired. */
  clock: TestClock
  close(): Promise<void>
}

export interface HarnessOptions {
  emulator?: Partial<EmulatorOptions>
  auth?: Partial<Auth0RemixServerOptions>
  storage?: SessionStorage
  strategy?: SessionStrategy
  /** false: response_mode=query */
  usePost?: boolean
  audience?: string
  organization?: string
  /** The library's clock; share the harness's (`harness.clock`) so that advancing it moves every authenticator. */
  clock?: TestClock
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await startEmulator({
    port: 0,
    quiet: true,
    // The authenticator below says the tenant rotates (as the stack recommends); a test may say otherwise.
    refreshTokens: { rotation: true },
    clients: [
      {
        clientId,
        clientSecret,
        redirectUris: [`${appOrigin}/auth/callback`, `${appOrigin}/auth/callback?flow=promo`],
        logoutUrls: [appOrigin, `${appOrigin}/`],
        backchannelLogoutUri: `${appOrigin}/auth/backchannel-logout`,
      },
    ],
    ...options.emulator,
  })
  const storage =
    options.storage ??
    createMemorySessionStorage({
      cookie: { name: '__session', secrets: [sessionSecret], sameSite: 'lax', httpOnly: true, path: '/' },
    })
  const clock = options.clock ?? createTestClock()
  const auth = createAuthenticator(emulator, storage, { ...options, clock })
  return { emulator, auth, storage, clock, close: () => emulator.close() }
}

export function createAuthenticator(
  emulator: RunningEmulator,
  storage: SessionStorage,
  options: HarnessOptions = {},
): Auth0RemixServer {
  return new Auth0RemixServer({
    clientDetails: {
      domain: emulator.origin,
      clientID: clientId,
      clientSecret,
      usePost: options.usePost,
      audience: options.audience,
      organization: options.organization,
    },
    callbackURL: `${appOrigin}/auth/callback`,
    refreshTokenRotationEnabled: true,
    failedLoginRedirect: '/login',
    session: { store: storage, key: 'user', strategy: options.strategy ?? SessionStrategy.Server },
    secrets: [sessionSecret],
    logger: { warn: () => undefined },
    now: (options.clock ?? createTestClock()).now,
    ...options.auth,
  })
}

export interface LoginOptions {
  email?: string
  returnTo?: string
  authorize?: AuthorizeOptions
  jar?: CookieJar
}

/** Starts a login at the library, passes the emulator's login page over HTTP, returns the callback request. */
export async function beginLogin(harness: Harness, browser: AppBrowser, options: LoginOptions = {}) {
  const started = browser.store(
    await responseOf(() =>
      harness.auth.authorize(browser.post('/auth/auth0'), {
        returnTo: options.returnTo,
        ...options.authorize,
      }),
    ),
  )
  const authorizeUrl = location(started)
  const callback = await completeLogin(authorizeUrl.href, {
    email: options.email ?? 'alice@example.com',
    jar: options.jar,
    signup: options.authorize?.forceSignup,
  })
  return { authorizeUrl, callback }
}

/** Delivers a callback request the way a browser would (form_post: cross-site POST, then the GET bounce). */
export async function deliverCallback(
  harness: Harness,
  browser: AppBrowser,
  callback: Awaited<ReturnType<typeof beginLogin>>['callback'],
): Promise<Response> {
  const handle = (request: Request) =>
    responseOf(() => harness.auth.handleCallback(request, { onSuccessRedirect: '/dashboard' }))
  if (callback.method === 'GET') {
    const url = new URL(callback.url)
    return browser.store(await handle(browser.request(url.pathname + url.search)))
  }
  const url = new URL(callback.url)
  const first = browser.store(
    await handle(
      browser.request(url.pathname + url.search, {
        method: 'POST',
        body: callback.body,
        crossSite: true,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'null' },
      }),
    ),
  )
  if (first.status !== 303) return first
  const next = location(first)
  return browser.store(await handle(browser.request(next.pathname + next.search)))
}

/** A full login; returns the final redirect. */
export async function login(
  harness: Harness,
  browser: AppBrowser,
  options: LoginOptions = {},
): Promise<Response> {
  const { callback } = await beginLogin(harness, browser, options)
  return deliverCallback(harness, browser, callback)
}

/**
 * A browser holding a session made by createTestSession, for tests about reading sessions rather than logging in.
 * Its session has no refresh token the emulator knows.
 */
export async function signedIn(auth: Auth0RemixServer, user: UserProfile): Promise<AppBrowser> {
  return new AppBrowser().adopt(await createTestSession(auth, { user }))
}
