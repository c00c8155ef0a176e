import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { DEFAULT_CLIENT } from './config'
import { CookieJar } from './login'
import { authorization, loginAndExchange, openPage, startTestOp, type TestOp } from './testing'

/** A stand-in for the app's back-channel logout route: records logout tokens, answers with `status`. */
let app: Server
let appOrigin: string
let received: string[] = []
let status = 200

let op: TestOp
beforeAll(async () => {
  app = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk))
    req.on('end', () => {
      received.push(new URLSearchParams(body).get('logout_token') ?? '')
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`
  op = await startTestOp({
    clients: [{ ...DEFAULT_CLIENT, backchannelLogoutUri: `${appOrigin}/auth/backchannel-logout` }],
  })
})
afterAll(async () => {
  await op.emulator.close()
  await new Promise((resolve) => app.close(resolve))
})
beforeEach(() => {
  received = []
  status = 200
})

async function verifyLogoutToken(token: string) {
  const jwks = createLocalJWKSet(await (await fetch(op.as.jwks_uri!)).json())
  return jwtVerify(token, jwks, {
    issuer: op.emulator.issuer,
    audience: DEFAULT_CLIENT.clientId,
    typ: 'logout+jwt',
    algorithms: ['RS256'],
  })
}

describe('back-channel logout control', () => {
  it('delivers a signed OpenID back-channel logout token and returns the app status', async () => {
    expect(await op.emulator.control.backchannelLogout({ sub: 'auth0|alice', sid: 'sid-1' })).toBe(200)
    expect(received).toHaveLength(1)
    const { payload, protectedHeader } = await verifyLogoutToken(received[0]!)
    expect(protectedHeader.typ).toBe('logout+jwt')
    expect(payload).toMatchObject({
      sub: 'auth0|alice',
      sid: 'sid-1',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: expect.any(Number),
    })
    expect(payload).not.toHaveProperty('nonce')

    status = 400
    expect(await op.emulator.control.backchannelLogout({ sid: 'sid-only' })).toBe(400)
    expect(decodeJwt(received[1]!)).not.toHaveProperty('sub')
    await expect(op.emulator.control.backchannelLogout({})).rejects.toThrow(/sub, sid/)
  })
})

describe('/v2/logout', () => {
  const logoutUrl = (params: Record<string, string>) =>
    `${op.emulator.origin}/v2/logout?${new URLSearchParams(params)}`

  it('ends the IdP session, notifies the app and redirects to an allowed returnTo', async () => {
    const jar = new CookieJar()
    const tokens = await loginAndExchange(op, {}, { jar })
    const sid = oauth.getValidatedIdTokenClaims(tokens)!.sid

    const cookie = jar.header(`${op.emulator.origin}/v2/logout`)
    const response = await fetch(
      logoutUrl({ client_id: DEFAULT_CLIENT.clientId, returnTo: 'http://localhost:3000' }),
      {
        headers: { cookie },
        redirect: 'manual',
      },
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('http://localhost:3000')
    jar.store(response)

    expect(received).toHaveLength(1)
    const { payload } = await verifyLogoutToken(received[0]!)
    expect(payload).toMatchObject({ sub: 'auth0|alice', sid })

    const silent = await authorization(op, { prompt: 'none' })
    const page = await openPage(silent.url, jar)
    expect(new URL(page.url).searchParams.get('error')).toBe('login_required')
  })

  it('refuses a returnTo outside the allowed logout URLs', async () => {
    const response = await fetch(
      logoutUrl({ client_id: DEFAULT_CLIENT.clientId, returnTo: 'https://evil.example.test' }),
      {
        redirect: 'manual',
      },
    )
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Allowed Logout URLs')
  })

  it('shows a logged-out page without returnTo', async () => {
    const response = await fetch(logoutUrl({}))
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('You are logged out')
  })
})

describe('/oidc/logout', () => {
  it('ends the session after the auto-submitted confirmation and redirects to post_logout_redirect_uri', async () => {
    const jar = new CookieJar()
    const tokens = await loginAndExchange(op, {}, { jar })
    const url = new URL(op.as.end_session_endpoint!)
    url.search = new URLSearchParams({
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:3000/',
      client_id: DEFAULT_CLIENT.clientId,
      state: 'xyz',
    }).toString()
    const page = await openPage(url.href, jar)
    expect(page.html).toContain('op.logoutForm')
    const action = /action="([^"]+)"/.exec(page.html)![1]!
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.html)![1]!
    const confirm = await fetch(action, {
      method: 'POST',
      headers: { cookie: jar.header(action) },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
      redirect: 'manual',
    })
    expect(confirm.status).toBe(303)
    expect(confirm.headers.get('location')).toBe('http://localhost:3000/?state=xyz')
    expect(received).toHaveLength(1)
    expect((await verifyLogoutToken(received[0]!)).payload.sub).toBe('auth0|alice')
  })

  it('rejects an unregistered post_logout_redirect_uri', async () => {
    const tokens = await loginAndExchange(op)
    const url = new URL(op.as.end_session_endpoint!)
    url.search = new URLSearchParams({
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'https://evil.example.test/',
    }).toString()
    const response = await fetch(url)
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('post_logout_redirect_uri')
  })
})
