import { redirect } from '@remix-run/node'
import { BackchannelLogout } from './backchannel.server'
import {
  AuthError,
  AuthErrorCode,
  ConfigurationError,
  TokenError,
  safeErrorCode,
  warnTo,
  type Warn,
} from './errors'
import { Issuer, OAuthClient } from './client.server'
import * as oauth from 'oauth4webapi'
import { DPoPKeys, verifyDPoPRequest, withDPoPNonceRetry } from './dpop.server'
import { LoginFlow, type CallbackResult, type OrganizationSwitch } from './login.server'
import { assertSameOriginPost, auth0LogoutUrl, v2LogoutUrl } from './logout.server'
import {
  clientAssertionSigningAlgs,
  defaultAbsoluteSessionLifetimeSeconds,
  SessionStrategy,
  type Auth0RemixServerOptions,
  type AuthorizeOptions,
  type HandleCallbackOptions,
  Token,
} from './options'
import { currentPath, isSecureContext, safeRedirect, withQuery } from './origins'
import { TokenRefresher } from './refresh.server'
import { Sealer } from './secrets.server'
import { TokenVerifier, type VerifyOptions } from './tokens.server'
import { TransactionStore } from './transaction.server'
import {
  SessionManager,
  userFromClaims,
  type AuthSession,
  type IdTokenClaims,
  type LoadedSession,
  type UserProfile,
} from './session.server'

export type { CallbackResult } from './login.server'

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

