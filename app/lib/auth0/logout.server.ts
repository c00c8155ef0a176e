import { assertSameOrigin } from './origins'
import type { Issuer } from './client.server'
import type { Auth0RemixServerOptions } from './options'

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
