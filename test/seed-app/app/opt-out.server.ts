import { redirect } from '@remix-run/node'
import { AuthError, Token, TokenError, type Credentials, type UserProfile } from '../../../app/lib/auth0'
import { authenticator } from './auth.server'
import { commitSession, getSessionFromRequest } from './session.server'

/**
 * Opting out of the session handling (the original's "missing" list): the callback only authenticates, and the app
 * keeps the credentials in its own session. Refreshing them is the app's job too.
 */

export async function finishLoginYourself(request: Request): Promise<never> {
  const headers = new Headers()
  try {
    const { session: auth, setCookies } = await authenticator.authenticateCallback(request)
    for (const cookie of setCookies) headers.append('Set-Cookie', cookie)
    const session = await getSessionFromRequest(request)
    session.set('credentials', auth.credentials)
    headers.append('Set-Cookie', await commitSession(session))
    throw redirect('/dashboard', { headers })
  } catch (error) {
    if (!(error instanceof AuthError)) throw error
    for (const cookie of (error as AuthError & { setCookies?: string[] }).setCookies ?? [])
      headers.append('Set-Cookie', cookie)
    throw redirect(`/?error=${error.code}`, { headers })
  }
}

/** The stored credentials, refreshed when the access token is past half its life; else off to the login page. */
export async function yourCredentials(request: Request): Promise<Credentials> {
  const session = await getSessionFromRequest(request)
  const credentials = session.get('credentials') as Credentials | undefined
  if (!credentials) throw redirect('/login')
  if (credentials.expiresAt - Date.now() > (credentials.expiresIn * 1000) / 2) return credentials
  const refreshed = await refresh(credentials)
  session.set('credentials', refreshed)
  // The file store keeps the data server side: the cookie (the id) does not change.
  await commitSession(session)
  return refreshed
}

/** The user from the ID token, verified on every read (an expired or forged one means logging in again). */
export async function yourUser(credentials: Credentials): Promise<UserProfile> {
  const claims = await authenticator.decodeToken(credentials.idToken!, Token.ID).catch((error: unknown) => {
    if (error instanceof TokenError) throw redirect(`/login?error=${error.code}`)
    throw error
  })
  const text = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : undefined)
  return {
    id: String(claims.sub),
    name: text('name'),
    nickname: text('nickname'),
    givenName: text('given_name'),
  }
}

async function refresh(credentials: Credentials): Promise<Credentials> {
  const domain = process.env.AUTH0_DOMAIN!
  const origin = domain.includes('://') ? domain : `https://${domain}`
  const response = await fetch(`${origin}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: credentials.refreshToken!,
      client_id: process.env.AUTH0_CLIENT_ID!,
      client_secret: process.env.AUTH0_CLIENT_SECRET!,
    }),
  })
  if (!response.ok) throw redirect('/login?error=refresh_failed')
  const tokens = (await response.json()) as Record<string, string | number | undefined>
  await authenticator.verifyToken(String(tokens.id_token), Token.ID)
  const now = Date.now()
  return {
    accessToken: String(tokens.access_token),
    refreshToken: (tokens.refresh_token as string | undefined) ?? credentials.refreshToken,
    idToken: String(tokens.id_token),
    tokenType: String(tokens.token_type),
    expiresIn: Number(tokens.expires_in),
    expiresAt: now + Number(tokens.expires_in) * 1000,
    lastRefreshed: now,
  }
}
