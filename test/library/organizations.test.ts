import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { completeLogin, CookieJar } from '../../dev/auth0-emulator/login'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  beginLogin,
  createAuthenticator,
  deliverCallback,
  login,
  sessionSecret,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { createBrowserSessionStorage, SessionStrategy, type ChunkedSessionStorage } from '~/lib/auth0'

let base: Harness
beforeAll(async () => {
  base = await startHarness()
})
afterAll(() => base.close())
beforeEach(() => base.emulator.control.reset())

const returnTo = '/dashboard?tab=orgs'

/** The app's cookies without the login-transaction ones: what a session is made of, in either strategy. */
function sessionCookies(browser: AppBrowser): string {
  return [...browser.cookies]
    .filter(([name]) => !name.startsWith('__a0'))
    .map(([name, cookie]) => `${name}=${cookie.value}`)
    .join('; ')
}

/** What the app stored besides the login (a theme, a cart), written as the app would. */
async function setAppValue(harness: Harness, browser: AppBrowser, name: string, value: string) {
  const session = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
  session.set(name, value)
  const chunked = harness.storage as Partial<ChunkedSessionStorage>
  const cookies = chunked.commitSessionCookies
    ? await chunked.commitSessionCookies(session)
    : [await harness.storage.commitSession(session)]
  const headers = new Headers()
  for (const cookie of cookies) headers.append('Set-Cookie', cookie)
  browser.store(new Response(null, { headers }))
}

/** Signed in at the app, in `organization`, with the Auth0 session kept in `jar`. */
async function signIn(harness: Harness, email = 'alice@example.com', organization = 'org_acme') {
  const browser = new AppBrowser()
  const jar = new CookieJar()
  const done = await login(harness, browser, { email, jar, authorize: { organization } })
  expect(location(done).pathname).toBe('/dashboard')
  return { browser, jar }
}

/** The dashboard's "Switch organization" POST, then whatever Auth0 answers without showing a page. */
async function switchTo(harness: Harness, browser: AppBrowser, jar: CookieJar, organization: string) {
  const started = browser.store(
    await responseOf(() =>
      harness.auth.switchOrganization(browser.post('/auth/organization'), organization, { returnTo }),
    ),
  )
  const authorizeUrl = location(started)
  // No email: should the emulator show its login page, completeLogin fails instead of logging anyone in.
  const callback = await completeLogin(authorizeUrl.href, { email: '', jar })
  return { authorizeUrl, done: await deliverCallback(harness, browser, callback) }
}

const orgOf = async (harness: Harness, browser: AppBrowser) =>
  (await harness.auth.getUserOrNull(browser.request('/dashboard')))?.orgId

