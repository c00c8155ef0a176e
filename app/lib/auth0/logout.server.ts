import { redirect } from '@remix-run/node'
import { assertSameOrigin, safeRedirect } from './origins'
import type { Issuer, OAuthClient } from './client.server'
import type { Auth0RemixServerOptions } from './options'
import type { AuthSession, SessionManager } from './session.server'
import type { SessionDenyList } from './store'

/** Auth0's logout URL: `/v2/logout` (client_id + returnTo), or OIDC RP-initiated logout with id_token_hint. */
export async function auth0LogoutUrl(
  issuer: Issuer,
  options: Pick<Auth0RemixServerOptions, 'clientDetails' | 'useOidcLogout'>,
  returnTo: string,
  idToken?: string,
): Promise<string> {
  const { clientID } = options.clientDetails
  if (options.useOidcLogout) {
    const as = await issuer.authorizationServer().catch(() => undefined)
    const url = new URL(as?.end_session_endpoint ?? new URL('oidc/logout', issuer.url))
    url.searchParams.set('client_id', clientID)
    url.searchParams.set('post_logout_redirect_uri', returnTo)
    if (idToken) url.searchParams.set('id_token_hint', idToken)
    return url.href
  }
  return v2LogoutUrl(issuer, clientID, returnTo)
}

/** Auth0's own logout endpoint: ends the Auth0 session and returns to an Allowed Logout URL. */
export function v2LogoutUrl(issuer: Issuer, clientID: string, returnTo: string): string {
  const url = new URL('v2/logout', issuer.url)
  url.searchParams.set('client_id', clientID)
  url.searchParams.set('returnTo', returnTo)
  return url.href
}

/** Logout changes state: only a POST sent by this app's own pages (Origin, or Fetch Metadata) is accepted. */
export function assertSameOriginPost(request: Request, appOrigin: string): void {
  if (request.method !== 'POST') {
    throw new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } })
  }
  assertSameOrigin(request, appOrigin)
}

interface EndSessionOptions {
  issuer: Issuer
  client: OAuthClient
  sessions: SessionManager | null
  denyList?: SessionDenyList
  /** How long a deny-list entry must last: as long as the longest session it could end. */
  denyForMs: number
  appOrigin: string
  options: Pick<Auth0RemixServerOptions, 'clientDetails' | 'useOidcLogout' | 'revokeRefreshTokenOnLogout'>
  now: () => number
}

/**
 * Ends the session everywhere (see `Auth0RemixServer.logout`): locally (row and cookie, deny-list), then the refresh
 * token is revoked, then the redirect to Auth0's logout. Always throws a response.
 */
export async function endSession(
  request: Request,
  returnToOption: string | undefined,
  steps: EndSessionOptions,
): Promise<never> {
  const { issuer, sessions, appOrigin, options } = steps
  assertSameOriginPost(request, appOrigin)
  const returnTo = new URL(safeRedirect(returnToOption, '/'), appOrigin)
  const headers = new Headers({ 'Cache-Control': 'no-store' })
  let idToken: string | undefined
  if (sessions) {
    const loaded = await sessions.load(request)
    idToken = loaded.auth?.credentials.idToken
    for (const cookie of await sessions.destroy(loaded.session)) headers.append('Set-Cookie', cookie)
    await denyOnLogout(loaded.auth, steps)
    const refreshToken = loaded.auth?.credentials.refreshToken
    if (refreshToken && options.revokeRefreshTokenOnLogout !== false) await steps.client.revoke(refreshToken)
  }
  throw redirect(await auth0LogoutUrl(issuer, options, returnTo.href, idToken), { headers })
}

/** A copy of the cookie must not outlive the logout: its session goes on the deny-list (Browser strategy). */
async function denyOnLogout(auth: AuthSession | null, steps: EndSessionOptions): Promise<void> {
  const { denyList } = steps
  if (!auth || !denyList) return
  const expiresAt = new Date(steps.now() + steps.denyForMs)
  // Auth0 always puts a sid in the ID token; without one, this user's sessions up to this one end.
  await denyList.denySessions(
    auth.sid
      ? { sid: auth.sid, expiresAt }
      : { sub: auth.sub, issuedBefore: new Date((auth.issuedAt ?? auth.authenticatedAt) + 1), expiresAt },
  )
}