const scopeLifetimeMs = 10_000
/** Auth0's answers to prompt=none that an interactive login would resolve (OIDC Core 3.1.2.6). */
const interactionNeeded = new Set(['login_required', 'interaction_required', 'consent_required'])
const unsentCookieCheckMs = 5_000

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
  private readonly login: LoginFlow
  private readonly sessions: SessionManager | null
  private readonly backchannel: BackchannelLogout
  private readonly appOrigin: string
  private readonly refresher: TokenRefresher | null
  private readonly scopes = new WeakMap<object, RequestScope>()
  /** The one clock of this instance (`options.now`), handed to every part that reads the time. */
  private readonly now: () => number
  private readonly warn: Warn
  private configurationChecked = false
  private readonly dpop?: DPoPKeys

  constructor(private readonly options: Auth0RemixServerOptions) {
    const { clientDetails } = options
    for (const name of ['domain', 'clientID'] as const) {
      if (!clientDetails?.[name]) throw new TypeError(`Auth0RemixServer: clientDetails.${name} is required`)
    }
    checkClientAuthentication(options)
    const callback = new URL(options.callbackURL)
    this.appOrigin = callback.origin
    const timeoutMs = options.timeoutMs ?? 5000
    const clockToleranceSeconds = options.clockToleranceSeconds ?? 30
    this.now = options.now ?? Date.now
    this.warn = warnTo(options.logger ?? console)
    const now = this.now
    this.issuer = new Issuer({ domain: clientDetails.domain, timeoutMs, now })
    this.client = new OAuthClient(this.issuer, {
      ...clientDetails,
      pushedAuthorizationRequests: options.pushedAuthorizationRequests,
      clockToleranceSeconds,
      now,
    })
    this.verifier = new TokenVerifier({
      issuer: this.issuer,
      clientID: clientDetails.clientID,
      audience: clientDetails.audience,
      clockToleranceSeconds,
      now,
    })
    const secrets = options.secrets?.length ? options.secrets : [clientDetails.clientSecret!]
    if (options.useDPoP) {
      if ((options.session?.strategy ?? SessionStrategy.Browser) !== SessionStrategy.Server) {
        // Without a session the key would have to travel to the app, in a cookie or elsewhere: refused outright.
        throw new TypeError(
          'Auth0RemixServer: useDPoP needs session.strategy SessionStrategy.Server (the DPoP private key is kept ' +
            'in the server-side session, never in a cookie or outside the library)',
        )
      }
      this.dpop = new DPoPKeys(new Sealer(secrets, 'dpop key'), this.client.metadata)
    }
    const formPost = clientDetails.usePost !== false && isSecureContext(callback)
    if (clientDetails.usePost !== false && !formPost) {
      // form_post needs a SameSite=None cookie, which must be Secure: on plain http (a LAN address, a container
      // name) the browser drops it and every login would end in invalid_state.
      ;(options.logger ?? console).warn(
        `[auth0-remix-server] form_post needs https (or localhost); ${callback.origin} uses response_mode=query`,
      )
    }
    this.login = new LoginFlow({
      client: this.client,
      transactions: new TransactionStore(new Sealer(secrets, 'login transaction'), {
        formPost,
        secure: callback.protocol === 'https:',
        now,
      }),
      verifier: this.verifier,
      clientDetails: { ...clientDetails, usePost: formPost },
      callbackURL: options.callbackURL,
      absoluteSessionLifetimeSeconds: options.absoluteSessionLifetimeSeconds,
      refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds,
      dpop: this.dpop,
      now,
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
          verifier: this.verifier,
          credentialsCallback: options.credentialsCallback,
          warn: this.warn,
          leaseTtlMs: options.refreshLease?.ttlMs ?? 15_000,
          leaseWaitMs: options.refreshLease?.waitMs ?? 10_000,
          rotation: options.refreshTokenRotationEnabled,
          dpop: this.dpop,
          now,
        })
      : null
    this.backchannel = new BackchannelLogout(this.issuer, clientDetails.clientID, clockToleranceSeconds, now)
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
    const request = given ? requestOrOptions : new Request(this.appOrigin)
    const options = (given ? maybeOptions : requestOrOptions) ?? {}
    if (given) this.warnOnUnfinishedFormPost(request)
    let response: Response
    try {
      if (!this.configurationChecked) {
        await this.checkConfiguration()
        this.configurationChecked = true
      }
      response = await this.login.start(request, options)
    } catch (error) {
      // Auth0 down, a refused PAR request or a tenant without a feature we use: the login page says so, no 500.
      if (error instanceof ConfigurationError) this.warn(error.message, error)
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
    const as = await this.issuer.authorizationServer()
    if (this.options.pushedAuthorizationRequests && !as.pushed_authorization_request_endpoint) {
      throw new ConfigurationError(
        'pushedAuthorizationRequests',
        `pushedAuthorizationRequests is on, but ${this.issuer.url.origin} offers no pushed_authorization_request_endpoint (enable PAR for the tenant)`,
      )
    }
    if (this.client.usesPrivateKeyJwt) {
      const methods = as.token_endpoint_auth_methods_supported
      if (!methods?.includes('private_key_jwt')) {
        throw new ConfigurationError(
          'clientDetails.clientAssertionSigningKey',
          `clientDetails.clientAssertionSigningKey is set, but ${this.issuer.url.origin} does not accept private_key_jwt (token_endpoint_auth_methods_supported: ${methods?.join(', ') ?? 'none'})`,
        )
      }
      await this.client.clientAuth()
    }
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
      if (request.method === 'POST' && this.sessions) throw await this.login.holdFormPost(request)
      const result = await this.login.complete(request)
      for (const cookie of result.setCookies) headers.append('Set-Cookie', cookie)
      if (result.organizationSwitch) await this.assertSameUser(request, result)
      // Before the session is written: when the app's hook throws, the previous session is still intact.
      await this.options.credentialsCallback?.(result.session.credentials, result.user)
      if (this.sessions) {
        const loaded = await this.sessions.load(request)
        // Account switching: the previous user's app data (a cart, a draft) must not reach the next user.
        if (loaded.auth && loaded.auth.sub !== result.session.sub)
          for (const name of Object.keys(loaded.session.data)) loaded.session.unset(name)
        const cookies = await this.sessions.rotate(loaded.session, result.session).catch((error: unknown) => {
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
      if (!(error instanceof AuthError)) this.warn('Login callback failed unexpectedly', error)
      const failure = new Headers({ 'Cache-Control': 'no-store' })
      // Only the transaction cookie's clearing: a session cookie of a half-finished login is never sent.
      const cleared = (error as { setCookies?: string[] }).setCookies ?? headers.getSetCookie()
      for (const cookie of cleared) failure.append('Set-Cookie', cookie)
      const switched = (error as { organizationSwitch?: OrganizationSwitch }).organizationSwitch
      if (switched) throw redirect(this.switchFailureTarget(switched, code, options), { headers: failure })
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
    assertSameOriginPost(request, this.appOrigin)
    if (typeof organization !== 'string' || !/^[\w-]{1,100}$/.test(organization)) {
      throw new Response('Bad Request: organization', {
        status: 400,
        headers: { 'Cache-Control': 'no-store' },
      })
    }
    const returnTo = safeRedirect(options.returnTo, '') || undefined
    const { auth } = await this.resolve(request)
    if (!auth) {
      // Nobody to switch: an ordinary login into that organization, coming back to the same page.
      const query: Record<string, string> = { organization }
      if (returnTo) query.returnTo = returnTo
      throw redirect(withQuery(this.options.loginURL ?? '/login', query))
    }
    const started = await this.login.start(
      request,
      { silentAuth: true, organization, returnTo },
      { organizationSwitch: true },
    )
    // Reading the session may have refreshed it (Browser strategy: a new cookie that must not be lost).
    this.applyHeaders(request, request, started.headers)
    throw started
  }

  /** Auth0's session may belong to someone else by now (another tab): a switch never changes the user. */
  private async assertSameUser(
    request: Request,
    result: CallbackResult & { organizationSwitch?: OrganizationSwitch },
  ): Promise<void> {
    const current = this.sessions ? (await this.sessions.load(request)).auth : null
    if (!current || current.sub === result.session.sub) return
    throw Object.assign(
      new AuthError(AuthErrorCode.accountMismatch, 'The switch came back for another user'),
      {
        setCookies: result.setCookies,
        organizationSwitch: result.organizationSwitch,
      },
    )
  }

  private switchFailureTarget(
    switched: OrganizationSwitch,
    code: string,
    options: HandleCallbackOptions,
  ): string {
    const returnTo = switched.returnTo ?? options.onSuccessRedirect
    if (interactionNeeded.has(code)) {
      return withQuery(this.options.loginURL ?? '/login', {
        error: code,
        organization: switched.organization,
        returnTo,
      })
    }
    return withQuery(returnTo, { error: safeErrorCode(code) })
  }

  /**
   * The callback without any session handling: for apps that store credentials themselves. Throws an
   * `AuthError` (with `setCookies` that clear the transaction cookie) on failure.
   */
  async authenticateCallback(request: Request): Promise<CallbackResult> {
    return this.login.complete(request)
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
    return (await this.accessToken(request, options, context)).token
  }

  private async accessToken(
    request: Request,
    options: AccessTokenOptions,
    context?: object,
  ): Promise<{ token: string; auth: AuthSession }> {
    const started = this.now()
    const scope = this.scope(request, context)
    const { auth, loaded, reason } = await this.resolve(request, context)
    if (!auth || !loaded) throw this.loginRedirect(request, context, reason)
    const current = { ...loaded, auth }
    const defaultAudience = !options.audience || options.audience === this.options.clientDetails.audience
    if (defaultAudience && !options.refresh) return { token: auth.credentials.accessToken, auth }
    const audience = options.audience
    const outcome = await (
      defaultAudience
        ? this.refresher!.forceRefresh(request, current, started)
        : this.refresher!.audienceToken(request, current, audience!, options.scope, (candidate) => {
            const token = candidate.audiences?.[audience!]
            if (!token) return false
            if (options.refresh) return token.obtainedAt > started
            return token.expiresAt - this.now() > 60_000 && hasScopes(token.scope, options.scope)
          })
    ).catch((error: unknown) => {
      throw new AccessTokenError(error instanceof AuthError ? error.code : AuthErrorCode.refreshFailed)
    })
    this.queueCookiesForResponse(scope, outcome.setCookies ?? null, loaded)
    scope.resolved = Promise.resolve({ loaded, auth: outcome.auth, reason: outcome.reason })
    if (!outcome.auth) throw new AccessTokenError(outcome.reason ?? AuthErrorCode.refreshFailed)
    const token = defaultAudience
      ? outcome.auth.credentials.accessToken
      : outcome.auth.audiences?.[audience!]?.accessToken
    if (!token) throw new AccessTokenError(AuthErrorCode.refreshFailed)
    return { token, auth: outcome.auth }
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
      const { token, auth } = await this.accessToken(request, { audience, scope, refresh }, context)
      if (this.dpop) return this.fetchWithDPoP(auth, token, input, requestInit)
      const headers = new Headers(requestInit.headers)
      headers.set('Authorization', `Bearer ${token}`)
      return fetch(input, { ...requestInit, headers })
    }
    const response = await call(false)
    if (response.status !== 401) return response
    // Still asking for a nonce after the proof that carried one: a new token would not change that.
    if (this.dpop && /error="?use_dpop_nonce/.test(response.headers.get('WWW-Authenticate') ?? ''))
      return response
    await response.body?.cancel()
    return call(true)
  }

  /**
   * `Authorization: DPoP` and a proof (htm, htu, ath) of the session's key; a resource server's `use_dpop_nonce`
   * challenge gets one more proof with its nonce. Other challenges (a 401) come back as responses, as for Bearer.
   */
  private async fetchWithDPoP(
    auth: AuthSession,
    token: string,
    input: string | URL,
    init: RequestInit,
  ): Promise<Response> {
    const handle = await this.dpop!.handle(auth.dpopKey!)
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
      verifyAccessToken: (token) => this.verifier.verify(token, Token.ACCESS, { audience: options.audience }),
      clockToleranceSeconds: this.options.clockToleranceSeconds ?? 30,
      now: this.now,
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
      requirements.maxAge !== undefined && this.now() - info.authenticatedAt > requirements.maxAge * 1000
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
    const scope = this.scopes.get(context)
    if (!scope || scope.cookie !== request.headers.get('Cookie')) return
    for (const cookie of scope.pendingCookies.splice(0)) headers.append('Set-Cookie', cookie)
  }

  /** The held form_post was never collected: the callback route answered the GET without us (no loader). */
  private warnOnUnfinishedFormPost(request: Request): void {
    if (!this.login.unfinishedFormPost(request)) return
    ;(this.options.logger ?? console).warn(
      '[auth0-remix-server] A form_post login never finished: the callback route needs a loader as well as ' +
        'an action (export const loader = action).',
    )
  }

  private loginRedirect(request: Request, context: object | undefined, reason?: string): Response {
    // An app whose login route calls authorize() without the request learns it here, on the next guarded page.
    this.warnOnUnfinishedFormPost(request)
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
    if (existing && existing.cookie === cookie && this.now() - existing.createdAt < scopeLifetimeMs)
      return existing
    const scope: RequestScope = { cookie, createdAt: this.now(), pendingCookies: [] }
    this.scopes.set(key, scope)
    return scope
  }

  private resolve(request: Request, context?: object): Promise<Resolved> {
    if (!this.sessions) {
      // Redirecting to the login page would loop: after the login there would still be no session to read.
      throw new TypeError(
        'Auth0RemixServer: getUser, getSessionInfo and getAccessToken need the `session` option. Without it ' +
          '(opting out), read the user from the credentials your credentialsCallback stored, e.g. with ' +
          'decodeToken(idToken, Token.ID).',
      )
    }
    const scope = this.scope(request, context)
    scope.resolved ??= this.load(request, scope)
    return scope.resolved
  }

  private async load(request: Request, scope: RequestScope): Promise<Resolved> {
    if (!this.sessions) return { loaded: null, auth: null }
    const loaded = await this.sessions.load(request)
    const auth = loaded.auth
    if (!auth) return { loaded, auth: null }
    // A session from before DPoP was turned on holds a Bearer token and no key: it ends, the user logs in again.
    if (this.now() >= auth.expiresAt || (await this.denied(auth)) || (this.dpop && !auth.dpopKey)) {
      this.queueCookiesForResponse(scope, await this.sessions.saveAuth(request, loaded, null), loaded)
      return { loaded, auth: null, reason: AuthErrorCode.sessionExpired }
    }
    if (!this.refreshDue(auth)) return { loaded, auth }
    const outcome = await this.refresher!.refresh(request, loaded, (current) => this.refreshDue(current))
    this.queueCookiesForResponse(scope, outcome.setCookies ?? null, loaded)
    return { loaded, auth: outcome.auth, reason: outcome.reason }
  }

  /** Browser strategy: one lookup in the shared deny-list (a cookie that was logged out is refused). */
  private denied(auth: AuthSession): Promise<boolean> {
    const denyList = this.options.session?.denyList
    if (!denyList) return Promise.resolve(false)
    return denyList.isSessionDenied({
      sid: auth.sid,
      sub: auth.sub,
      issuedAt: new Date(auth.issuedAt ?? auth.authenticatedAt),
    })
  }

  /** How long a deny-list entry must last: as long as the longest session it could end. */
  private get denyForMs(): number {
    return (this.options.absoluteSessionLifetimeSeconds ?? defaultAbsoluteSessionLifetimeSeconds) * 1000
  }

  /**
   * Cookies re-issued during this request, for `applyHeaders`. What counts is where the session lives: a store
   * without ids (a cookie store) needs its new cookie sent whatever `session.strategy` says.
   */
  private queueCookiesForResponse(
    scope: RequestScope,
    setCookies: string[] | null,
    loaded: LoadedSession,
  ): void {
    const inCookie = this.sessions?.config.strategy === SessionStrategy.Browser || !loaded.id
    if (!setCookies || !inCookie) return
    scope.pendingCookies.push(...setCookies)
    // A resource route gets no entry.server hook: if it never calls applyHeaders, the browser keeps a cookie
    // whose refresh token was used, and with rotation the user is logged out later. Say so.
    setTimeout(() => {
      if (scope.pendingCookies.length)
        this.warn(
          'A refreshed session cookie was never sent: call applyHeaders in this route',
          new AuthError(AuthErrorCode.cookieNotSent, 'Set-Cookie not applied'),
        )
    }, unsentCookieCheckMs).unref()
  }

  private refreshDue(auth: AuthSession): boolean {
    const leewayMs = Math.min(
      (this.options.refreshLeewaySeconds ?? 60) * 1000,
      (auth.credentials.expiresIn * 1000) / 2,
    )
    return auth.credentials.expiresAt - this.now() <= leewayMs
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
      throw redirect(v2LogoutUrl(this.issuer, this.options.clientDetails.clientID, requestOrRedirect), {
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
      throw redirect(await auth0LogoutUrl(this.issuer, this.options, requestOrRedirect), {
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
      await this.denyOnLogout(loaded.auth)
      const refreshToken = loaded.auth?.credentials.refreshToken
      if (refreshToken && this.options.revokeRefreshTokenOnLogout !== false)
        await this.client.revoke(refreshToken)
    }
    throw redirect(await auth0LogoutUrl(this.issuer, this.options, returnTo.href, idToken), { headers })
  }

  /** A copy of the cookie must not outlive the logout: its session goes on the deny-list (Browser strategy). */
  private async denyOnLogout(auth: AuthSession | null): Promise<void> {
    const denyList = this.options.session?.denyList
    if (!auth || !denyList) return
    const expiresAt = new Date(this.now() + this.denyForMs)
    // Auth0 always puts a sid in the ID token; without one, this user's sessions up to this one end.
    await denyList.denySessions(
      auth.sid
        ? { sid: auth.sid, expiresAt }
        : { sub: auth.sub, issuedBefore: new Date((auth.issuedAt ?? auth.authenticatedAt) + 1), expiresAt },
    )
  }

  /**
   * OpenID Back-Channel Logout 1.0 endpoint: validates the logout token and ends the sessions it names (rows of
   * the Server strategy, the deny-list of the Browser strategy). An invalid token gets 400 either way.
   */
  async handleBackchannelLogout(request: Request): Promise<Response> {
    return this.backchannel.handle(request, {
      store: this.sessions?.config.store,
      denyList: this.options.session?.denyList,
      denyForMs: this.denyForMs,
    })
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

  // ---------------------------------------------------------------------------------------------- testing

  /**
   * @internal For `./testing.server` only, not part of the API: the clock, a login's session lifetime and its
   * session write, so that a test session is stored exactly as a login stores one. Null without `session`.
   */
  testingAccess(): TestingAccess | null {
    // Minting sessions is a back door in production, whoever calls it.
    if (process.env.NODE_ENV === 'production') throw new Error('testingAccess is not available in production')
    const sessions = this.sessions
    if (!sessions) return null
    const lifetimeSeconds = Math.min(
      this.options.absoluteSessionLifetimeSeconds ?? defaultAbsoluteSessionLifetimeSeconds,
      this.options.refreshTokenLifetimeSeconds ?? Infinity,
    )
    return {
      now: this.now,
      sessionLifetimeMs: lifetimeSeconds * 1000,
      startSession: async (auth) => sessions.rotate(await sessions.config.store.getSession(), auth),
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  /** Undefined without DPoP, or when the key no longer opens (best-effort calls go on without a proof). */
  private async dpopHandle(auth: AuthSession | null): Promise<oauth.DPoPHandle | undefined> {
    if (!this.dpop || !auth?.dpopKey) return undefined
    return this.dpop.handle(auth.dpopKey).catch(() => undefined)
  }

  private async profile(auth: AuthSession): Promise<UserProfile> {
    const { profileCacheGet, profileCacheSet } = this.options
    if (!profileCacheGet || !profileCacheSet) return userFromClaims(auth.claims)
    const { accessToken, expiresAt } = auth.credentials
    const cached = await profileCacheGet(accessToken).catch(() => undefined)
    if (cached) return cached
    // The ID token's claims are a good answer too: a cache or /userinfo outage must not take the page down.
    let profile: UserProfile
    try {
      const claims = await this.client.userInfo(accessToken, auth.sub, await this.dpopHandle(auth))
      profile = userFromClaims({ ...claims, sub: auth.sub })
    } catch (error) {
      this.warn('/userinfo failed; the profile comes from the ID token', error)
      return userFromClaims(auth.claims)
    }
    await profileCacheSet(accessToken, profile, expiresAt).catch((error: unknown) =>
      this.warn('profileCacheSet failed', error),
    )
    return profile
  }
}

/** @internal See `Auth0RemixServer.testingAccess`. */
export interface TestingAccess {
  now: () => number
  sessionLifetimeMs: number
  /** Set-Cookie values of a new session holding `auth`, written as `handleCallback` writes one. */
  startSession(auth: AuthSession): Promise<string[]>
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

/** Exactly one client authentication; a signing key cannot stand in for the transaction-cookie secrets. */
function checkClientAuthentication(options: Auth0RemixServerOptions): void {
  const { clientSecret, clientAssertionSigningKey, clientAssertionSigningAlg } = options.clientDetails
  if (Boolean(clientSecret) === Boolean(clientAssertionSigningKey)) {
    throw new TypeError(
      'Auth0RemixServer: give exactly one of clientDetails.clientSecret and clientDetails.clientAssertionSigningKey',
    )
  }
  if (clientAssertionSigningKey && !options.secrets?.length) {
    throw new TypeError(
      'Auth0RemixServer: secrets is required with clientDetails.clientAssertionSigningKey (without a client secret there is nothing to derive the login-transaction cookie secret from)',
    )
  }
  if (
    clientAssertionSigningAlg !== undefined &&
    !(clientAssertionSigningAlgs as readonly string[]).includes(clientAssertionSigningAlg)
  ) {
    throw new TypeError(
      `Auth0RemixServer: clientDetails.clientAssertionSigningAlg must be one of ${clientAssertionSigningAlgs.join(', ')}`,
    )
  }
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

function hasScopes(granted: string | undefined, wanted: string | undefined): boolean {
  if (!wanted) return true
  const have = new Set((granted ?? '').split(' '))
  return wanted.split(' ').every((scope) => have.has(scope))
}
