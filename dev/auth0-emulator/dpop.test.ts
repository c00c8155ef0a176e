import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { completeLogin } from './login'
import { API, authorization, callbackParams, CLIENT, REDIRECT_URI, startTestOp, type TestOp } from './testing'

const insecure = { [oauth.allowInsecureRequests]: true }

/** A login whose code exchange carries a proof of `handle` (or none). Returns the raw token endpoint response. */
async function exchangeWithProof(op: TestOp, handle?: oauth.DPoPHandle): Promise<Response> {
  return (await exchangeRaw(op, handle)).response
}

/** A login and its code exchange, checked by oauth4webapi (ID token nonce included). */
async function tokensWithProof(op: TestOp, handle?: oauth.DPoPHandle) {
  const { response, nonce } = await exchangeRaw(op, handle)
  return oauth.processAuthorizationCodeResponse(op.as, op.client, response, { expectedNonce: nonce })
}

async function exchangeRaw(op: TestOp, handle?: oauth.DPoPHandle) {
  // With an audience the access token is a JWT, whose cnf can be read.
  const auth = await authorization(op, { audience: API })
  const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
  const params = oauth.validateAuthResponse(op.as, op.client, callbackParams(callback), auth.state)
  const response = await oauth.authorizationCodeGrantRequest(
    op.as,
    op.client,
    op.auth,
    params,
    REDIRECT_URI,
    auth.verifier,
    handle ? { ...insecure, DPoP: handle } : insecure,
  )
  return { response, nonce: auth.nonce }
}

async function newKey() {
  const keyPair = await oauth.generateKeyPair('ES256')
  return { keyPair, jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) }
}

describe('DPoP (defaults: proofs accepted, no nonce required)', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp()
  })
  afterAll(() => op.emulator.close())

  it('binds the access token to the proof key: token_type DPoP and cnf.jkt', async () => {
    const { keyPair, jkt } = await newKey()
    const tokens = await tokensWithProof(op, oauth.DPoP(op.client, keyPair))
    expect(tokens.token_type).toBe('dpop')
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt })
  })

  it('issues Bearer tokens without cnf to a client that sends no proof', async () => {
    const tokens = await tokensWithProof(op)
    expect(tokens.token_type).toBe('bearer')
    expect(decodeJwt(tokens.access_token).cnf).toBeUndefined()
  })

  it('/userinfo wants the proof of the bound key: Bearer and another key are refused', async () => {
    const { keyPair } = await newKey()
    const handle = oauth.DPoP(op.client, keyPair)
    const tokens = await tokensWithProof(op, handle)
    const bearer = await fetch(op.as.userinfo_endpoint!, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    })
    expect(bearer.status).toBe(401)
    const other = oauth.DPoP(op.client, (await newKey()).keyPair)
    const wrongKey = await oauth.userInfoRequest(op.as, op.client, tokens.access_token, {
      ...insecure,
      DPoP: other,
    })
    expect(wrongKey.status).toBe(401)
    const ok = await oauth.userInfoRequest(op.as, op.client, tokens.access_token, {
      ...insecure,
      DPoP: handle,
    })
    expect(ok.status).toBe(200)
  })

  it('the dpopNonce fault answers use_dpop_nonce with a fresh nonce and counts it apart', async () => {
    await op.emulator.control.reset()
    await op.emulator.control.setFaults({ dpopNonce: { times: 1 } })
    const handle = oauth.DPoP(op.client, (await newKey()).keyPair)
    const response = await exchangeWithProof(op, handle)
    expect(response.status).toBe(400)
    expect(response.headers.get('DPoP-Nonce')).toBeTruthy()
    const error = await oauth.processAuthorizationCodeResponse(op.as, op.client, response).catch((e) => e)
    expect(oauth.isDPoPNonceError(error)).toBe(true)
    const { grants } = await op.emulator.control.counters()
    expect(grants['authorization_code:use_dpop_nonce']).toBe(1)
  })
})

describe('DPoP with nonces required', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp({ dpop: { requireNonce: true } })
  })
  afterAll(() => op.emulator.close())

  it('refuses a proof without a nonce, then accepts the retry that carries it', async () => {
    const { keyPair, jkt } = await newKey()
    const handle = oauth.DPoP(op.client, keyPair)
    const first = await exchangeWithProof(op, handle)
    const error = await oauth.processAuthorizationCodeResponse(op.as, op.client, first).catch((e) => e)
    expect(oauth.isDPoPNonceError(error)).toBe(true)
    // The handle keeps the nonce of the answer: the next proof (another login here) carries it.
    const tokens = await tokensWithProof(op, handle)
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt })
  })
})

describe('DPoP settings from unset variables', () => {
  let op: TestOp
  beforeAll(async () => {
    // main.ts passes `undefined` for an unset EMULATOR_DPOP_REQUIRE_NONCE: the default must stay.
    op = await startTestOp({ dpop: { requireNonce: undefined, enabled: undefined } })
  })
  afterAll(() => op.emulator.close())

  it('keeps the defaults: proofs accepted without a nonce', async () => {
    const tokens = await tokensWithProof(op, oauth.DPoP(op.client, (await newKey()).keyPair))
    expect(tokens.token_type).toBe('dpop')
  })
})

describe('a client registered with dpop_bound_access_tokens', () => {
  let op: TestOp
  beforeAll(async () => {
    op = await startTestOp({ clients: [{ ...CLIENT, dpopBoundAccessTokens: true }] })
  })
  afterAll(() => op.emulator.close())

  it('gets no token without a proof', async () => {
    const response = await exchangeWithProof(op)
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: string }).error).toBe('invalid_grant')
  })

  it('gets a bound token with one', async () => {
    const handle = oauth.DPoP(op.client, (await newKey()).keyPair)
    const tokens = await tokensWithProof(op, handle)
    expect(tokens.token_type).toBe('dpop')
  })
})
