import { createHmac } from 'node:crypto'
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import type { IdTokenTamper } from './control'
import { completeLogin, CookieJar } from './login'
import {
  API,
  authorization,
  callbackParams,
  CLIENT,
  loginAndExchange,
  REDIRECT_URI,
  refresh,
  startTestOp,
  tokenRequest,
  type TestOp,
} from './testing'

let op: TestOp
beforeAll(async () => {
  op = await startTestOp()
})
afterAll(() => op.emulator.close())
afterEach(() => op.emulator.control.reset())

const jwks = async () => (await (await fetch(op.as.jwks_uri!)).json()) as JSONWebKeySet

/** Logs in and exchanges the code with a raw request, so tampered responses reach the test unchecked. */
async function rawTokens(params: Record<string, string> = {}) {
  const auth = await authorization(op, { organization: 'org_acme', ...params })
  const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
  const code = callbackParams(callback).get('code')!
  const response = await tokenRequest(op, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: auth.verifier,
  })
  return { ...response, nonce: auth.nonce }
}

async function verifyFailure(token: string, options: { audience?: string } = {}): Promise<string> {
  try {
    await jwtVerify(token, createLocalJWKSet(await jwks()), {
      issuer: op.emulator.issuer,
      audience: options.audience ?? CLIENT.clientId,
      algorithms: ['RS256'],
    })
    return 'verified'
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
}

describe('ID token tampering', () => {
  const rejectedByJose: [IdTokenTamper, string][] = [
    ['foreign-key', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['unknown-kid', 'ERR_JWKS_NO_MATCHING_KEY'],
    ['alg-none', 'ERR_JOSE_ALG_NOT_ALLOWED'],
    ['hs256-public-key', 'ERR_JOSE_ALG_NOT_ALLOWED'],
    ['wrong-aud', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['wrong-iss', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['expired', 'ERR_JWT_EXPIRED'],
  ]
  it.each(rejectedByJose)('%s fails verification with %s', async (tamper, code) => {
    await op.emulator.control.setFaults({ idToken: { tamper, times: 1 } })
    const { body } = await rawTokens()
    expect(await verifyFailure(String(body.id_token))).toBe(code)
    // times: 1 → the next response is genuine again.
    expect(await verifyFailure(String((await rawTokens()).body.id_token))).toBe('verified')
  })

  it('foreign-key keeps the published kid; hs256-public-key is an HMAC keyed with the public key', async () => {
    const [published] = (await jwks()).keys
    await op.emulator.control.setFaults({ idToken: { tamper: 'foreign-key', times: 1 } })
    expect(decodeProtectedHeader(String((await rawTokens()).body.id_token)).kid).toBe(published!.kid)

    await op.emulator.control.setFaults({ idToken: { tamper: 'hs256-public-key', times: 1 } })
    const token = String((await rawTokens()).body.id_token)
    const { createPublicKey } = await import('node:crypto')
    const pem = createPublicKey({ key: published as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    })
    const [header, payload, signature] = token.split('.')
    expect(createHmac('sha256', pem).update(`${header}.${payload}`).digest('base64url')).toBe(signature)
  })

  it('signs claim defects validly: wrong-azp, wrong-nonce, future-iat, missing-org, wrong-org', async () => {
    await op.emulator.control.setFaults({ idToken: { tamper: 'wrong-azp' } })
    const azp = await rawTokens()
    expect(await verifyFailure(String(azp.body.id_token))).toBe('verified')
    expect(decodeJwt(String(azp.body.id_token)).azp).not.toBe(CLIENT.clientId)

    await op.emulator.control.setFaults({ idToken: { tamper: 'wrong-nonce' } })
    const nonce = await rawTokens()
    expect(decodeJwt(String(nonce.body.id_token)).nonce).not.toBe(nonce.nonce)

    await op.emulator.control.setFaults({ idToken: { tamper: 'future-iat' } })
    expect(decodeJwt(String((await rawTokens()).body.id_token)).iat!).toBeGreaterThan(Date.now() / 1000 + 600)

    await op.emulator.control.setFaults({ idToken: { tamper: 'missing-org' } })
    expect(decodeJwt(String((await rawTokens()).body.id_token))).not.toHaveProperty('org_id')

    await op.emulator.control.setFaults({ idToken: { tamper: 'wrong-org' } })
    expect(decodeJwt(String((await rawTokens()).body.id_token)).org_id).toBe('org_wrong')
  })

  it('tampers refresh responses too until cleared', async () => {
    const tokens = await loginAndExchange(op)
    await op.emulator.control.setFaults({ idToken: { tamper: 'expired' } })
    const first = await refresh(op, tokens.refresh_token!)
    expect(await verifyFailure(String(first.body.id_token))).toBe('ERR_JWT_EXPIRED')
    await op.emulator.control.clearFaults()
    // a new application does not rotate: the same refresh token again
    const second = await refresh(op, tokens.refresh_token!)
    expect(await verifyFailure(String(second.body.id_token))).toBe('verified')
  })
})

describe('access token tampering', () => {
  it.each([
    ['wrong-aud', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['expired', 'ERR_JWT_EXPIRED'],
  ] as const)('%s', async (tamper, code) => {
    await op.emulator.control.setFaults({ accessToken: { tamper, times: 1 } })
    const { body } = await rawTokens({ audience: API })
    expect(await verifyFailure(String(body.access_token), { audience: API })).toBe(code)
  })
})

describe('endpoint faults', () => {
  it('answers token requests with the injected status for `times` responses', async () => {
    await op.emulator.control.setFaults({ token: { status: 500, times: 1 } })
    const failed = await rawTokens()
    expect(failed.status).toBe(500)
    expect(failed.body.error).toBe('server_error')
    expect((await rawTokens()).status).toBe(200)
  })

  it('delays responses', async () => {
    await op.emulator.control.setFaults({ jwks: { delayMs: 300, times: 1 } })
    const started = Date.now()
    expect((await fetch(op.as.jwks_uri!)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
  })

  it('fails userinfo, jwks and revoke', async () => {
    const tokens = await loginAndExchange(op)
    await op.emulator.control.setFaults({
      userinfo: { status: 503 },
      jwks: { status: 500 },
      revoke: { status: 500 },
    })
    const auth = { authorization: `Bearer ${tokens.access_token}` }
    expect((await fetch(op.as.userinfo_endpoint!, { headers: auth })).status).toBe(503)
    expect((await fetch(op.as.jwks_uri!)).status).toBe(500)
    const revoke = await fetch(op.as.revocation_endpoint!, {
      method: 'POST',
      body: new URLSearchParams({
        token: tokens.access_token,
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    })
    expect(revoke.status).toBe(500)
    await op.emulator.control.clearFaults()
    expect((await fetch(op.as.userinfo_endpoint!, { headers: auth })).status).toBe(200)
  })
})

describe('counters', () => {
  it('counts calls per endpoint and per grant type, and resets', async () => {
    const tokens = await loginAndExchange(op)
    await refresh(op, tokens.refresh_token!)
    await fetch(op.as.jwks_uri!)
    const { endpoints, grants } = await op.emulator.control.counters()
    expect(endpoints).toMatchObject({
      '/authorize': 1,
      '/u/login': 2,
      '/oauth/token': 2,
      '/.well-known/jwks.json': 1,
    })
    expect(grants).toEqual({ authorization_code: 1, refresh_token: 1 })
    await op.emulator.control.reset()
    expect(await op.emulator.control.counters()).toEqual({ endpoints: {}, grants: {} })
  })
})

describe('key rotation', () => {
  it('signs with a new kid, drops or keeps the old key, and keeps IdP sessions', async () => {
    const jar = new CookieJar()
    const before = await loginAndExchange(op, {}, { jar })
    const oldKid = decodeProtectedHeader(before.id_token!).kid

    const { kid: keptKid } = await op.emulator.control.rotateKeys({ keepOld: true })
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([keptKid, oldKid])

    const { kid: newKid } = await op.emulator.control.rotateKeys()
    expect((await jwks()).keys.map((key) => key.kid)).toEqual([newKid])

    const silent = await loginAndExchange(op, { prompt: 'none' }, { jar })
    expect(decodeProtectedHeader(silent.id_token!).kid).toBe(newKid)
    expect(await verifyFailure(silent.id_token!)).toBe('verified')
    expect(await verifyFailure(before.id_token!)).toBe('ERR_JWKS_NO_MATCHING_KEY')
  })
})
