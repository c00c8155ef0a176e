import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  appOrigin,
  beginLogin,
  clientId,
  clientSecret,
  deliverCallback,
  login,
  startHarness,
  type Harness,
  type HarnessOptions,
} from '../support/auth-harness'
import { clientKeyPair, privateKeyJwtClient } from '../support/client-keys'
import { Auth0RemixServer, AuthError, ConfigurationError } from '~/lib/auth0'

// Pushed Authorization Requests (RFC 9126) against the emulator's PAR endpoint: the browser only ever carries
// client_id and request_uri; state, nonce and PKCE travel in the authenticated push and are checked as before.

const harnesses: Harness[] = []
afterAll(() => Promise.all(harnesses.map((harness) => harness.close())))

async function harnessWith(options: HarnessOptions = {}): Promise<Harness> {
  const harness = await startHarness({
    ...options,
    auth: { pushedAuthorizationRequests: true, ...options.auth },
  })
  harnesses.push(harness)
  return harness
}

/** The emulator's application, as in the harness, with PAR required. */
const parRequiredClient = {
  clientId,
  clientSecret,
  redirectUris: [`${appOrigin}/auth/callback`],
  logoutUrls: [appOrigin, `${appOrigin}/`],
  requirePushedAuthorizationRequests: true,
}

describe('PAR login', () => {
  let harness: Harness
  beforeAll(async () => {
    harness = await harnessWith()
  })
  beforeEach(() => harness.emulator.control.reset())

  it('pushes the request and sends the browser to /authorize with only client_id and request_uri', async () => {
    const browser = new AppBrowser()
    const { authorizeUrl, callback } = await beginLogin(harness, browser, { returnTo: '/settings' })
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${harness.emulator.origin}/authorize`)
    expect([...authorizeUrl.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(authorizeUrl.searchParams.get('client_id')).toBe(clientId)
    expect(authorizeUrl.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    const done = await deliverCallback(harness, browser, callback)
    expect(location(done).pathname).toBe('/settings')
    const user = await harness.auth.getUserOrNull(browser.request('/settings'))
    expect(user?.email).toBe('alice@example.com')
    // A refresh token came back (offline_access survived the push) and works.
    await harness.auth.getAccessToken(browser.request('/settings'), { refresh: true })
    const calls = await harness.emulator.control.clientAuthentications()
    expect(calls.map((call) => [call.endpoint, call.method, call.status])).toEqual([
      ['/oauth/par', 'client_secret_post', 201],
      ['/oauth/token', 'client_secret_post', 200],
      ['/oauth/token', 'client_secret_post', 200],
    ])
  })

  it('a request_uri is single-use: replaying the /authorize URL is refused', async () => {
    const browser = new AppBrowser()
    const { authorizeUrl } = await beginLogin(harness, browser)
    const replay = await fetch(authorizeUrl, { redirect: 'manual' })
    expect(replay.status).toBe(400)
    expect(await replay.text()).toMatch(/invalid_request_uri|request_uri/)
  })

  it('state is still checked: a callback with another state fails with invalid_state', async () => {
    const browser = new AppBrowser()
    const { callback } = await beginLogin(harness, browser, { authorize: { callbackParams: {} } })
    if (callback.method !== 'POST') throw new Error('expected form_post')
    callback.body.set('state', 'forged-state')
    const failed = await deliverCallback(harness, browser, callback)
    expect(location(failed).searchParams.get('error')).toBe('invalid_state')
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
  })

  it("state is still bound to the browser: another browser's callback fails", async () => {
    const victim = new AppBrowser()
    const attacker = new AppBrowser()
    const { callback } = await beginLogin(harness, attacker)
    await responseOf(() => harness.auth.authorize(victim.post('/auth/auth0')))
    const failed = await deliverCallback(harness, victim, callback)
    expect(location(failed).searchParams.get('error')).toBe('invalid_state')
  })

  it('the nonce is still checked: an ID token with another nonce is refused', async () => {
    await harness.emulator.control.setFaults({ idToken: { tamper: 'wrong-nonce', times: 1 } })
    const failed = await login(harness, new AppBrowser())
    expect(location(failed).searchParams.get('error')).toBe('id_token_invalid')
  })

  it('PKCE is still bound: the code is useless without the verifier the push committed to', async () => {
    const { callback } = await beginLogin(harness, new AppBrowser())
    const code =
      callback.method === 'POST' ? callback.body.get('code') : new URL(callback.url).searchParams.get('code')
    for (const verifier of [undefined, 'a'.repeat(43)]) {
      const response = await fetch(`${harness.emulator.origin}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: code!,
          redirect_uri: `${appOrigin}/auth/callback`,
          client_id: clientId,
          client_secret: clientSecret,
          ...(verifier ? { code_verifier: verifier } : {}),
        }),
      })
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: string }).error).toBe('invalid_grant')
    }
  })
})

