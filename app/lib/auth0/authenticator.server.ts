import { redirect } from '@remix-run/node'
import type { AccessTokenOptions } from './access-token.server'
import { checkConfiguration, configure, type Steps } from './configuration.server'
import { AuthError, AuthErrorCode, ConfigurationError, TokenError, safeErrorCode } from './errors'
import { verifyDPoPRequest } from './dpop.server'
import type { CallbackResult, OrganizationSwitch } from './login.server'
import { auth0LogoutUrl, endSession, v2LogoutUrl } from './logout.server'
import {
  defaultAbsoluteSessionLifetimeSeconds,
  type Auth0RemixServerOptions,
  type AuthorizeOptions,
  type HandleCallbackOptions,
  Token,
} from './options'
import { currentPath, withQuery } from './origins'
import type { VerifyOptions } from './tokens.server'
import type { AuthSession, IdTokenClaims, UserProfile } from './session.server'

export type { CallbackResult } from './login.server'
export { AccessTokenError, type AccessTokenOptions } from './access-token.server'

/** What a protected page may show about the session (never the tokens themselves). */
export interface SessionInfo {
  user: UserProfile
  claims: IdTokenClaims
  authenticatedAt: number
  accessTokenExpiresAt: number
  lastRefreshedAt: number | null
  sessionExpiresAt: number
  sessionId: string | null
}

/**
 * The original library's API. Each method hands its work to the step that performs it (login, requests, access
 * tokens, organization switch, logout, back-channel logout, token validation); steps call the stores below them and
 * nothing calls back up.
 */
export class Auth0RemixServer {
  private readonly steps: Steps
  private configurationChecked = false

  constructor(private readonly options: Auth0RemixServerOptions) {
    this.steps = configure(options)
  }

  // ---------------------------------------------------------------------------------------------- login

  /**
   * Redirects to Auth0's /authorize with state, nonce and PKCE S256, remembered in a per-login encrypted cookie.
   * Call it from an action; it always throws a redirect.
   */
  async authorize(options?: AuthorizeOptions): Promise<never>
  async authorize(request: Request, options?: AuthorizeOptions): Promise<never>
  async authorize(
    requestOrOptions?: Request | AuthorizeOptions,
    maybeOptions?: AuthorizeOptions,
  ): Promise<never> {
    const given = isRequestLike(requestOrOptions)
    const request = given ? requestOrOptions : new Request(this.steps.appOrigin)
    const options = (given ? maybeOptions : requestOrOptions) ?? {}
    if (given) this.steps.requests.warnOnUnfinishedFormPost(request)
    let response: Response
    try {
      if (!this.configurationChecked) {
        await this.checkConfiguration()
        this.configurationChecked = true
      }
      response = await this.steps.login.start(request, options)
    } catch (error) {
      // Auth0 down, a refused PAR request or a tenant without a feature we use: the login page says so, no 500.
      if (error instanceof ConfigurationError) this.steps.warn(error.message, error)
      else if (!(error instanceof AuthError)) throw error
      const code = error instanceof AuthError ? error.code : AuthErrorCode.configurationError
      throw redirect(withQuery(this.options.failedLoginRedirect, { error: safeErrorCode(code) }), {
        headers: { 'Cache-Control': 'no-store' },
      })
    }
    throw response
  }

  /**
   * Checks the options against the tenant's discovery document and imports the client assertion key: throws a
   * `ConfigurationError` (naming the option) when PAR is on but the tenant has no PAR endpoint, when
   * private_key_jwt is configured but the tenant does not accept it, or when the key does not import. Throws an
   * `AuthError` (`auth0_down`) when Auth0 cannot be reached. Call it at start-up; `authorize()` runs it too until
   * it has passed once, so a tenant unreachable at boot is checked on the first login.
   */
  async checkConfiguration(): Promise<void> {
    await checkConfiguration(this.steps.issuer, this.steps.client, this.options)
  }

