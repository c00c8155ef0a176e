import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'

import { API, CLIENT, loginAndExchange, refresh, startTestOp, type TestOp } from './testing'

const OTHER_API = 'https://api.example.test'

const rotating = { refreshTokens: { rotation: true } }

/** RFC 7009 revocation with the client's credentials, as the library's logout does it. */
async function revoke(op: TestOp, token: string): Promise<number> {
  const response = await fetch(op.as.revocation_endpoint!, {
    method: 'POST',
    body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, token }),
  })
  return response.status
}

describe('refresh tokens of a new application (defaults: no rotation, revocation keeps the grant)', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp()
  })
  afterAll(() => op.emulator.close())

  it('keeps one refresh token: a refresh sends none back and the same token works again', async () => {
    const token = (await loginAndExchange(op)).refresh_token!
    for (let round = 0; round < 3; round++) {
      const refreshed = await refresh(op, token)
      expect(refreshed.status).toBe(200)
      expect(refreshed.body.access_token).toBeTruthy()
      expect(refreshed.body).not.toHaveProperty('refresh_token')
    }
    // concurrent use of one non-rotating token is fine too
    const parallel = await Promise.all(Array.from({ length: 5 }, () => refresh(op, token)))
    expect(parallel.map((response) => response.status)).toEqual([200, 200, 200, 200, 200])
  })

  it("revoking one login's refresh token leaves the user's other logins working", async () => {
    const phone = (await loginAndExchange(op)).refresh_token!
    const laptop = (await loginAndExchange(op)).refresh_token!
    expect(await revoke(op, phone)).toBe(200)
    expect((await refresh(op, phone)).body.error).toBe('invalid_grant')
    expect((await refresh(op, laptop)).status).toBe(200)
  })
})

describe('"Refresh Token Revocation Deletes Grant" on', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp({ refreshTokens: { revocationDeletesGrant: true } })
  })
  afterAll(() => op.emulator.close())

  it('revoking one refresh token ends every refresh token of that user and application', async () => {
    const phone = (await loginAndExchange(op)).refresh_token!
    const laptop = (await loginAndExchange(op)).refresh_token!
    const bob = (await loginAndExchange(op, {}, { email: 'bob@example.com' })).refresh_token!
    expect(await revoke(op, phone)).toBe(200)
    expect((await refresh(op, phone)).body.error).toBe('invalid_grant')
    expect((await refresh(op, laptop)).body.error).toBe('invalid_grant')
    // another user keeps theirs
    expect((await refresh(op, bob)).status).toBe(200)
  })
})

describe('per-application settings', () => {
  let op: TestOp
  beforeAll(async () => {
    // Rotation off for the tenant, on for this application.
    op = await startTestOp({ clients: [{ ...CLIENT, refreshTokens: { rotation: true } }] })
  })
  afterAll(() => op.emulator.close())

  it("a client's own settings win over the emulator-wide ones", async () => {
    const first = (await loginAndExchange(op)).refresh_token!
    const rotated = await refresh(op, first)
    expect(rotated.body.refresh_token).toBeTruthy()
    expect(rotated.body.refresh_token).not.toBe(first)
    expect((await refresh(op, first)).body.error).toBe('invalid_grant')
  })
})

describe('refresh tokens with rotation on', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp(rotating)
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
    op = await startTestOp({ refreshTokens: { rotation: true, reuseIntervalSeconds: 30 } })
  })
  afterAll(() => op.emulator.close())
  afterEach(() => vi.useRealTimers())

  it('keeps the previous refresh token working inside the interval', async () => {
    const first = (await loginAndExchange(op)).refresh_token!
    const second = String((await refresh(op, first)).body.refresh_token)
    const again = await refresh(op, first)
    expect(again.status).toBe(200)
    expect((await refresh(op, second)).status).toBe(200)
  })

  it('treats the previous token as reuse once the interval has passed (clock moved, no sleep)', async () => {
    const first = (await loginAndExchange(op)).refresh_token!
    const second = String((await refresh(op, first)).body.refresh_token)
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 31_000 })
    expect((await refresh(op, first)).body.error).toBe('invalid_grant')
    // reuse detection revoked the family
    expect((await refresh(op, second)).body.error).toBe('invalid_grant')
  })
})

describe('refresh token lifetimes', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp({ ttl: { refreshToken: 1 }, ...rotating })
  })
  afterAll(() => op.emulator.close())

  it('expires refresh tokens after their absolute lifetime', async () => {
    const tokens = await loginAndExchange(op)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    expect((await refresh(op, tokens.refresh_token!)).body.error).toBe('invalid_grant')
  })
})
