import { AccessTokenError, DPoPRequestError, Token, TokenError } from '~/lib/auth0'
import { authenticator } from '~/auth.server'
import { env } from '~/env.server'
import { getSessionStorage } from '~/session-store.server'

/** The audience the example API accepts: the configured one, or the emulator's default API. */
const apiAudience = env.AUTH0_AUDIENCE ?? `${env.APP_DOMAIN}/api`

export type ApiAnswer =
  { ok: true; status: number; body: unknown } | { ok: false; status: number; error: string }

/** Calls the stack's example API as the signed-in user (token from the session, one retry after a 401). */
export async function callProtectedApi(request: Request, context?: object): Promise<ApiAnswer> {
  try {
    const response = await authenticator.fetchWithAccessToken(request, `${env.APP_DOMAIN}/api/protected`, {
      audience: apiAudience,
      context,
      signal: AbortSignal.timeout(5000),
    })
    const body: unknown = await response.json().catch(() => null)
    return response.ok
      ? { ok: true, status: response.status, body }
      : { ok: false, status: response.status, error: 'api_error' }
  } catch (error) {
    if (error instanceof AccessTokenError) return { ok: false, status: 401, error: error.code }
    if (error instanceof Response) throw error
    return { ok: false, status: 502, error: 'api_unreachable' }
  }
}

/**
 * The example API's guard, as any resource server would do it: a Bearer JWT for our audience, verified locally
 * against the tenant's JWKS (no call to Auth0).
 */
export async function requireApiToken(request: Request): Promise<Record<string, unknown>> {
  if (env.AUTH0_USE_DPOP) return requireDPoPToken(request)
  const header = request.headers.get('Authorization') ?? ''
  const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header)?.[1]
  const challenge = (error: string) =>
    new Response(JSON.stringify({ error }), {
      status: 401,
      headers: {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'WWW-Authenticate': `Bearer realm="api", error="${error}"`,
      },
    })
  if (!token) throw challenge('invalid_request')
  let claims: Record<string, unknown>
  try {
    claims = await authenticator.decodeToken(token, Token.ACCESS, { audience: apiAudience })
  } catch (error) {
    if (error instanceof TokenError) throw challenge('invalid_token')
    throw error
  }
  // RFC 9449 §7.2: a DPoP-bound token without its proof is a stolen one, whatever this app's own setting.
  if (claims.cnf !== undefined) throw challenge('invalid_token')
  return claims
}

/**
 * AUTH0_USE_DPOP: only DPoP-bound tokens with a valid proof. Each proof's jti is used once for the whole cluster,
 * in the table that already does that for back-channel logout tokens (keys prefixed, so the two never meet).
 */
async function requireDPoPToken(request: Request): Promise<Record<string, unknown>> {
  const replays = getSessionStorage()
  try {
    return await authenticator.verifyDPoPRequest(request, {
      audience: apiAudience,
      useProofJti: (jti, expiresAt) => replays.useLogoutToken(`dpop:${jti}`, expiresAt),
      // The proof names the URL the client called: the app's public one, also behind a proxy.
      url: `${env.APP_ORIGIN}${new URL(request.url).pathname}`,
    })
  } catch (error) {
    if (!(error instanceof DPoPRequestError)) throw error
    throw new Response(JSON.stringify({ error: error.error }), {
      status: 401,
      headers: {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'WWW-Authenticate': error.challenge,
      },
    })
  }
}