  /**
   * Completes a login: checks state against the transaction cookie, redeems the code (PKCE, same redirect_uri),
   * validates the ID token, then starts a new session that keeps the pre-login values. Always throws a redirect.
   */
  async handleCallback(request: Request, options: HandleCallbackOptions): Promise<never> {
    const failureTarget = options.onFailureRedirect ?? this.options.failedLoginRedirect
    const headers = new Headers({ 'Cache-Control': 'no-store' })
    let target: string
    try {
      if (request.method === 'POST' && this.steps.sessions) throw await this.steps.login.holdFormPost(request)
      const result = await this.steps.login.complete(request)
      for (const cookie of result.setCookies) headers.append('Set-Cookie', cookie)
      if (result.organizationSwitch) await this.steps.organizations.assertSameUser(request, result)
      // Before the session is written: when the app's hook throws, the previous session is still intact.
      await this.options.credentialsCallback?.(result.session.credentials, result.user)
      if (this.steps.sessions) {
        const loaded = await this.steps.sessions.load(request)
        // Account switching: the previous user's app data (a cart, a draft) must not reach the next user.
        if (loaded.auth && loaded.auth.sub !== result.session.sub)
          for (const name of Object.keys(loaded.session.data)) loaded.session.unset(name)
        const cookies = await this.steps.sessions
          .rotate(loaded.session, result.session)
          .catch((error: unknown) => {
            throw tooLargeForCookie(error)
              ? new AuthError(AuthErrorCode.sessionTooLarge, 'The session does not fit in a cookie', {
                  cause: error,
                })
              : error
          })
        for (const cookie of cookies) headers.append('Set-Cookie', cookie)
      }
      target = result.returnTo ?? options.onSuccessRedirect
    } catch (error) {
      if (error instanceof Response) throw error
      const code = error instanceof AuthError ? error.code : AuthErrorCode.unknown
      if (!(error instanceof AuthError)) this.steps.warn('Login callback failed unexpectedly', error)
      const failure = new Headers({ 'Cache-Control': 'no-store' })
      // Only the transaction cookie's clearing: a session cookie of a half-finished login is never sent.
      const cleared = (error as { setCookies?: string[] }).setCookies ?? headers.getSetCookie()
      for (const cookie of cleared) failure.append('Set-Cookie', cookie)
      const switched = (error as { organizationSwitch?: OrganizationSwitch }).organizationSwitch
      if (switched)
        throw redirect(this.steps.organizations.failureTarget(switched, code, options), { headers: failure })
      throw redirect(withQuery(failureTarget, { error: safeErrorCode(code) }), { headers: failure })
    }
    throw redirect(target, { headers })
  }

  /**
   * Switches the signed-in user to another of their organizations without logging out: a silent login
   * (`prompt=none`, `organization`) whose callback checks `org_id`/`org_name` and the user, then rotates the
   * session (new id, same pre-login values, new tokens). When Auth0 needs the user (`login_required`,
   * `interaction_required`, `consent_required`) the callback sends them to the login page with `organization` and
   * `returnTo`; any other failure (`access_denied`: not a member) goes back to `returnTo` with `?error=`, the
   * current session untouched. POST only, from this app's origin. Always throws a redirect.
   */
  async switchOrganization(
    request: Request,
    organization: string,
    options: { returnTo?: string | null } = {},
  ): Promise<never> {
    return this.steps.organizations.start(request, organization, options)
  }

  /**
   * The callback without any session handling: for apps that store credentials themselves. Throws an
   * `AuthError` (with `setCookies` that clear the transaction cookie) on failure.
   */
  async authenticateCallback(request: Request): Promise<CallbackResult> {
    return this.steps.login.complete(request)
  }

  // ---------------------------------------------------------------------------------------------- users

  /** The user, or a redirect to the login page with `returnTo` (the seed's behaviour). */
  async getUser(request: Request, context?: object): Promise<UserProfile> {
    return (await this.getSessionInfo(request, context)).user
  }

  /** The user, or null: for public pages that show "Log in". */
  async getUserOrNull(request: Request, context?: object): Promise<UserProfile | null> {
    const { auth } = await this.steps.requests.resolve(request, context)
    return auth ? this.steps.tokens.profile(auth) : null
  }

  /** The user and session facts, or a redirect to the login page. */
  async getSessionInfo(request: Request, context?: object): Promise<SessionInfo> {
    const { auth, loaded, reason } = await this.steps.requests.resolve(request, context)
    if (!auth) throw this.steps.requests.loginRedirect(request, context, reason)
    return {
      user: await this.steps.tokens.profile(auth),
      claims: auth.claims,
      authenticatedAt: auth.authenticatedAt,
      accessTokenExpiresAt: auth.credentials.expiresAt,
      lastRefreshedAt: auth.refreshedAt ?? null,
      sessionExpiresAt: auth.expiresAt,
      sessionId: loaded?.id ?? null,
    }
  }

