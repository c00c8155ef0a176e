import { redirect } from '@remix-run/node'
import * as oauth from 'oauth4webapi'
import { OAuthClient, type TokenSet } from './client.server'
import { SessionStrategy, Token } from './constants'
import { AuthError, AuthErrorCode, TokenError, safeErrorCode } from './errors'
import { Issuer } from './issuer.server'
import type { Auth0RemixServerOptions, AuthorizeOptions, HandleCallbackOptions } from './options'
import { currentPath, safeRedirect } from './redirects'
import { Sealer } from './secrets.server'
import { SessionManager, type AuthSession, type LoadedSession } from './session.server'
import { credentialsFrom, TokenRefresher } from './refresh.server'
import { TokenVerifier, type VerifyOptions } from './tokens.server'
import { TransactionStore, type LoginTransaction } from './transaction.server'
import { claimsToKeep, userFromClaims, type IdTokenClaims, type UserProfile } from './user'
import { BackchannelLogout } from './backchannel.server'

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

/** The outcome of reading a request's session once (shared by all loaders of that request). */
interface Resolved {
  loaded: LoadedSession | null
  auth: AuthSession | null
  /** Why a user who had a session no longer has one. */
  reason?: string
}

const defaultScope = 'openid profile email offline_access'
const scopeLifetimeMs = 10_000

/** One request's view of its session, shared by its loaders. */
interface RequestScope {
  cookie: string | null
  createdAt: number
  resolved?: Promise<Resolved>
  /** Browser strategy: cookies re-issued during this request, sent by `applyHeaders`. */
  pendingCookies: string[]
}

export class Auth0RemixServer {
  private readonly issuer: Issuer
  private readonly client: OAuthClient
  private readonly verifier: TokenVerifier
  private readonly transactions: TransactionStore
  private readonly sessions: SessionManager | null
  private readonly backchannel: BackchannelLogout
  private readonly appOrigin: string
  private readonly refresher: TokenRefresher | null
  private readonly scopes = new WeakMap<object, RequestScope>()

