import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { API, CLIENT, loginAndExchange, refresh, startTestOp, type TestOp } from './testing'

const OTHER_API = 'https://api.example.test'

describe('refresh tokens', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp()
  })
  afterAll(() => op.emulator.close())

  it('rotates on every use and revokes the whole family when a rotated token comes back', async () => {
    const first = (await loginAndExchange(op)).refresh_token!
    const rotated = await refresh(op, first)
    expect(rotated.status).toBe(200)
    const second = String(rotated.body.refresh_token)
    expect(second).not.toBe(first)
    expect(decodeJwt(String(rotated.body.id_token)).sub).toBe('auth0|alice')

    const reuse = await refresh(op, first)
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    // Reuse detection revoked the family: the newest token is dead too.
    expect((await refresh(op, second)).body.error).toBe('invalid_grant')
  })

  it('does not let one login family affect another', async () => {
    const a = (await loginAndExchange(op)).refresh_token!
    const b = (await loginAndExchange(op)).refresh_token!
    await refresh(op, a)
    await refresh(op, a)
    expect((await refresh(op, b)).status).toBe(200)
  })

  it('mints an access token for another configured audience from the same refresh token', async () => {
    const tokens = await loginAndExchange(op, {
      audience: API,
      scope: 'openid profile email offline_access read:profile read:data',
    })
    expect(decodeJwt(tokens.access_token).aud).toContain(API)
    const other = await refresh(op, tokens.refresh_token!, { audience: OTHER_API, scope: 'openid read:data' })
    expect(other.status).toBe(200)
    const jwks = createLocalJWKSet(await (await fetch(op.as.jwks_uri!)).json())
    const { payload } = await jwtVerify(String(other.body.access_token), jwks, {
      issuer: op.emulator.issuer,
      audience: OTHER_API,
    })
    expect(payload.scope).toBe('openid read:data')
    expect(payload.azp).toBe(CLIENT.clientId)

    const back = await refresh(op, String(other.body.refresh_token))
    expect(decodeJwt(String(back.body.access_token)).aud).toContain(API)
  })

  it('revokeRefreshTokens makes the next refresh fail with invalid_grant', async () => {
    const tokens = await loginAndExchange(op, {}, { email: 'bob@example.com' })
    const { revoked } = await op.emulator.control.revokeRefreshTokens('auth0|bob')
    expect(revoked).toBeGreaterThanOrEqual(1)
    expect((await refresh(op, tokens.refresh_token!)).body.error).toBe('invalid_grant')
  })

  it('setTtl changes the lifetimes of tokens issued afterwards', async () => {
    await op.emulator.control.setTtl({ accessToken: 120, idToken: 60 })
    const tokens = await loginAndExchange(op, { audience: API })
    expect(tokens.expires_in).toBe(120)
    const idToken = decodeJwt(tokens.id_token!)
    expect(idToken.exp! - idToken.iat!).toBe(60)
    await expect(op.emulator.control.setTtl({ accessToken: -1 })).rejects.toThrow(/positive/)
  })
})

describe('refresh token reuse interval', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp({ refreshTokenReuseIntervalSeconds: 30 })
  })
  afterAll(() => op.emulator.close())

  it('keeps the previous refresh token working inside the interval', async () => {
    const first = (await loginAndExchange(op)).refresh_token!
    const second = String((await refresh(op, first)).body.refresh_token)
    const again = await refresh(op, first)
    expect(again.status).toBe(200)
    expect((await refresh(op, second)).status).toBe(200)
  })
})

describe('refresh token lifetimes', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp({ ttl: { refreshToken: 1 } })
  })
  afterAll(() => op.emulator.close())

  it('expires refresh tokens after their absolute lifetime', async () => {
    const tokens = await loginAndExchange(op)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    expect((await refresh(op, tokens.refresh_token!)).body.error).toBe('invalid_grant')
  })
})