  /**
   * A valid access token for the default API, or for `audience` (obtained with the refresh token and kept per
   * audience in the session). `refresh: true` forces a new one. Same single-flight guarantees as `getUser`.
   * Throws `AccessTokenError` when Auth0 refuses (consent_required, invalid_grant…): turn it into a re-login.
   */
  async getAccessToken(
    request: Request,
    options: AccessTokenOptions = {},
    context?: object,
  ): Promise<string> {
    return (await this.steps.tokens.get(request, options, context)).token
  }

  /**
   * Calls an API as the user: adds `Authorization: Bearer`, and after a 401 retries once with a fresh token.
   */
  async fetchWithAccessToken(
    request: Request,
    input: string | URL,
    init: RequestInit & { audience?: string; scope?: string; context?: object } = {},
  ): Promise<Response> {
    return this.steps.tokens.fetch(request, input, init)
  }

  /**
   * A resource server's check of a DPoP-bound access token for `audience` (default: the configured API) with its
   * proof: see `verifyDPoPRequest`. Throws `DPoPRequestError` (its `challenge` goes in `WWW-Authenticate`).
   */
  async verifyDPoPRequest(
    request: Request,
    options: {
      audience?: string
      useProofJti: (jti: string, expiresAt: Date) => Promise<boolean>
      allowBearer?: boolean
      url?: string
    },
  ): Promise<Record<string, unknown>> {
    return verifyDPoPRequest(request, {
      ...options,
      verifyAccessToken: (token) =>
        this.steps.verifier.verify(token, Token.ACCESS, { audience: options.audience }),
      clockToleranceSeconds: this.options.clockToleranceSeconds ?? 30,
      now: this.steps.now,
    })
  }

  /**
   * Step-up: the session info, or a redirect to log in again when the authentication is older than `maxAge`
   * seconds or lacks the `acr` asked for (e.g. before changing an email address).
   */
  async requireAuth(
    request: Request,
    requirements: StepUpRequirements = {},
    context?: object,
  ): Promise<SessionInfo> {
    const info = await this.getSessionInfo(request, context)
    const tooOld =
      requirements.maxAge !== undefined &&
      this.steps.now() - info.authenticatedAt > requirements.maxAge * 1000
    const wrongAcr = requirements.acr !== undefined && info.claims.acr !== requirements.acr
    if (!tooOld && !wrongAcr) return info
    const query: Record<string, string> = {
      returnTo: currentPath(request),
      error: AuthErrorCode.reauthenticationRequired,
    }
    if (requirements.maxAge !== undefined) query.maxAge = String(requirements.maxAge)
    if (requirements.acr !== undefined) query.acr = requirements.acr
    throw redirect(withQuery(this.options.loginURL ?? '/login', query))
  }

  /**
   * Set-Cookie headers this request's session work produced (Browser strategy: a refreshed cookie). The stack's
   * entry.server calls it for every response, so a refresh never needs a redirect.
   */
  applyHeaders(request: Request, context: object, headers: Headers): void {
    this.steps.requests.applyHeaders(request, context, headers)
  }

  // ---------------------------------------------------------------------------------------------- logout

