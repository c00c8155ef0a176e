import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AppBrowser } from '../support/browser'
import { clientId, clientSecret, startHarness, type Harness } from '../support/auth-harness'
import { advanceClock } from '../support/matrix'
import { Auth0RemixServer, Token, TokenError } from '~/lib/auth0'

let harness: Harness
let auth: Auth0RemixServer
const audience = 'http://localhost:3000/api'

beforeAll(async () => {
  harness = await startHarness()
  auth = new Auth0RemixServer({
    clientDetails: { domain: harness.emulator.origin, clientID: clientId, clientSecret, audience },
    callbackURL: 'http://localhost:3999/auth/callback',
    failedLoginRedirect: '/login',
  })
})
afterAll(() => harness.close())

/** Tokens straight from the emulator's token endpoint (authorization code grant). */
async function tokens(options: { audience?: string } = {}) {
  const { beginLogin } = await import('../support/auth-harness')
  const browser = new AppBrowser()
  const { callback } = await beginLogin(harness, browser, {
    authorize: { audience: options.audience ?? audience },
  })
  const credentials: { accessToken?: string; idToken?: string } = {}
  const capture = new Auth0RemixServer({
    clientDetails: { domain: harness.emulator.origin, clientID: clientId, clientSecret },
    callbackURL: 'http://localhost:3999/auth/callback',
    failedLoginRedirect: '/login',
    secrets: ['library-test-session-secret-0123456789abcdef'],
  })
  const url = new URL(callback.url)
  const request =
    callback.method === 'GET'
      ? browser.request(url.pathname + url.search)
      : browser.request(url.pathname, {
          method: 'POST',
          body: callback.body,
          crossSite: true,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        })
  const result = await capture.authenticateCallback(request)
  credentials.accessToken = result.session.credentials.accessToken
  credentials.idToken = result.session.credentials.idToken
  return credentials as { accessToken: string; idToken: string }
}

describe('verifyToken / decodeToken / isValid', () => {
  it('accepts genuine ID and access tokens', async () => {
    const { idToken, accessToken } = await tokens()
    await expect(auth.verifyToken(idToken, Token.ID)).resolves.toBeUndefined()
    await expect(auth.isValid(accessToken, Token.ACCESS)).resolves.toBe(true)
    const claims = await auth.decodeToken(accessToken, Token.ACCESS)
    expect(claims.aud).toContain(audience)
    expect(claims.azp).toBe(clientId)
  })

  it('rejects an ID token used as an access token and vice versa (audience)', async () => {
    const { idToken, accessToken } = await tokens()
    await expect(auth.verifyToken(idToken, Token.ACCESS)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    })
    await expect(auth.verifyToken(accessToken, Token.ID)).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    })
  })

  it('rejects an access token for another audience', async () => {
    const { accessToken } = await tokens({ audience: 'https://api.example.test' })
    await expect(auth.isValid(accessToken, Token.ACCESS)).resolves.toBe(false)
    await expect(
      auth.verifyToken(accessToken, Token.ACCESS, { audience: 'https://api.example.test' }),
    ).resolves.toBeUndefined()
  })

  it('reports the seed codes: invalid, expired', async () => {
    const { idToken } = await tokens()
    const [header, payload] = idToken.split('.')
    await expect(auth.verifyToken(`${header}.${payload}.AAAA`, Token.ID)).rejects.toBeInstanceOf(TokenError)
    await expect(auth.verifyToken('not-a-jwt', Token.ID)).rejects.toMatchObject({ code: 'ERR_JWT_INVALID' })
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString())
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, exp: 1 })).toString('base64url')
    await expect(auth.verifyToken(`${header}.${forgedPayload}.AAAA`, Token.ID)).rejects.toBeInstanceOf(
      TokenError,
    )
  })

  it('reports ERR_JWKS_NO_MATCHING_KEY for an unknown kid and picks up rotated keys', async () => {
    const { idToken } = await tokens()
    const [, payload, signature] = idToken.split('.')
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'no-such-key' })).toString('base64url')
    await expect(auth.verifyToken(`${header}.${payload}.${signature}`, Token.ID)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    await harness.emulator.control.rotateKeys({ keepOld: true })
    const rotated = await tokens()
    // jose refetches a key set at most every 5 s (cooldown against random-kid floods): not yet
    await expect(auth.verifyToken(rotated.idToken, Token.ID)).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    })
    // jose times that cooldown with the process clock itself (it takes no clock of ours): move the process clock
    advanceClock(5_100)
    try {
      await expect(auth.verifyToken(rotated.idToken, Token.ID)).resolves.toBeUndefined()
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects expired tokens with ERR_JWT_EXPIRED', async () => {
    await harness.emulator.control.setFaults({ accessToken: { tamper: 'expired' } })
    const { accessToken } = await tokens()
    await harness.emulator.control.clearFaults()
    await expect(auth.verifyToken(accessToken, Token.ACCESS)).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    })
  })
})
