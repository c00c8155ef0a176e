import { decodeJwt, type JWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { Sealer } from '~/lib/auth0/secrets.server'
import { testSessionSecret } from '../support/app-server'
import { expectSafe, loggedIn, type SecretWatch, withStack, type Stack } from './support'

/** AUTH0_USE_DPOP=true on the built app: /api/protected takes DPoP-bound tokens with a valid proof only. */
let stack: Stack
let watch: SecretWatch
withStack(
  (running) => ({ stack, watch } = running),
  () => ({ env: { AUTH0_USE_DPOP: 'true' } }),
)

const apiUrl = () => `${stack.origin}/api/protected`

/**
 * Logs in, has the app call the API (which gets the session a token for the API's audience) and returns that
 * token and the session's sealed DPoP key, as an attacker who read the database would have them.
 */
async function stolen(): Promise<{ token: string; sealedKey: string; html: string }> {
  const browser = await loggedIn(stack)
  const html = await expectSafe(watch, await browser.submit('/dashboard', { intent: 'call-api' }))
  await watch.harvest()
  const row = await stack.db.session.findFirst({ orderBy: { createdAt: 'desc' } })
  const user = (
    JSON.parse(row!.data) as {
      user: { audiences: Record<string, { accessToken: string }>; dpopKey: string }
    }
  ).user
  const token = user.audiences[`${stack.origin}/api`]!.accessToken
  watch.add(token)
  return { token, sealedKey: user.dpopKey, html }
}

/**
 * The session's own key, opened with the app's secret: what a client holding the key can do, so that each check
 * below is shown to be what refuses the request (the same proof, bar one claim, is accepted).
 */
async function sessionKeyHandle(
  sealedKey: string,
  modify?: (payload: Record<string, unknown>) => void,
): Promise<oauth.DPoPHandle> {
  const keys = await new Sealer([testSessionSecret], 'dpop key').unseal<{ privateJwk: JWK; publicJwk: JWK }>(
    sealedKey,
  )
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' }
  const keyPair = {
    privateKey: await crypto.subtle.importKey('jwk', keys!.privateJwk, algorithm, false, ['sign']),
    publicKey: await crypto.subtle.importKey('jwk', keys!.publicJwk, algorithm, true, ['verify']),
  }
  return oauth.DPoP({}, keyPair, modify ? { [oauth.modifyAssertion]: (_h, payload) => modify(payload) } : {})
}

async function proofFor(handle: oauth.DPoPHandle, token: string, method = 'GET', url = apiUrl()) {
  let proof = ''
  // oauth4webapi signs the proof as it sends: the request is caught here, before it leaves.
  await oauth.protectedResourceRequest(token, method, new URL(url), new Headers(), null, {
    DPoP: handle,
    [oauth.allowInsecureRequests]: true,
    [oauth.customFetch]: async (_url, init) => {
      proof = (init.headers as Record<string, string>).dpop!
      return new Response(null, { status: 204 })
    },
  })
  return proof
}

function callApi(headers: Record<string, string>, method = 'GET') {
  return fetch(apiUrl(), { method, headers })
}

describe('/api/protected with AUTH0_USE_DPOP=true', () => {
  it('answers the dashboard\'s "Call the API" (the app sends the token with its proof)', async () => {
    const { token, html } = await stolen()
    expect(html).toContain('Hello from the protected API')
    expect(decodeJwt(token).cnf).toMatchObject({ jkt: expect.any(String) })
  })

  it('refuses the stolen access token without the key: as Bearer, without a proof, with another key', async () => {
    const { token } = await stolen()
    const bearer = await callApi({ Authorization: `Bearer ${token}` })
    expect(bearer.status).toBe(401)
    expect(bearer.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_token"/)
    await expectSafe(watch, bearer)

    const noProof = await callApi({ Authorization: `DPoP ${token}` })
    expect(noProof.status).toBe(401)
    expect(noProof.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)

    const attacker = oauth.DPoP({}, await oauth.generateKeyPair('ES256'))
    const otherKey = await callApi({ Authorization: `DPoP ${token}`, DPoP: await proofFor(attacker, token) })
    expect(otherKey.status).toBe(401)
    await expectSafe(watch, otherKey)
  })

  it('refuses a replayed proof, also after a restart (the jti store is the database)', async () => {
    const { token, sealedKey } = await stolen()
    const proof = await proofFor(await sessionKeyHandle(sealedKey), token)
    const headers = { Authorization: `DPoP ${token}`, DPoP: proof }
    expect((await callApi(headers)).status).toBe(200)
    expect((await callApi(headers)).status).toBe(401)
    await stack.restart()
    const afterRestart = await callApi(headers)
    expect(afterRestart.status).toBe(401)
    expect(await afterRestart.json()).toEqual({ error: 'invalid_dpop_proof' })
  })

  it('refuses a proof for another method, another URL, or a stale one', async () => {
    const { token, sealedKey } = await stolen()
    const handle = await sessionKeyHandle(sealedKey)
    const wrongMethod = await proofFor(handle, token, 'POST')
    expect((await callApi({ Authorization: `DPoP ${token}`, DPoP: wrongMethod })).status).toBe(401)
    const wrongUrl = await proofFor(handle, token, 'GET', `${stack.origin}/api/me`)
    expect((await callApi({ Authorization: `DPoP ${token}`, DPoP: wrongUrl })).status).toBe(401)
    const stale = await proofFor(
      await sessionKeyHandle(sealedKey, (payload) => {
        payload.iat = Math.floor(Date.now() / 1000) - 600
      }),
      token,
    )
    expect((await callApi({ Authorization: `DPoP ${token}`, DPoP: stale })).status).toBe(401)
    // control: a fresh, correct proof of the same key is accepted
    const good = await proofFor(handle, token)
    expect((await callApi({ Authorization: `DPoP ${token}`, DPoP: good })).status).toBe(200)
  })
})
