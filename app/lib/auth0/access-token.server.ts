import * as oauth from 'oauth4webapi'
import type { OAuthClient } from './client.server'
import { withDPoPNonceRetry, type DPoPKeys } from './dpop.server'
import { AuthError, AuthErrorCode, type Warn } from './errors'
import type { Auth0RemixServerOptions } from './options'
import type { TokenRefresher } from './refresh.server'
import type { RequestSessions } from './request-session.server'
import { userFromClaims, type AuthSession, type UserProfile } from './session.server'

export interface AccessTokenOptions {
  /** Another API than the configured one (Auth0 multi-resource refresh token). */
  audience?: string
  scope?: string
  /** Get a new token even if the current one is still valid. */
  refresh?: boolean
}

/** Auth0 would not issue the token (consent_required, invalid_grant, …): send the user to log in again. */
export class AccessTokenError extends AuthError {
  constructor(code: string) {
    super(code, `No access token could be obtained (${code})`)
    this.name = 'AccessTokenError'
  }
}

interface AccessTokensOptions {
  requests: RequestSessions
  refresher: TokenRefresher | null
  client: OAuthClient
  /** The configured API (`clientDetails.audience`): its token is the session's own. */
  audience?: string
  dpop?: DPoPKeys
  profileCache: Pick<Auth0RemixServerOptions, 'profileCacheGet' | 'profileCacheSet'>
  warn: Warn
  now: () => number
}

/** The user's access tokens: the session's own, one per other API, and calls to an API with them. */
export class AccessTokens {
  constructor(private readonly options: AccessTokensOptions) {}

  async get(
    request: Request,
    options: AccessTokenOptions,
    context?: object,
  ): Promise<{ token: string; auth: AuthSession }> {
    const { requests, now } = this.options
    const started = now()
    const scope = requests.scope(request, context)
    const { auth, loaded, reason } = await requests.resolve(request, context)
    if (!auth || !loaded) throw requests.loginRedirect(request, context, reason)
    const current = { ...loaded, auth }
    const defaultAudience = !options.audience || options.audience === this.options.audience
    if (defaultAudience && !options.refresh) return { token: auth.credentials.accessToken, auth }
    const audience = options.audience
    const refresher = this.options.refresher!
    const outcome = await (
      defaultAudience
        ? refresher.forceRefresh(request, current, started)
        : refresher.audienceToken(request, current, audience!, options.scope, (candidate) => {
            const token = candidate.audiences?.[audience!]
            if (!token) return false
            if (options.refresh) return token.obtainedAt > started
            return token.expiresAt - now() > 60_000 && hasScopes(token.scope, options.scope)
          })
    ).catch((error: unknown) => {
      throw new AccessTokenError(error instanceof AuthError ? error.code : AuthErrorCode.refreshFailed)
    })
    requests.queueCookiesForResponse(scope, outcome.setCookies ?? null, loaded)
    scope.resolved = Promise.resolve({ loaded, auth: outcome.auth, reason: outcome.reason })
    if (!outcome.auth) throw new AccessTokenError(outcome.reason ?? AuthErrorCode.refreshFailed)
    const token = defaultAudience
      ? outcome.auth.credentials.accessToken
      : outcome.auth.audiences?.[audience!]?.accessToken
    if (!token) throw new AccessTokenError(AuthErrorCode.refreshFailed)
    return { token, auth: outcome.auth }
  }

  /** Calls an API as the user: adds the token, and after a 401 retries once with a fresh one. */
  async fetch(
    request: Request,
    input: string | URL,
    init: RequestInit & { audience?: string; scope?: string; context?: object },
  ): Promise<Response> {
    const { audience, scope, context, ...requestInit } = init
    const { dpop } = this.options
    const call = async (refresh: boolean) => {
      const { token, auth } = await this.get(request, { audience, scope, refresh }, context)
      if (dpop) return fetchWithDPoP(dpop, auth, token, input, requestInit)
      const headers = new Headers(requestInit.headers)
      headers.set('Authorization', `Bearer ${token}`)
      return fetch(input, { ...requestInit, headers })
    }
    const response = await call(false)
    if (response.status !== 401) return response
    // Still asking for a nonce after the proof that carried one: a new token would not change that.
    if (dpop && /error="?use_dpop_nonce/.test(response.headers.get('WWW-Authenticate') ?? '')) return response
    await response.body?.cancel()
    return call(true)
  }

  /** The profile: from the ID token's claims, or from /userinfo when the app gives a profile cache. */
  async profile(auth: AuthSession): Promise<UserProfile> {
    const { profileCacheGet, profileCacheSet } = this.options.profileCache
    if (!profileCacheGet || !profileCacheSet) return userFromClaims(auth.claims)
    const { accessToken, expiresAt } = auth.credentials
    const cached = await profileCacheGet(accessToken).catch(() => undefined)
    if (cached) return cached
    // The ID token's claims are a good answer too: a cache or /userinfo outage must not take the page down.
    let profile: UserProfile
    try {
      const claims = await this.options.client.userInfo(accessToken, auth.sub, await this.dpopHandle(auth))
      profile = userFromClaims({ ...claims, sub: auth.sub })
    } catch (error) {
      this.options.warn('/userinfo failed; the profile comes from the ID token', error)
      return userFromClaims(auth.claims)
    }
    await profileCacheSet(accessToken, profile, expiresAt).catch((error: unknown) =>
      this.options.warn('profileCacheSet failed', error),
    )
    return profile
  }

  /** Undefined without DPoP, or when the key no longer opens (best-effort calls go on without a proof). */
  private async dpopHandle(auth: AuthSession): Promise<oauth.DPoPHandle | undefined> {
    if (!this.options.dpop || !auth.dpopKey) return undefined
    return this.options.dpop.handle(auth.dpopKey).catch(() => undefined)
  }
}

/**
 * `Authorization: DPoP` and a proof (htm, htu, ath) of the session's key; a resource server's `use_dpop_nonce`
 * challenge gets one more proof with its nonce. Other challenges (a 401) come back as responses, as for Bearer.
 */
async function fetchWithDPoP(
  dpop: DPoPKeys,
  auth: AuthSession,
  token: string,
  input: string | URL,
  init: RequestInit,
): Promise<Response> {
  const handle = await dpop.handle(auth.dpopKey!)
  const url = new URL(input)
  const headers = new Headers(init.headers)
  headers.delete('Authorization')
  try {
    return await withDPoPNonceRetry(handle, () =>
      oauth.protectedResourceRequest(
        token,
        init.method ?? 'GET',
        url,
        headers,
        (init.body ?? null) as Parameters<typeof oauth.protectedResourceRequest>[4],
        // As with Bearer calls, the app chooses the API's URL; plain http is its call (a local API).
        { signal: init.signal ?? undefined, DPoP: handle, [oauth.allowInsecureRequests]: true },
      ),
    )
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response
    throw error
  }
}

function hasScopes(granted: string | undefined, wanted: string | undefined): boolean {
  if (!wanted) return true
  const have = new Set((granted ?? '').split(' '))
  return wanted.split(' ').every((scope) => have.has(scope))
}