describe.each([SessionStrategy.Server, SessionStrategy.Browser])('switchOrganization (%s)', (strategy) => {
  let harness: Harness
  beforeAll(() => {
    const storage =
      strategy === SessionStrategy.Browser
        ? createBrowserSessionStorage({ secrets: [sessionSecret], secure: false })
        : base.storage
    harness = { ...base, storage, auth: createAuthenticator(base.emulator, storage, { strategy }) }
  })

  it('switches silently: same user, new organization, new tokens, rotated session, pre-login values kept', async () => {
    const { browser, jar } = await signIn(harness)
    await setAppValue(harness, browser, 'theme', 'dark')
    const before = await harness.auth.getSessionInfo(browser.request('/dashboard'))
    const oldCookies = sessionCookies(browser)
    const previous = (await harness.storage.getSession(oldCookies)).get('user').credentials

    const { authorizeUrl, done } = await switchTo(harness, browser, jar, 'org_globex')
    expect(authorizeUrl.searchParams.get('prompt')).toBe('none')
    expect(authorizeUrl.searchParams.get('organization')).toBe('org_globex')
    expect(location(done).pathname + location(done).search).toBe(returnTo)

    const after = await harness.auth.getSessionInfo(browser.request('/dashboard'))
    expect(after.user.id).toBe('auth0|alice')
    expect(after.claims).toMatchObject({ org_id: 'org_globex', org_name: 'globex' })
    expect(after.accessTokenExpiresAt).toBeGreaterThanOrEqual(before.accessTokenExpiresAt)
    expect(sessionCookies(browser)).not.toBe(oldCookies)
    const session = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(session.get('theme')).toBe('dark')
    // The new grant's tokens, not the old organization's: a later refresh stays in the new organization.
    const { accessToken, refreshToken } = session.get('user').credentials
    expect(accessToken).not.toBe(previous.accessToken)
    expect(refreshToken).toBeTruthy()
    expect(refreshToken).not.toBe(previous.refreshToken)
    if (strategy === SessionStrategy.Server) {
      expect(after.sessionId).not.toBe(before.sessionId)
      // The old id is dead: a copy of the old cookie reads no session.
      expect((await harness.storage.getSession(oldCookies)).get('user')).toBeUndefined()
    }
  })

  it('attack: an ID token for another organization (or none) is refused and the session is left as it was', async () => {
    const { browser, jar } = await signIn(harness)
    for (const tamper of ['wrong-org', 'missing-org'] as const) {
      const oldCookies = sessionCookies(browser)
      await harness.emulator.control.setFaults({ idToken: { tamper } })
      const { done } = await switchTo(harness, browser, jar, 'org_globex')
      await harness.emulator.control.clearFaults()
      expect(location(done).pathname).toBe('/dashboard')
      expect(location(done).searchParams.get('tab')).toBe('orgs')
      expect(location(done).searchParams.get('error')).toBe('org_mismatch')
      // No session cookie was written: the browser still holds the old session, and it still works.
      expect(done.headers.getSetCookie().some((cookie) => !cookie.startsWith('__a0'))).toBe(false)
      expect(sessionCookies(browser)).toBe(oldCookies)
      expect(await orgOf(harness, browser)).toBe('org_acme')
    }
  })

  it('a non-member goes back where they were with access_denied, still signed in to their organization', async () => {
    const { browser, jar } = await signIn(harness, 'bob@example.com')
    const oldCookies = sessionCookies(browser)
    const { done } = await switchTo(harness, browser, jar, 'org_globex')
    expect(location(done).pathname).toBe('/dashboard')
    expect(location(done).searchParams.get('error')).toBe('access_denied')
    expect(sessionCookies(browser)).toBe(oldCookies)
    expect(await orgOf(harness, browser)).toBe('org_acme')
  })

  it('login_required: the login page with the organization and returnTo, and the login comes back there', async () => {
    const { browser } = await signIn(harness)
    await setAppValue(harness, browser, 'theme', 'dark')
    // Auth0's session ended (or lives in another browser): prompt=none cannot answer.
    const { done } = await switchTo(harness, browser, new CookieJar(), 'org_globex')
    const target = location(done)
    expect(target.pathname).toBe('/login')
    expect(Object.fromEntries(target.searchParams)).toEqual({
      error: 'login_required',
      organization: 'org_globex',
      returnTo,
    })
    expect(await orgOf(harness, browser)).toBe('org_acme')

    // What /login's "Sign in again" form posts to /auth/auth0: an interactive login for that organization.
    const back = await login(harness, browser, {
      authorize: { organization: 'org_globex', returnTo: target.searchParams.get('returnTo') },
    })
    expect(location(back).pathname + location(back).search).toBe(returnTo)
    expect(await orgOf(harness, browser)).toBe('org_globex')
    const session = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(session.get('theme')).toBe('dark')
  })

  it('attack: Auth0 answering for another user (signed in elsewhere in this browser) switches nothing', async () => {
    const { browser, jar } = await signIn(harness, 'alice@example.com', 'org_globex')
    // Another tab logs Bob in at Auth0; the app's session is still Alice's.
    await beginLogin(harness, new AppBrowser(), {
      email: 'bob@example.com',
      jar,
      authorize: { forceLogin: true },
    })
    const oldCookies = sessionCookies(browser)
    const { done } = await switchTo(harness, browser, jar, 'org_acme')
    expect(location(done).searchParams.get('error')).toBe('account_mismatch')
    expect(sessionCookies(browser)).toBe(oldCookies)
    const user = await harness.auth.getUser(browser.request('/dashboard'))
    expect([user.id, user.orgId]).toEqual(['auth0|alice', 'org_globex'])
  })
})

describe('switchOrganization guards', () => {
  it('refuses a cross-site POST (403), a GET (405) and an organization that is not an id or a name (400)', async () => {
    const { browser } = await signIn(base)
    const crossSite = browser.request('/auth/organization', {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
    })
    expect((await responseOf(() => base.auth.switchOrganization(crossSite, 'org_globex'))).status).toBe(403)
    const get = browser.request('/auth/organization')
    expect((await responseOf(() => base.auth.switchOrganization(get, 'org_globex'))).status).toBe(405)
    for (const bad of ['', 'org globex', 'org_x&prompt=login', 'a'.repeat(101)]) {
      const post = browser.post('/auth/organization')
      expect((await responseOf(() => base.auth.switchOrganization(post, bad))).status).toBe(400)
    }
  })

  it('without a session it is an ordinary login into that organization; a foreign returnTo is dropped', async () => {
    const anonymous = new AppBrowser()
    const request = anonymous.post('/auth/organization')
    const answer = await responseOf(() =>
      base.auth.switchOrganization(request, 'org_globex', { returnTo: '//evil.example/' }),
    )
    expect(location(answer).pathname + location(answer).search).toBe('/login?organization=org_globex')
    expect(answer.headers.getSetCookie()).toEqual([])
  })

  it('an ordinary silent login that fails still lands on the failed-login page (only switches go back)', async () => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(base, browser, {
      authorize: { silentAuth: true, organization: 'org_globex', returnTo },
    })
    const failed = location(await deliverCallback(base, browser, callback))
    expect(failed.pathname + failed.search).toBe('/login?error=login_required')
  })
})
