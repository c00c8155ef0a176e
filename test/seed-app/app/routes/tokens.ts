// The original README's token helpers: decodeToken, verifyToken, isValid on the credentials the app was handed.
import { createHash } from 'node:crypto'
import type { LoaderFunctionArgs } from '@remix-run/node'
import { Token, type Credentials, type TokenError } from '../../../../app/lib/auth0'
import { authenticator, latestCredentials } from '../auth.server'
import { yourCredentials } from '../opt-out.server'
import { setup } from '../sessionStorage.server'

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  let credentials: Credentials
  if (setup === 'opt-out') credentials = await yourCredentials(request)
  else {
    const user = await authenticator.getUser(request, context)
    const accessToken = await authenticator.getAccessToken(request, {}, context)
    credentials = latestCredentials.get(user.id)!
    if (credentials.accessToken !== accessToken) throw new Error('credentialsCallback missed a refresh')
  }
  const idToken = credentials.idToken!
  const decodedToken = await authenticator.decodeToken(idToken, Token.ID)
  let tampered: string | undefined
  try {
    await authenticator.verifyToken(`${idToken.slice(0, -4)}AAAA`, Token.ID)
  } catch (error) {
    // handle the error
    const { code } = error as TokenError
    tampered = code
  }
  // A resource route gets no entry.server hook: a Browser-strategy refresh's cookie is sent from here.
  const headers = new Headers({ 'Cache-Control': 'no-store' })
  authenticator.applyHeaders(request, context, headers)
  return Response.json(
    {
      sub: decodedToken.sub,
      idTokenValid: await authenticator.isValid(idToken, Token.ID),
      // Without an audience Auth0 issues an access token for /userinfo only, not a JWT: not valid as an API token.
      accessTokenValid: await authenticator.isValid(credentials.accessToken, Token.AccessToken),
      accessToken: createHash('sha256').update(credentials.accessToken).digest('hex').slice(0, 16),
      expiresAt: credentials.expiresAt,
      expiresIn: credentials.expiresIn,
      lastRefreshed: credentials.lastRefreshed,
      tampered,
    },
    { headers },
  )
}