  /**
   * Ends the session everywhere: deletes it locally (row and cookie), revokes the refresh token and redirects to
   * Auth0's logout. POST only, from this app's origin. The seed's `logout(redirectTo, headers)` form still works and,
   * as before, throws its redirect at once.
   */
  logout(request: Request, options?: { returnTo?: string }): Promise<never>
  logout(redirectTo: string, headers?: HeadersInit): Promise<never>
  logout(requestOrRedirect: Request | string, second?: { returnTo?: string } | HeadersInit): Promise<never> {
    if (typeof requestOrRedirect === 'string' && !this.options.useOidcLogout) {
      // Routes written for a synchronous logout call it without await: a rejected promise would reach no one.
      throw redirect(v2LogoutUrl(this.steps.issuer, this.options.clientDetails.clientID, requestOrRedirect), {
        headers: second as HeadersInit | undefined,
      })
    }
    return this.logoutAsync(requestOrRedirect, second)
  }
  private async logoutAsync(
    requestOrRedirect: Request | string,
    second?: { returnTo?: string } | HeadersInit,
  ): Promise<never> {
    if (typeof requestOrRedirect === 'string') {
      throw redirect(await auth0LogoutUrl(this.steps.issuer, this.options, requestOrRedirect), {
        headers: second as HeadersInit | undefined,
      })
    }
    return endSession(requestOrRedirect, (second as { returnTo?: string } | undefined)?.returnTo, {
      issuer: this.steps.issuer,
      client: this.steps.client,
      sessions: this.steps.sessions,
      denyList: this.options.session?.denyList,
      denyForMs: this.steps.denyForMs,
      appOrigin: this.steps.appOrigin,
      options: this.options,
      now: this.steps.now,
    })
  }

  /**
   * OpenID Back-Channel Logout 1.0 endpoint: validates the logout token and ends the sessions it names (rows of
   * the Server strategy, the deny-list of the Browser strategy). An invalid token gets 400 either way.
   */
  async handleBackchannelLogout(request: Request): Promise<Response> {
    return this.steps.backchannel.handle(request, {
      store: this.steps.sessions?.config.store,
      denyList: this.options.session?.denyList,
      denyForMs: this.steps.denyForMs,
    })
  }

  // ---------------------------------------------------------------------------------------------- tokens

  /** Verifies signature and claims; rejects with a `TokenError` carrying one of the seed's codes. */
  async verifyToken(token: string, type: Token, options?: VerifyOptions): Promise<void> {
    await this.steps.verifier.verify(token, type, options)
  }

  /** The verified token's claims (same checks and errors as `verifyToken`). */
  async decodeToken(token: string, type: Token, options?: VerifyOptions): Promise<Record<string, unknown>> {
    return this.steps.verifier.verify(token, type, options)
  }

  async isValid(token: string, type: Token, options?: VerifyOptions): Promise<boolean> {
    try {
      await this.steps.verifier.verify(token, type, options)
      return true
    } catch (error) {
      if (error instanceof TokenError) return false
      throw error
    }
  }

  // ---------------------------------------------------------------------------------------------- testing

  /**
   * @internal For `./testing.server` only, not part of the API: the clock, a login's session lifetime and its
   * session write, so that a test session is stored exactly as a login stores one. Null without `session`.
   */
  testingAccess(): TestingAccess | null {
    // Minting sessions is a back door in production, whoever calls it.
    if (process.env.NODE_ENV === 'production') throw new Error('testingAccess is not available in production')
    const sessions = this.steps.sessions
    if (!sessions) return null
    const lifetimeSeconds = Math.min(
      this.options.absoluteSessionLifetimeSeconds ?? defaultAbsoluteSessionLifetimeSeconds,
      this.options.refreshTokenLifetimeSeconds ?? Infinity,
    )
    return {
      now: this.steps.now,
      sessionLifetimeMs: lifetimeSeconds * 1000,
      startSession: async (auth) => sessions.rotate(await sessions.config.store.getSession(), auth),
    }
  }
}

/** @internal See `Auth0RemixServer.testingAccess`. */
export interface TestingAccess {
  now: () => number
  sessionLifetimeMs: number
  /** Set-Cookie values of a new session holding `auth`, written as `handleCallback` writes one. */
  startSession(auth: AuthSession): Promise<string[]>
}
export interface StepUpRequirements {
  /** Seconds since the user last authenticated at Auth0. */
  maxAge?: number
  /** Authentication context class the ID token must carry. */
  acr?: string
}

/** Remix's cookie storage and ours refuse a session over the browsers' 4 KB per cookie (our chunks: 8). */
function tooLargeForCookie(error: unknown): boolean {
  return error instanceof Error && /cookie length will exceed|too large for the browser/i.test(error.message)
}

/** A Request from any fetch implementation (undici, a polyfill, another realm): `instanceof` would miss it. */
function isRequestLike(value: unknown): value is Request {
  const candidate = value as Partial<Request> | undefined
  return (
    typeof candidate?.method === 'string' &&
    typeof candidate.url === 'string' &&
    typeof candidate.headers?.get === 'function'
  )
}
