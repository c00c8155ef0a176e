import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { completeLogin } from '../../dev/auth0-emulator/login'
import type { IdTokenTamper } from '../../dev/auth0-emulator/control'
import { location } from '../support/browser'
import {
  beginLogin,
  Client,
  dashboardStatus,
  deliverCallback,
  expectLoginError,
  expectSafe,
  otherApi,
  otherClient,
  type SecretWatch,
  sessionCount,
  withStack,
  type Stack,
} from './support'

/** Forged and tampered tokens through the emulator's faults: the built app refuses every one. */
let stack: Stack
let watch: SecretWatch
withStack((running) => ({ stack, watch } = running))

const idTokenTampers: IdTokenTamper[] = [
  'alg-none',
  'hs256-public-key',
  'foreign-key',
  'unknown-kid',
  'wrong-iss',
  'wrong-aud',
  'wrong-azp',
  'wrong-nonce',
  'expired',
  'future-iat',
]

describe('ID token attacks', () => {
  it.each(idTokenTampers)('refuses an ID token with %s', async (tamper) => {
    const before = await sessionCount(stack)
    const browser = new Client(stack.origin)
    const { callback } = await beginLogin(browser)
    await stack.emulator.control.setFaults({ idToken: { tamper, times: 1 } })
    const response = await deliverCallback(browser, callback)
    await stack.emulator.control.clearFaults()
    expectLoginError(response, 'id_token_invalid')
    await expectSafe(watch, response)
    expect(browser.value('__session')).toBeUndefined()
    expect(await dashboardStatus(browser)).toBe(302)
    expect(await sessionCount(stack)).toBe(before)
  })
})

/** An access token straight from the emulator (another client, any audience), as an attacker could hold one. */
async function accessTokenFor(audience: string): Promise<string> {
  const verifier = oauth.generateRandomCodeVerifier()
  const redirectUri = `${stack.origin}/auth/callback`
  const authorize = new URL('authorize', stack.emulator.issuer)
  const params = {
    client_id: otherClient.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    response_mode: 'query',
    scope: 'openid',
    audience,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }
  for (const [name, value] of Object.entries(params)) authorize.searchParams.set(name, value)
  const callback = await completeLogin(authorize.href, { email: 'alice@example.com' })
  const code = new URL(callback.url).searchParams.get('code')!
  const response = await fetch(new URL('oauth/token', stack.emulator.issuer), {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: otherClient.clientId,
      client_secret: otherClient.clientSecret,
    }),
  })
  const body = (await response.json()) as { access_token: string }
  watch.add(body.access_token)
  return body.access_token
}

async function callApi(token: string): Promise<Response> {
  return fetch(`${stack.origin}/api/protected`, { headers: { Authorization: `Bearer ${token}` } })
}

describe('access token attacks on /api/protected', () => {
  it('accepts a token for its own audience (control)', async () => {
    const response = await callApi(await accessTokenFor(`${stack.origin}/api`))
    expect(response.status).toBe(200)
  })

  it('refuses a token issued for another audience', async () => {
    const response = await callApi(await accessTokenFor(otherApi))
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toContain('invalid_token')
    await expectSafe(watch, response)
  })

  it('refuses an expired token and one re-signed for another audience', async () => {
    for (const tamper of ['expired', 'wrong-aud'] as const) {
      await stack.emulator.control.setFaults({ accessToken: { tamper, times: 1 } })
      const response = await callApi(await accessTokenFor(`${stack.origin}/api`))
      expect(response.status).toBe(401)
    }
  })

  it('refuses unsigned, malformed and missing tokens', async () => {
    const good = await accessTokenFor(`${stack.origin}/api`)
    const [, payload] = good.split('.')
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`
    for (const token of [none, `${good.slice(0, -4)}AAAA`, 'not-a-jwt', '']) {
      const response = await callApi(token)
      expect(response.status).toBe(401)
      await expectSafe(watch, response)
    }
  })
})

describe('browser flow with a tampered access token', () => {
  it('logs in, and the API refuses the tampered token the app was given', async () => {
    const browser = new Client(stack.origin)
    const { callback } = await beginLogin(browser)
    await stack.emulator.control.setFaults({ accessToken: { tamper: 'wrong-aud', times: 1 } })
    expect(location(await deliverCallback(browser, callback)).pathname).toBe('/dashboard')
    await stack.emulator.control.clearFaults()
    await watch.harvest()
    const row = await stack.db.session.findFirst({ orderBy: { createdAt: 'desc' } })
    const token = (JSON.parse(row!.data) as { user: { credentials: { accessToken: string } } }).user
      .credentials.accessToken
    expect((await callApi(token)).status).toBe(401)
  })
})
