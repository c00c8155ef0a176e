import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { completeLogin, CookieJar } from './login'
import {
  API,
  authorization,
  callbackParams,
  CLIENT,
  exchange,
  loginAndExchange,
  openPage,
  REDIRECT_URI,
  startTestOp,
  tokenRequest,
  type TestOp,
} from './testing'

let op: TestOp
beforeAll(async () => {
  op = await startTestOp()
})
afterAll(() => op.emulator.close())

const codeOf = async (params: Record<string, string> = {}) => {
  const auth = await authorization(op, params)
  const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
  return { auth, code: callbackParams(callback).get('code')! }
}

describe('discovery', () => {
  it('serves Auth0-shaped metadata with a trailing-slash issuer', async () => {
    expect(op.emulator.issuer).toBe(`http://127.0.0.1:${op.emulator.port}/`)
    expect(op.as.issuer).toBe(op.emulator.issuer)
    expect(op.as.authorization_endpoint).toBe(`${op.emulator.origin}/authorize`)
    expect(op.as.token_endpoint).toBe(`${op.emulator.origin}/oauth/token`)
    expect(op.as.userinfo_endpoint).toBe(`${op.emulator.origin}/userinfo`)
    expect(op.as.revocation_endpoint).toBe(`${op.emulator.origin}/oauth/revoke`)
    expect(op.as.end_session_endpoint).toBe(`${op.emulator.origin}/oidc/logout`)
    expect(op.as.jwks_uri).toBe(`${op.emulator.origin}/.well-known/jwks.json`)
    const jwks = (await (await fetch(op.as.jwks_uri!)).json()) as { keys: Record<string, unknown>[] }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) })
    expect(jwks.keys[0]).not.toHaveProperty('d')
  })
})