describe('a client that requires PAR', () => {
  let harness: Harness
  beforeAll(async () => {
    harness = await harnessWith({ emulator: { clients: [parRequiredClient] } })
  })

  it('refuses a plain authorize request', async () => {
    const plain = await startHarness({ emulator: { clients: [parRequiredClient] } })
    harnesses.push(plain)
    const browser = new AppBrowser()
    const started = await responseOf(() => plain.auth.authorize(browser.post('/auth/auth0')))
    const url = location(started)
    expect(url.searchParams.get('state')).toBeTruthy()
    const refused = await fetch(url, { redirect: 'manual' })
    expect(refused.status).toBe(400)
    expect(await refused.text()).toMatch(/Pushed Authorization Request must be used/i)
  })

  it('accepts the pushed one', async () => {
    expect(location(await login(harness, new AppBrowser())).pathname).toBe('/dashboard')
  })
})

describe('PAR failures end on the login page with an error code', () => {
  let harness: Harness
  beforeAll(async () => {
    harness = await harnessWith()
  })
  beforeEach(() => harness.emulator.control.reset())

  async function authorize(browser = new AppBrowser(), options = {}) {
    return browser.store(await responseOf(() => harness.auth.authorize(browser.post('/auth/auth0'), options)))
  }

  it('Auth0 failing at the PAR endpoint (503): /login?error=auth0_down, no transaction cookie', async () => {
    await harness.emulator.control.setFaults({ par: { status: 503, times: 1 } })
    const browser = new AppBrowser()
    const response = await authorize(browser)
    expect(response.status).toBe(302)
    expect(location(response).pathname).toBe('/login')
    expect(location(response).searchParams.get('error')).toBe('auth0_down')
    expect(response.headers.getSetCookie()).toEqual([])
    expect(response.headers.get('Cache-Control')).toBe('no-store')
  })

  it('Auth0 refusing the push (an unregistered redirect_uri): its error code, never a 500', async () => {
    const response = await authorize(new AppBrowser(), { callbackParams: { flow: 'unregistered' } })
    expect(location(response).pathname).toBe('/login')
    expect(location(response).searchParams.get('error')).toMatch(/^invalid_(request|redirect_uri)$/)
  })

  it('Auth0 unreachable: /login?error=auth0_down', async () => {
    const cold = await harnessWith()
    await cold.emulator.suspend()
    try {
      const response = await responseOf(() => cold.auth.authorize(new AppBrowser().post('/auth/auth0')))
      expect(location(response).searchParams.get('error')).toBe('auth0_down')
    } finally {
      await cold.emulator.resume()
    }
    // Back up: the check runs again and logins work.
    expect(location(await login(cold, new AppBrowser())).pathname).toBe('/dashboard')
  })
})

describe('PAR with private_key_jwt', () => {
  it('pushes with a signed assertion; no secret anywhere', async () => {
    const key = await clientKeyPair('ES256')
    const harness = await harnessWith({
      emulator: { clients: [privateKeyJwtClient([key], { requirePushedAuthorizationRequests: true })] },
    })
    const auth = new Auth0RemixServer({
      clientDetails: {
        domain: harness.emulator.origin,
        clientID: clientId,
        clientAssertionSigningKey: key.privateKeyPem,
        clientAssertionSigningAlg: 'ES256',
      },
      callbackURL: `${appOrigin}/auth/callback`,
      pushedAuthorizationRequests: true,
      failedLoginRedirect: '/login',
      session: { store: harness.storage },
      secrets: ['par-test-transaction-secret-0123456789'],
      logger: { warn: () => undefined },
    })
    const pkjwt = { ...harness, auth }
    expect(location(await login(pkjwt, new AppBrowser())).pathname).toBe('/dashboard')
    const calls = await harness.emulator.control.clientAuthentications()
    expect(calls.map((call) => [call.endpoint, call.method, call.clientSecretSent, call.status])).toEqual([
      ['/oauth/par', 'private_key_jwt', false, 201],
      ['/oauth/token', 'private_key_jwt', false, 200],
    ])
  })
})

describe('checkConfiguration with PAR', () => {
  it('a tenant without a PAR endpoint is a configuration error, and authorize() says so without a 500', async () => {
    const warnings: string[] = []
    const harness = await harnessWith({
      emulator: { pushedAuthorizationRequests: false },
      auth: { logger: { warn: (message: string) => warnings.push(message) } },
    })
    const error = await harness.auth.checkConfiguration().then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(error).toBeInstanceOf(ConfigurationError)
    expect((error as ConfigurationError).option).toBe('pushedAuthorizationRequests')
    expect((error as Error).message).toMatch(/no pushed_authorization_request_endpoint/)

    const response = await responseOf(() => harness.auth.authorize(new AppBrowser().post('/auth/auth0')))
    expect(location(response).pathname).toBe('/login')
    expect(location(response).searchParams.get('error')).toBe('configuration_error')
    expect(warnings.join('\n')).toMatch(/pushedAuthorizationRequests is on/)
  })

  it('Auth0 unreachable: an AuthError (auth0_down), not a configuration error', async () => {
    const harness = await harnessWith()
    await harness.emulator.suspend()
    try {
      const error = await harness.auth.checkConfiguration().then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toBeInstanceOf(AuthError)
      expect((error as AuthError).code).toBe('auth0_down')
    } finally {
      await harness.emulator.resume()
    }
    await expect(harness.auth.checkConfiguration()).resolves.toBeUndefined()
  })

  it('with PAR on, the tenant offering it passes', async () => {
    const harness = await harnessWith()
    await expect(harness.auth.checkConfiguration()).resolves.toBeUndefined()
  })
})
