import { randomUUID } from 'node:crypto'
import type { Context } from 'koa'
import { SignJWT } from 'jose'
import type Provider from 'oidc-provider'

import type { EmulatorClient } from './config'
import type { EmulatorState } from './state'
import { errorPage, loggedOutPage } from './views'

export interface LogoutTarget {
  sub?: string
  sid?: string
}

/** OpenID Back-Channel Logout 1.0 token, POSTed to the client; resolves to the app's HTTP status. */
export async function sendBackchannelLogout(
  state: EmulatorState,
  client: EmulatorClient,
  { sub, sid }: LogoutTarget,
): Promise<number> {
  if (!client.backchannelLogoutUri)
    throw new Error(`client ${client.clientId} has no back-channel logout URI`)
  const now = Math.floor(Date.now() / 1000)
  const key = state.keys.current
  const logoutToken = await new SignJWT({
    events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    ...(sub ? { sub } : {}),
    ...(sid ? { sid } : {}),
  })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'logout+jwt' })
    .setIssuer(state.issuer)
    .setAudience(client.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + 120)
    .setJti(randomUUID())
    .sign(key.privateKey)
  const response = await fetch(client.backchannelLogoutUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }),
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  })
  await response.body?.cancel()
  return response.status
}

/**
 * Auth0's `GET /v2/logout?client_id=&returnTo=`: ends the IdP session straight away (no confirmation) and
 * tells every client of that session over the back channel.
 */
export async function v2Logout(ctx: Context, state: EmulatorState, provider: Provider): Promise<void> {
  const clientId = typeof ctx.query.client_id === 'string' ? ctx.query.client_id : undefined
  const returnTo = typeof ctx.query.returnTo === 'string' ? ctx.query.returnTo : undefined
  if (returnTo !== undefined) {
    const allowed = clientId
      ? (state.findClient(clientId)?.logoutUrls ?? [])
      : state.clients.flatMap((client) => client.logoutUrls)
    if (!allowed.includes(returnTo)) {
      ctx.status = 400
      ctx.type = 'html'
      ctx.body = errorPage(
        'invalid_request',
        `The "returnTo" querystring parameter "${returnTo}" is not defined as a valid URL in "Allowed Logout URLs".`,
      )
      return
    }
  }

  await endIdpSession(ctx, state, provider)
  if (returnTo) {
    // Set verbatim: Koa's redirect() would normalise "http://localhost:3000" to ".../".
    ctx.status = 302
    ctx.set('location', returnTo)
  } else {
    ctx.type = 'html'
    ctx.body = loggedOutPage()
  }
}

async function endIdpSession(ctx: Context, state: EmulatorState, provider: Provider): Promise<void> {
  const session = await provider.Session.get(ctx as Parameters<typeof provider.Session.get>[0])
  const { accountId } = session
  if (accountId) {
    const notifications = Object.entries(session.authorizations ?? {}).map(async ([clientId, { sid }]) => {
      const client = state.findClient(clientId)
      if (!client?.backchannelLogoutUri) return
      try {
        const status = await sendBackchannelLogout(state, client, { sub: accountId, sid })
        state.log(`back-channel logout to ${client.backchannelLogoutUri}: ${status}`)
      } catch (error) {
        state.log(`back-channel logout to ${client.backchannelLogoutUri} failed: ${String(error)}`)
      }
    })
    await Promise.all(notifications)
  }
  await session.destroy()
  ctx.cookies.set(provider.cookieName('session'), null, { signed: true, path: '/' })
}