describe('authorization code flow', () => {
  it('logs in with PKCE (query) and issues Auth0-like ID tokens', async () => {
    const tokens = await loginAndExchange(op)
    const claims = oauth.getValidatedIdTokenClaims(tokens)!
    expect(claims).toMatchObject({
      iss: op.emulator.issuer,
      aud: CLIENT.clientId,
      sub: 'auth0|alice',
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      nickname: 'alice',
      email: 'alice@example.com',
      email_verified: true,
      picture: `${op.emulator.issuer}avatars/alice.svg`,
      sid: expect.any(String),
      auth_time: expect.any(Number),
    })
    expect(typeof claims.updated_at).toBe('string')
    expect(tokens.refresh_token).toEqual(expect.any(String))
    expect(tokens.scope).toBe('openid profile email offline_access')
    const avatar = await fetch(String(claims.picture))
    expect(avatar.headers.get('content-type')).toContain('image/svg+xml')
    expect(await avatar.text()).toContain('<svg')
  })

  it('verifies the ID token signature against the JWKS', async () => {
    const tokens = await loginAndExchange(op)
    const { payload, protectedHeader } = await jwtVerify(
      tokens.id_token!,
      createRemoteJWKSet(new URL(op.as.jwks_uri!)),
      {
        issuer: op.emulator.issuer,
        audience: CLIENT.clientId,
        algorithms: ['RS256'],
      },
    )
    expect(protectedHeader.kid).toEqual(expect.any(String))
    expect(payload.sub).toBe('auth0|alice')
  })

  it('returns code and state with response_mode=form_post', async () => {
    const auth = await authorization(op, { response_mode: 'form_post' })
    const callback = await completeLogin(auth.url, { email: 'bob@example.com' })
    expect(callback.method).toBe('POST')
    expect(callback.url).toBe(REDIRECT_URI)
    const tokens = await exchange(op, auth, callback)
    expect(oauth.getValidatedIdTokenClaims(tokens)!.sub).toBe('auth0|bob')
  })

  it('accepts client_secret_basic too', async () => {
    const auth = await authorization(op)
    const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
    const params = oauth.validateAuthResponse(op.as, op.client, callbackParams(callback), auth.state)
    const response = await oauth.authorizationCodeGrantRequest(
      op.as,
      op.client,
      oauth.ClientSecretBasic(CLIENT.clientSecret),
      params,
      REDIRECT_URI,
      auth.verifier,
      { [oauth.allowInsecureRequests]: true },
    )
    expect(response.status).toBe(200)
  })

  it('makes codes single-use', async () => {
    const { auth, code } = await codeOf()
    const params = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: auth.verifier,
    }
    expect((await tokenRequest(op, params)).status).toBe(200)
    const replay = await tokenRequest(op, params)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_grant')
  })

  it('rejects a wrong redirect_uri, a wrong secret and a wrong code_verifier', async () => {
    const { auth, code } = await codeOf()
    const base = { grant_type: 'authorization_code', code, code_verifier: auth.verifier }
    const wrongRedirect = await tokenRequest(op, { ...base, redirect_uri: 'http://localhost:3000/elsewhere' })
    expect(wrongRedirect.body.error).toBe('invalid_grant')

    const again = await codeOf()
    const wrongSecret = await tokenRequest(op, {
      grant_type: 'authorization_code',
      code: again.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: again.auth.verifier,
      client_secret: 'not-the-secret',
    })
    expect(wrongSecret.status).toBe(401)
    expect(wrongSecret.body.error).toBe('invalid_client')

    const third = await codeOf()
    const wrongVerifier = await tokenRequest(op, {
      grant_type: 'authorization_code',
      code: third.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: oauth.generateRandomCodeVerifier(),
    })
    expect(wrongVerifier.body.error).toBe('invalid_grant')
  })

  it('refuses an unregistered redirect_uri at /authorize without redirecting', async () => {
    const auth = await authorization(op, { redirect_uri: 'https://evil.example.test/callback' })
    const response = await fetch(auth.url, { redirect: 'manual' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('redirect_uri')
  })

  it('rejects PKCE plain', async () => {
    const auth = await authorization(op, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' })
    const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
    expect(callbackParams(callback).get('error')).toBe('invalid_request')
  })
})

describe('Auth0 authorize parameters', () => {
  it('audience gives an RS256 JWT access token for the API and userinfo', async () => {
    const tokens = await loginAndExchange(op, { audience: API, scope: 'openid profile email read:profile' })
    const jwks = createLocalJWKSet(await (await fetch(op.as.jwks_uri!)).json())
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: op.emulator.issuer,
      audience: API,
      algorithms: ['RS256'],
    })
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(payload).toMatchObject({
      sub: 'auth0|alice',
      aud: [API, `${op.emulator.issuer}userinfo`],
      azp: CLIENT.clientId,
      scope: 'openid profile email read:profile',
      iat: expect.any(Number),
      exp: expect.any(Number),
    })
    const userinfo = await fetch(op.as.userinfo_endpoint!, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    expect(userinfo.status).toBe(200)
    expect(await userinfo.json()).toMatchObject({ sub: 'auth0|alice', email: 'alice@example.com' })
  })

  it('without audience the opaque access token works at /userinfo', async () => {
    const tokens = await loginAndExchange(op, {}, { email: 'carol@example.com' })
    expect(tokens.access_token.split('.')).toHaveLength(1)
    const response = await oauth.userInfoRequest(op.as, op.client, tokens.access_token, {
      [oauth.allowInsecureRequests]: true,
    })
    const userinfo = await oauth.processUserInfoResponse(op.as, op.client, 'auth0|carol', response)
    expect(userinfo).toMatchObject({
      email: 'carol@example.com',
      email_verified: false,
      name: 'Carol Danvers',
    })
  })

  it('an unknown audience is access_denied "Service not found"', async () => {
    const auth = await authorization(op, { audience: 'https://unknown.example.test' })
    const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
    const params = callbackParams(callback)
    expect(params.get('error')).toBe('access_denied')
    expect(params.get('error_description')).toBe('Service not found: https://unknown.example.test')
    expect(params.get('state')).toBe(auth.state)
  })

  it('organization adds org_id and org_name; an unknown one is invalid_request', async () => {
    for (const organization of ['org_acme', 'acme']) {
      const tokens = await loginAndExchange(op, { organization })
      expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ org_id: 'org_acme', org_name: 'acme' })
    }
    const plain = await loginAndExchange(op)
    expect(oauth.getValidatedIdTokenClaims(plain)).not.toHaveProperty('org_id')

    const auth = await authorization(op, { organization: 'org_nope' })
    const callback = await completeLogin(auth.url, { email: 'alice@example.com' })
    expect(callbackParams(callback).get('error')).toBe('invalid_request')
  })

  it('screen_hint=signup shows the sign-up page and signs a new user up', async () => {
    const auth = await authorization(op, {
      screen_hint: 'signup',
      connection: 'google-oauth2',
      invitation: 'inv_1',
    })
    const page = await openPage(auth.url)
    const html = page.html
    expect(page.url).toMatch(/\/u\/login\/[\w-]+$/)
    expect(html).toContain('Create your account')
    expect(html).toContain('Continue with google-oauth2')
    expect(html).toContain('<label for="email">')

    const callback = await completeLogin(auth.url, {
      email: 'new.user@example.com',
      signup: true,
      name: 'New User',
    })
    const claims = oauth.getValidatedIdTokenClaims(await exchange(op, auth, callback))!
    expect(claims).toMatchObject({ email: 'new.user@example.com', name: 'New User', email_verified: false })
    expect(String(claims.sub)).toMatch(/^auth0\|/)
  })

  it('the login page lists the test users and rejects unknown emails', async () => {
    const auth = await authorization(op)
    const { html } = await openPage(auth.url)
    for (const name of ['Alice Liddell', 'Bob Builder', 'Carol Danvers']) expect(html).toContain(name)
    await expect(completeLogin(auth.url, { email: 'nobody@example.com' })).rejects.toThrow(
      /no such test user/,
    )
  })

  it('prompt=none: login_required without a session, a code with one', async () => {
    const jar = new CookieJar()
    const first = await authorization(op, { prompt: 'none' })
    const refused = await completeLogin(first.url, { email: 'alice@example.com', jar })
    expect(callbackParams(refused).get('error')).toBe('login_required')

    await loginAndExchange(op, {}, { email: 'bob@example.com', jar })
    const silent = await authorization(op, { prompt: 'none' })
    const callback = await completeLogin(silent.url, { email: 'ignored@example.com', jar })
    const claims = oauth.getValidatedIdTokenClaims(await exchange(op, silent, callback))!
    expect(claims.sub).toBe('auth0|bob')
  })

  it('prompt=login and max_age force the login page despite a session; acr_values gives acr', async () => {
    const jar = new CookieJar()
    await loginAndExchange(op, {}, { email: 'bob@example.com', jar })
    for (const params of [{ prompt: 'login' }, { max_age: '0' }] as Record<string, string>[]) {
      const auth = await authorization(op, params)
      // A different user proves the login page was shown instead of reusing Bob's session.
      const callback = await completeLogin(auth.url, { email: 'alice@example.com', jar })
      expect(oauth.getValidatedIdTokenClaims(await exchange(op, auth, callback))!.sub).toBe('auth0|alice')
    }
    const acr = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'
    const tokens = await loginAndExchange(op, { acr_values: acr, prompt: 'login' }, { jar })
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ acr, auth_time: expect.any(Number) })
  })
})

describe('revocation', () => {
  it('revokes a refresh token at /oauth/revoke', async () => {
    const tokens = await loginAndExchange(op)
    const response = await oauth.revocationRequest(op.as, op.client, op.auth, tokens.refresh_token!, {
      [oauth.allowInsecureRequests]: true,
    })
    await oauth.processRevocationResponse(response)
    const after = await tokenRequest(op, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
    })
    expect(after.body.error).toBe('invalid_grant')
    expect(decodeJwt(tokens.id_token!).sub).toBe('auth0|alice')
  })
})