  constructor(private readonly options: Auth0RemixServerOptions) {
    const { clientDetails } = options
    for (const name of ['domain', 'clientID', 'clientSecret'] as const) {
      if (!clientDetails?.[name]) throw new TypeError(`Auth0RemixServer: clientDetails.${name} is required`)
    }
    const callback = new URL(options.callbackURL)
    this.appOrigin = callback.origin
    const timeoutMs = options.timeoutMs ?? 5000
    const clockToleranceSeconds = options.clockToleranceSeconds ?? 30
    this.issuer = new Issuer({ domain: clientDetails.domain, timeoutMs })
    this.client = new OAuthClient(this.issuer, { ...clientDetails, clockToleranceSeconds })
    this.verifier = new TokenVerifier({
      issuer: this.issuer,
      clientID: clientDetails.clientID,
      audience: clientDetails.audience,
      clockToleranceSeconds,
    })
    const secrets = options.secrets?.length ? options.secrets : [clientDetails.clientSecret]
    this.transactions = new TransactionStore(new Sealer(secrets, 'login transaction'), {
      formPost: clientDetails.usePost !== false,
      secure: callback.protocol === 'https:',
    })
    this.sessions = options.session
      ? new SessionManager({
          store: options.session.store,
          key: options.session.key ?? 'user',
          strategy: options.session.strategy ?? SessionStrategy.Browser,
        })
      : null
    this.refresher = this.sessions
      ? new TokenRefresher({
          client: this.client,
          sessions: this.sessions,
          verifyIdToken: (idToken) => this.verifyIdToken(idToken, {}),
          onRefreshed: async (auth) =>
            this.options.credentialsCallback?.(auth.credentials, userFromClaims(auth.claims)),
          warn: (message, error) => this.warn(message, error),
          leaseTtlMs: options.refreshLease?.ttlMs ?? 15_000,
          leaseWaitMs: options.refreshLease?.waitMs ?? 10_000,
        })
      : null
    this.backchannel = new BackchannelLogout(this.issuer, clientDetails.clientID, clockToleranceSeconds)
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
    const request = requestOrOptions instanceof Request ? requestOrOptions : new Request(this.appOrigin)
    const options: AuthorizeOptions =
      (requestOrOptions instanceof Request ? maybeOptions : requestOrOptions) ?? {}
    if (options.silentAuth && options.forceLogin) {
      throw new TypeError('authorize(): silentAuth cannot be combined with forceLogin')
    }
    const { clientDetails } = this.options
    const redirectUri = new URL(this.options.callbackURL)
    for (const [name, value] of Object.entries(options.callbackParams ?? {}))
      redirectUri.searchParams.set(name, value)
    const transaction: LoginTransaction = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      codeVerifier: oauth.generateRandomCodeVerifier(),
      redirectUri: redirectUri.href,
      returnTo: options.returnTo ? safeRedirect(options.returnTo, '') || undefined : undefined,
      organization: options.organization ?? clientDetails.organization,
      maxAge: options.maxAge,
      acrValues: options.acrValues,
      createdAt: Date.now(),
    }
    // prompt=none shows no page at all, so a sign-up hint would be meaningless next to it.
    const prompt = options.silentAuth ? 'none' : options.forceLogin ? 'login' : undefined
    const url = await this.client.authorizationUrl({
      client_id: clientDetails.clientID,
      response_type: 'code',
      redirect_uri: transaction.redirectUri,
      response_mode: clientDetails.usePost === false ? 'query' : 'form_post',
      scope: options.scope ?? clientDetails.scope ?? defaultScope,
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(transaction.codeVerifier),
      code_challenge_method: 'S256',
      audience: options.audience ?? clientDetails.audience,
      organization: transaction.organization,
      invitation: options.invitation,
      connection: options.connection,
      prompt,
      screen_hint: options.forceSignup && !options.silentAuth ? 'signup' : undefined,
      max_age: options.maxAge === undefined ? undefined : String(options.maxAge),
      acr_values: options.acrValues,
      login_hint: options.loginHint,
    })
    const headers = new Headers()
    for (const cookie of await this.transactions.begin(request, transaction))
      headers.append('Set-Cookie', cookie)
    throw redirect(url.href, { headers })
  }

  /**
   * Completes a login: checks state against the transaction cookie, redeems the code (PKCE, same redirect_uri),
   * validates the ID token, then starts a new session that keeps the pre-login values. Always throws a redirect.
   */
  async handleCallback(request: Request, options: HandleCallbackOptions): Promise<never> {
    const failureTarget = options.onFailureRedirect ?? this.options.failedLoginRedirect
    let result: CallbackResult
    try {
      if (request.method === 'POST' && this.sessions) throw await this.holdFormPost(request)
      result = await this.authenticateCallback(request)
    } catch (error) {
      if (error instanceof Response) throw error
      const code = error instanceof AuthError ? error.code : AuthErrorCode.unknown
      if (!(error instanceof AuthError)) this.warn('Login callback failed unexpectedly', error)
      const headers = new Headers({ 'Cache-Control': 'no-store' })
      for (const cookie of (error as { setCookies?: string[] }).setCookies ?? [])
        headers.append('Set-Cookie', cookie)
      throw redirect(withQuery(failureTarget, { error: safeErrorCode(code) }), { headers })
    }
    const headers = new Headers({ 'Cache-Control': 'no-store' })
    for (const cookie of result.setCookies) headers.append('Set-Cookie', cookie)
    if (this.sessions) {
      const loaded = await this.sessions.load(request)
      for (const cookie of await this.sessions.rotate(loaded.session, result.session))
        headers.append('Set-Cookie', cookie)
    }
    await this.options.credentialsCallback?.(result.session.credentials, result.user)
    throw redirect(result.returnTo ?? options.onSuccessRedirect, { headers })
  }

  /** See `TransactionStore.hold`: turns the cross-site form_post into a same-site GET of the callback. */
  private async holdFormPost(request: Request): Promise<Response> {
    const parameters = await formPostParameters(request)
    const url = new URL(request.url)
    const headers = new Headers({
      'Cache-Control': 'no-store',
      'Set-Cookie': await this.transactions.hold(parameters),
    })
    return redirect(url.pathname + url.search, { status: 303, headers })
  }

  /**
   * The callback without any session handling: for apps that store credentials themselves. Throws an
   * `AuthError` (with `setCookies` that clear the transaction cookie) on failure.
   */
  async authenticateCallback(request: Request): Promise<CallbackResult> {
    const setCookies: string[] = []
    try {
      const parameters = await this.callbackParameters(request, setCookies)
      const state = parameters.get('state')
      if (!state) {
        const error = parameters.get('error')
        throw new AuthError(
          error ? safeErrorCode(error) : AuthErrorCode.missingState,
          'The callback has no state',
        )
      }
      const { transaction, clear } = await this.transactions.take(request, state)
      if (clear) setCookies.push(clear)
      if (!transaction)
        throw new AuthError(AuthErrorCode.invalidState, 'No login transaction matches this state')
      const tokens = await this.client.exchangeCode(parameters, transaction)
      const session = await this.sessionFromTokens(tokens, transaction)
      return { session, user: userFromClaims(session.claims), returnTo: transaction.returnTo, setCookies }
    } catch (error) {
      const failure =
        error instanceof AuthError ? error : new AuthError(AuthErrorCode.unknown, 'Login failed')
      throw Object.assign(failure, { setCookies })
    }
  }

  /** The authorization response: the query (response_mode=query), a held form_post, or a form body. */
  private async callbackParameters(request: Request, setCookies: string[]): Promise<URLSearchParams> {
    if (request.method === 'POST') return formPostParameters(request)
    const query = new URL(request.url).searchParams
    const held = await this.transactions.takeHeld(request)
    if (held.clear) setCookies.push(held.clear)
    if (query.has('state') || query.has('code') || query.has('error') || !held.parameters) return query
    return held.parameters
  }

  private async sessionFromTokens(tokens: TokenSet, transaction: LoginTransaction): Promise<AuthSession> {
    const idToken = tokens.response.id_token
    if (!idToken || !tokens.idTokenClaims) throw new AuthError(AuthErrorCode.idTokenInvalid, 'No ID token')
    const claims = claimsToKeep(
      await this.verifyIdToken(idToken, { nonce: transaction.nonce, maxAgeSeconds: transaction.maxAge }),
    )
    if (transaction.organization && !organizationMatches(claims, transaction.organization)) {
      throw new AuthError(AuthErrorCode.orgMismatch, 'The ID token is for another organization')
    }
    if (transaction.acrValues && claims.acr === undefined) {
      throw new AuthError(AuthErrorCode.idTokenInvalid, 'The ID token lacks the requested acr')
    }
    const now = Date.now()
    // A session cannot outlive the refresh token that keeps it alive (Auth0's absolute refresh-token lifetime).
    const refreshTokenLifetime = Number(tokens.response.refresh_token_expires_in ?? Infinity)
    const lifetime =
      Math.min(
        this.options.absoluteSessionLifetimeSeconds ?? 7 * 24 * 3600,
        this.options.refreshTokenLifetimeSeconds ?? Infinity,
        Number.isFinite(refreshTokenLifetime) && refreshTokenLifetime > 0 ? refreshTokenLifetime : Infinity,
      ) * 1000
    return {
      sub: claims.sub,
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      claims,
      credentials: credentialsFrom(tokens.response, undefined, now),
      authenticatedAt: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : now,
      expiresAt: now + lifetime,
    }
  }

  private async verifyIdToken(idToken: string, options: VerifyOptions): Promise<IdTokenClaims> {
    try {
      return (await this.verifier.verify(idToken, Token.ID, options)) as IdTokenClaims
    } catch (error) {
      throw new AuthError(AuthErrorCode.idTokenInvalid, 'The ID token failed validation', { cause: error })
    }
  }

  // ---------------------------------------------------------------------------------------------- users

  /** The user, or a redirect to the login page with `returnTo` (the seed's behaviour). */
  async getUser(request: Request, context?: object): Promise<UserProfile> {
    return (await this.getSessionInfo(request, context)).user
  }

  /** The user, or null: for public pages that show "Log in". */
  async getUserOrNull(request: Request, context?: object): Promise<UserProfile | null> {
    const { auth } = await this.resolve(request, context)
    return auth ? this.profile(auth) : null
  }

  /** The user and session facts, or a redirect to the login page. */
  async getSessionInfo(request: Request, context?: object): Promise<SessionInfo> {
    const { auth, loaded, reason } = await this.resolve(request, context)
    if (!auth) throw this.loginRedirect(request, context, reason)
    return {
      user: await this.profile(auth),
      claims: auth.claims,
      authenticatedAt: auth.authenticatedAt,
      accessTokenExpiresAt: auth.credentials.expiresAt,
      lastRefreshedAt:
        auth.credentials.lastRefreshed === auth.authenticatedAt ? null : auth.credentials.lastRefreshed,
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
    const started = Date.now()
    const scope = this.scope(request, context)
    const { auth, loaded, reason } = await this.resolve(request, context)
    if (!auth || !loaded) throw this.loginRedirect(request, context, reason)
    const current = { ...loaded, auth }
    const defaultAudience = !options.audience || options.audience === this.options.clientDetails.audience
    if (defaultAudience && !options.refresh) return auth.credentials.accessToken
    const audience = options.audience
    const outcome = await (
      defaultAudience
        ? this.refresher!.forceRefresh(request, current, started)
        : this.refresher!.audienceToken(request, current, audience!, options.scope, (candidate) => {
            const token = candidate.audiences?.[audience!]
            if (!token) return false
            if (options.refresh) return token.obtainedAt > started
            return token.expiresAt - Date.now() > 60_000 && hasScopes(token.scope, options.scope)
          })
    ).catch((error: unknown) => {
      throw new AccessTokenError(error instanceof AuthError ? error.code : AuthErrorCode.refreshFailed)
    })
    this.remember(scope, outcome.setCookies ?? null)
    scope.resolved = Promise.resolve({ loaded, auth: outcome.auth, reason: outcome.reason })
    if (!outcome.auth) throw new AccessTokenError(outcome.reason ?? AuthErrorCode.refreshFailed)
    const token = defaultAudience
      ? outcome.auth.credentials.accessToken
      : outcome.auth.audiences?.[audience!]?.accessToken
    if (!token) throw new AccessTokenError(AuthErrorCode.refreshFailed)
    return token
  }

  /**
   * Calls an API as the user: adds `Authorization: Bearer`, and after a 401 retries once with a fresh token.
   */
  async fetchWithAccessToken(
    request: Request,
    input: string | URL,
    init: RequestInit & { audience?: string; scope?: string; context?: object } = {},
  ): Promise<Response> {
    const { audience, scope, context, ...requestInit } = init
    const call = async (refresh: boolean) => {
      const token = await this.getAccessToken(request, { audience, scope, refresh }, context)
      const headers = new Headers(requestInit.headers)
      headers.set('Authorization', `Bearer ${token}`)
      return fetch(input, { ...requestInit, headers })
    }
    const response = await call(false)
    if (response.status !== 401) return response
    await response.body?.cancel()
    return call(true)
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
      requirements.maxAge !== undefined && Date.now() - info.authenticatedAt > requirements.maxAge * 1000
    const wrongAcr = requirements.acr !== undefined && info.claims.acr !== requirements.acr
    if (!tooOld && !wrongAcr) return info
    const query: Record<string, string> = {
      returnTo: currentPath(request),
      error: 'reauthentication_required',
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
    const scope = this.scopes.get(context)
    if (!scope || scope.cookie !== request.headers.get('Cookie')) return
    for (const cookie of scope.pendingCookies.splice(0)) headers.append('Set-Cookie', cookie)
  }

  private loginRedirect(request: Request, context: object | undefined, reason?: string): Response {
    const query: Record<string, string> = { returnTo: currentPath(request) }
    if (reason) query.error = reason
    const headers = new Headers()
    this.applyHeaders(request, context ?? request, headers)
    return redirect(withQuery(this.options.loginURL ?? '/login', query), { headers })
  }

  /**
   * Reads the session once per request: parallel loaders share it through Remix's per-request `context`. The scope
   * is only reused for the same cookies and for a few seconds, so a context object that outlives its request (a
   * custom server's singleton) can never hand one user's session to another.
   */
  private scope(request: Request, context?: object): RequestScope {
    const key = context ?? request
    const cookie = request.headers.get('Cookie')
    const existing = this.scopes.get(key)
    if (existing && existing.cookie === cookie && Date.now() - existing.createdAt < scopeLifetimeMs)
      return existing
    const scope: RequestScope = { cookie, createdAt: Date.now(), pendingCookies: [] }
    this.scopes.set(key, scope)
    return scope
  }

  private resolve(request: Request, context?: object): Promise<Resolved> {
    const scope = this.scope(request, context)
    scope.resolved ??= this.load(request, scope)
    return scope.resolved
  }

  private async load(request: Request, scope: RequestScope): Promise<Resolved> {
    if (!this.sessions) return { loaded: null, auth: null }
    const loaded = await this.sessions.load(request)
    const auth = loaded.auth
    if (!auth) return { loaded, auth: null }
    if (Date.now() >= auth.expiresAt) {
      this.remember(scope, await this.sessions.saveAuth(request, loaded, null))
      return { loaded, auth: null, reason: AuthErrorCode.sessionExpired }
    }
    if (!this.refreshDue(auth)) return { loaded, auth }
    const outcome = await this.refresher!.refresh(request, loaded, (current) => this.refreshDue(current))
    this.remember(scope, outcome.setCookies ?? null)
    return { loaded, auth: outcome.auth, reason: outcome.reason }
  }

  private remember(scope: RequestScope, setCookies: string[] | null): void {
    if (!setCookies || this.sessions?.config.strategy !== SessionStrategy.Browser) return
    scope.pendingCookies.push(...setCookies)
  }

  private refreshDue(auth: AuthSession): boolean {
    const leewayMs = Math.min(
      (this.options.refreshLeewaySeconds ?? 60) * 1000,
      (auth.credentials.expiresIn * 1000) / 2,
    )
    return auth.credentials.expiresAt - Date.now() <= leewayMs
  }

  // ---------------------------------------------------------------------------------------------- logout

  /**
   * Ends the session everywhere: deletes it locally (row and cookie), revokes the refresh token and redirects to
   * Auth0's logout. POST only, from this app's origin. The seed's `logout(redirectTo, headers)` form still works.
   */
  async logout(request: Request, options?: { returnTo?: string }): Promise<never>
  async logout(redirectTo: string, headers?: HeadersInit): Promise<never>
  async logout(
    requestOrRedirect: Request | string,
    second?: { returnTo?: string } | HeadersInit,
  ): Promise<never> {
    if (typeof requestOrRedirect === 'string') {
      throw redirect(await this.auth0LogoutUrl(requestOrRedirect), {
        headers: second as HeadersInit | undefined,
      })
    }
    const request = requestOrRedirect
    assertSameOriginPost(request, this.appOrigin)
    const returnTo = new URL(
      safeRedirect((second as { returnTo?: string } | undefined)?.returnTo, '/'),
      this.appOrigin,
    )
    const headers = new Headers({ 'Cache-Control': 'no-store' })
    let idToken: string | undefined
    if (this.sessions) {
      const loaded = await this.sessions.load(request)
      idToken = loaded.auth?.credentials.idToken
      for (const cookie of await this.sessions.destroy(loaded.session)) headers.append('Set-Cookie', cookie)
      const refreshToken = loaded.auth?.credentials.refreshToken
      if (refreshToken) await this.client.revoke(refreshToken)
    }
    throw redirect(await this.auth0LogoutUrl(returnTo.href, idToken), { headers })
  }

  private async auth0LogoutUrl(returnTo: string, idToken?: string): Promise<string> {
    const { clientID } = this.options.clientDetails
    if (this.options.useOidcLogout) {
      const as = await this.issuer.authorizationServer().catch(() => undefined)
      const url = new URL(as?.end_session_endpoint ?? new URL('oidc/logout', this.issuer.url))
      url.searchParams.set('client_id', clientID)
      url.searchParams.set('post_logout_redirect_uri', returnTo)
      if (idToken) url.searchParams.set('id_token_hint', idToken)
      return url.href
    }
    const url = new URL('v2/logout', this.issuer.url)
    url.searchParams.set('client_id', clientID)
    url.searchParams.set('returnTo', returnTo)
    return url.href
  }

  /**
   * OpenID Back-Channel Logout 1.0 endpoint: validates the logout token and deletes the matching server sessions.
   */
  async handleBackchannelLogout(request: Request): Promise<Response> {
    return this.backchannel.handle(request, this.sessions?.config.store)
  }

  // ---------------------------------------------------------------------------------------------- tokens

  /** Verifies signature and claims; rejects with a `TokenError` carrying one of the seed's codes. */
  async verifyToken(token: string, type: Token, options?: VerifyOptions): Promise<void> {
    await this.verifier.verify(token, type, options)
  }

  /** The verified token's claims (same checks and errors as `verifyToken`). */
  async decodeToken(token: string, type: Token, options?: VerifyOptions): Promise<Record<string, unknown>> {
    return this.verifier.verify(token, type, options)
  }

  async isValid(token: string, type: Token, options?: VerifyOptions): Promise<boolean> {
    try {
      await this.verifier.verify(token, type, options)
      return true
    } catch (error) {
      if (error instanceof TokenError) return false
      throw error
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private async profile(auth: AuthSession): Promise<UserProfile> {
    const { profileCacheGet, profileCacheSet } = this.options
    if (!profileCacheGet || !profileCacheSet) return userFromClaims(auth.claims)
    const { accessToken, expiresAt } = auth.credentials
    const cached = await profileCacheGet(accessToken).catch(() => undefined)
    if (cached) return cached
    const profile = userFromClaims({ ...(await this.client.userInfo(accessToken, auth.sub)), sub: auth.sub })
    await profileCacheSet(accessToken, profile, expiresAt)
    return profile
  }

  private warn(message: string, error: unknown): void {
    const detail = error instanceof AuthError ? error.code : error instanceof Error ? error.name : 'error'
    ;(this.options.logger ?? console).warn(`[auth0-remix-server] ${message} (${detail})`)
  }
}

export interface AccessTokenOptions {
  /** Another API than the configured one (Auth0 multi-resource refresh token). */
  audience?: string
  scope?: string
  /** Get a new token even if the current one is still valid. */
  refresh?: boolean
}

export interface StepUpRequirements {
  /** Seconds since the user last authenticated at Auth0. */
  maxAge?: number
  /** Authentication context class the ID token must carry. */
  acr?: string
}

/** Auth0 would not issue the token (consent_required, invalid_grant, …): send the user to log in again. */
export class AccessTokenError extends AuthError {
  constructor(code: string) {
    super(code, `No access token could be obtained (${code})`)
    this.name = 'AccessTokenError'
  }
}

function hasScopes(granted: string | undefined, wanted: string | undefined): boolean {
  if (!wanted) return true
  const have = new Set((granted ?? '').split(' '))
  return wanted.split(' ').every((scope) => have.has(scope))
}

export interface CallbackResult {
  session: AuthSession
  user: UserProfile
  returnTo?: string
  /** Clears the login-transaction cookie. */
  setCookies: string[]
}

const maxCallbackBodyBytes = 64 * 1024

/** A form_post body, bounded: the callback is reachable by anyone and must never be a cheap way to load us. */
async function formPostParameters(request: Request): Promise<URLSearchParams> {
  const length = Number(request.headers.get('Content-Length') ?? 0)
  const type = request.headers.get('Content-Type') ?? ''
  if (length > maxCallbackBodyBytes || !type.startsWith('application/x-www-form-urlencoded')) {
    throw new AuthError(AuthErrorCode.invalidRequest, 'Unexpected callback body')
  }
  const body = await request.text().catch(() => '')
  if (body.length > maxCallbackBodyBytes)
    throw new AuthError(AuthErrorCode.invalidRequest, 'Callback body too large')
  return new URLSearchParams(body)
}

function organizationMatches(claims: IdTokenClaims, organization: string): boolean {
  return organization.startsWith('org_')
    ? claims.org_id === organization
    : claims.org_name === organization.toLowerCase()
}

function withQuery(target: string, query: Record<string, string>): string {
  const url = new URL(target, 'http://app.invalid')
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  return url.origin === 'http://app.invalid' ? url.pathname + url.search + url.hash : url.href
}

/** Logout changes state: only a POST sent by this app's own pages (Origin, or Fetch Metadata) is accepted. */
function assertSameOriginPost(request: Request, appOrigin: string): void {
  if (request.method !== 'POST') {
    throw new Response('Method Not Allowed', { status: 405, headers: { Allow: 'POST' } })
  }
  const origin = request.headers.get('Origin')
  const site = request.headers.get('Sec-Fetch-Site')
  const crossSite = origin ? origin !== appOrigin : site !== null && site !== 'same-origin' && site !== 'none'
  if (crossSite) throw new Response('Forbidden: cross-origin request', { status: 403 })
}
