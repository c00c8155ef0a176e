import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import { beginLogin, deliverCallback, startHarness, type Harness } from '../support/auth-harness'

let harness: Harness
beforeAll(async () => {
  harness = await startHarness()
})
afterAll(() => harness.close())
beforeEach(() => harness.emulator.control.reset())

const callbackFor = (browser: AppBrowser, query: string) =>
  responseOf(() =>
    harness.auth.handleCallback(browser.request(`/auth/callback?${query}`), {
      onSuccessRedirect: '/dashboard',
    }),
  )

function expectFailure(response: Response, code: string) {
  expect(response.status).toBe(302)
  const url = location(response)
  expect(url.pathname).toBe('/login')
  expect(url.searchParams.get('error')).toBe(code)
}

async function expectNoUser(browser: AppBrowser) {
  expect(await harness.auth.getUserOrNull(browser.request('/dashboard'))).toBeNull()
}

describe('callback attacks', () => {
  it('rejects a callback without state', async () => {
    const browser = new AppBrowser()
    expectFailure(await callbackFor(browser, 'code=abc'), 'missing_state')
    await expectNoUser(browser)
  })

  it('rejects a wrong state', async () => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser)
    const body = new URLSearchParams((callback as { body: URLSearchParams }).body)
    body.set('state', 'x'.repeat(43))
    expectFailure(
      await deliverCallback(harness, browser, { ...callback, body } as typeof callback),
      'invalid_state',
    )
    await expectNoUser(browser)
  })

  it('rejects a state from another browser (login CSRF)', async () => {
    const attacker = new AppBrowser()
    const victim = new AppBrowser()
    const { callback } = await beginLogin(harness, attacker, { email: 'bob@example.com' })
    expectFailure(await deliverCallback(harness, victim, callback), 'invalid_state')
    await expectNoUser(victim)
  })

  it('rejects a replayed callback (state used once) and a replayed code (Auth0 invalid_grant)', async () => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser)
    const txCookies = [...browser.cookies].filter(([name]) => name.startsWith('__a0tx_'))
    expect(location(await deliverCallback(harness, browser, callback)).pathname).toBe('/dashboard')
    // replay with the transaction cookie gone
    const replay = new AppBrowser()
    expectFailure(await deliverCallback(harness, replay, callback), 'invalid_state')
    // replay with a stolen copy of the transaction cookie: the code itself is single-use
    const thief = new AppBrowser()
    for (const [name, cookie] of txCookies) thief.cookies.set(name, cookie)
    expectFailure(await deliverCallback(harness, thief, callback), 'invalid_grant')
    await expectNoUser(thief)
  })

  it('passes Auth0 errors through and keeps the pre-login session', async () => {
    const browser = new AppBrowser()
    const session = await harness.storage.getSession()
    session.set('cart', ['book'])
    browser.store(
      new Response(null, { headers: { 'Set-Cookie': await harness.storage.commitSession(session) } }),
    )
    const before = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    const started = browser.store(await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'))))
    const state = location(started).searchParams.get('state')!
    const failed = await callbackFor(
      browser,
      `error=access_denied&error_description=nope&state=${state}&iss=${encodeURIComponent(harness.emulator.issuer)}`,
    )
    browser.store(failed)
    expectFailure(failed, 'access_denied')
    const after = await harness.storage.getSession(browser.request('/').headers.get('Cookie'))
    expect(after.get('cart')).toEqual(['book'])
    expect(after.id).toBe(before.id)
    expect(before.id).not.toBe('')
    expect([...browser.cookies.keys()].some((n) => n.startsWith('__a0tx_'))).toBe(false)
  })

  it('refuses an error response without the issuer (RFC 9207 mix-up defence)', async () => {
    const browser = new AppBrowser()
    const started = browser.store(await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'))))
    const state = location(started).searchParams.get('state')!
    expectFailure(await callbackFor(browser, `error=access_denied&state=${state}`), 'invalid_request')
  })

  it('reduces odd error codes to unknown_error', async () => {
    const browser = new AppBrowser()
    const started = browser.store(await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'))))
    const state = location(started).searchParams.get('state')!
    const failed = await callbackFor(
      browser,
      `error=${encodeURIComponent('<script>')}&state=${state}&iss=${encodeURIComponent(harness.emulator.issuer)}`,
    )
    expectFailure(failed, 'unknown_error')
  })

  it('rejects duplicate parameters', async () => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser)
    const body = new URLSearchParams((callback as { body: URLSearchParams }).body)
    body.append('code', 'second-code')
    const failed = await deliverCallback(harness, browser, { ...callback, body } as typeof callback)
    expect(location(failed).searchParams.get('error')).toBe('invalid_request')
    await expectNoUser(browser)
  })

  it('rejects huge and malformed bodies without a 500', async () => {
    const browser = new AppBrowser()
    const huge = await responseOf(() =>
      harness.auth.handleCallback(
        browser.request('/auth/callback', {
          method: 'POST',
          body: 'code=' + 'a'.repeat(200_000),
          crossSite: true,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        }),
        { onSuccessRedirect: '/dashboard' },
      ),
    )
    expectFailure(huge, 'invalid_request')
    const json = await responseOf(() =>
      harness.auth.handleCallback(
        browser.request('/auth/callback', {
          method: 'POST',
          body: '{"code":1}',
          crossSite: true,
          headers: { 'Content-Type': 'application/json' },
        }),
        { onSuccessRedirect: '/dashboard' },
      ),
    )
    expectFailure(json, 'invalid_request')
  })
})

describe('ID token attacks (emulator tampers with the token response)', () => {
  const kinds = [
    'alg-none',
    'hs256-public-key',
    'foreign-key',
    'unknown-kid',
    'wrong-aud',
    'wrong-iss',
    'wrong-azp',
    'wrong-nonce',
    'expired',
    'future-iat',
  ] as const

  it.each(kinds)('rejects an ID token with %s', async (kind) => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser)
    await harness.emulator.control.setFaults({ idToken: { tamper: kind } })
    expectFailure(await deliverCallback(harness, browser, callback), 'id_token_invalid')
    await expectNoUser(browser)
  })
})

describe('session cookie attacks', () => {
  it('ignores a tampered or forged session cookie', async () => {
    const browser = new AppBrowser()
    await deliverCallback(harness, browser, (await beginLogin(harness, browser)).callback)
    expect(await harness.auth.getUserOrNull(browser.request('/'))).not.toBeNull()
    const value = browser.value('__session')!
    const tampered = new AppBrowser()
    tampered.cookies.set('__session', {
      value: value.slice(0, -3) + (value.endsWith('A') ? 'BBB' : 'AAA'),
      sameSite: 'lax',
    })
    expect(await harness.auth.getUserOrNull(tampered.request('/'))).toBeNull()
    const forged = new AppBrowser()
    forged.cookies.set('__session', { value: Buffer.from('"some-id"').toString('base64'), sameSite: 'lax' })
    expect(await harness.auth.getUserOrNull(forged.request('/'))).toBeNull()
  })
})
