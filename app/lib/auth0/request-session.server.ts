import { redirect } from '@remix-run/node'
import { AuthError, AuthErrorCode, type Warn } from './errors'
import type { LoginFlow } from './login.server'
import { SessionStrategy } from './options'
import { currentPath, withQuery } from './origins'
import type { TokenRefresher } from './refresh.server'
import type { AuthSession, LoadedSession, SessionManager } from './session.server'
import type { SessionDenyList } from './store'

/** The outcome of reading a request's session once (shared by all loaders of that request). */
export interface Resolved {
  loaded: LoadedSession | null
  auth: AuthSession | null
  /** Why a user who had a session no longer has one. */
  reason?: string
}

/** One request's view of its session, shared by its loaders. */
export interface RequestScope {
  cookie: string | null
  createdAt: number
  resolved?: Promise<Resolved>
  /** Browser strategy: cookies re-issued during this request, sent by `applyHeaders`. */
  pendingCookies: string[]
}

const scopeLifetimeMs = 10_000
const unsentCookieCheckMs = 5_000

interface RequestSessionsOptions {
  sessions: SessionManager | null
  refresher: TokenRefresher | null
  login: LoginFlow
  denyList?: SessionDenyList
  /** `useDPoP`: a session without a key (from before DPoP was turned on) ends. */
  dpop: boolean
  refreshLeewaySeconds?: number
  loginURL?: string
  logger: Pick<Console, 'warn'>
  warn: Warn
  now: () => number
}

/**
 * Reads a request's session: once per request (parallel loaders share it), ending it when it is over (expired,
 * denied) and refreshing it when its access token is due. Also the way back to the login page when there is none.
 */
export class RequestSessions {
  private readonly scopes = new WeakMap<object, RequestScope>()

  constructor(private readonly options: RequestSessionsOptions) {}

  /**
   * Reads the session once per request: parallel loaders share it through Remix's per-request `context`. The scope
   * is only reused for the same cookies and for a few seconds, so a context object that outlives its request (a
   * custom server's singleton) can never hand one user's session to another.
   */
  scope(request: Request, context?: object): RequestScope {
    const key = context ?? request
    const cookie = request.headers.get('Cookie')
    const existing = this.scopes.get(key)
    if (existing && existing.cookie === cookie && this.options.now() - existing.createdAt < scopeLifetimeMs)
      return existing
    const scope: RequestScope = { cookie, createdAt: this.options.now(), pendingCookies: [] }
    this.scopes.set(key, scope)
    return scope
  }

  resolve(request: Request, context?: object): Promise<Resolved> {
    if (!this.options.sessions) {
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
    const { sessions, refresher, now } = this.options
    if (!sessions) return { loaded: null, auth: null }
    const loaded = await sessions.load(request)
    const auth = loaded.auth
    if (!auth) return { loaded, auth: null }
    // A session from before DPoP was turned on holds a Bearer token and no key: it ends, the user logs in again.
    if (now() >= auth.expiresAt || (await this.denied(auth)) || (this.options.dpop && !auth.dpopKey)) {
      this.queueCookiesForResponse(scope, await sessions.saveAuth(request, loaded, null), loaded)
      return { loaded, auth: null, reason: AuthErrorCode.sessionExpired }
    }
    if (!this.refreshDue(auth)) return { loaded, auth }
    const outcome = await refresher!.refresh(request, loaded, (current) => this.refreshDue(current))
    this.queueCookiesForResponse(scope, outcome.setCookies ?? null, loaded)
    return { loaded, auth: outcome.auth, reason: outcome.reason }
  }

  /** Browser strategy: one lookup in the shared deny-list (a cookie that was logged out is refused). */
  private denied(auth: AuthSession): Promise<boolean> {
    const { denyList } = this.options
    if (!denyList) return Promise.resolve(false)
    return denyList.isSessionDenied({
      sid: auth.sid,
      sub: auth.sub,
      issuedAt: new Date(auth.issuedAt ?? auth.authenticatedAt),
    })
  }

  private refreshDue(auth: AuthSession): boolean {
    const leewayMs = Math.min(
      (this.options.refreshLeewaySeconds ?? 60) * 1000,
      (auth.credentials.expiresIn * 1000) / 2,
    )
    return auth.credentials.expiresAt - this.options.now() <= leewayMs
  }

  /**
   * Cookies re-issued during this request, for `applyHeaders`. What counts is where the session lives: a store
   * without ids (a cookie store) needs its new cookie sent whatever `session.strategy` says.
   */
  queueCookiesForResponse(scope: RequestScope, setCookies: string[] | null, loaded: LoadedSession): void {
    const inCookie = this.options.sessions?.config.strategy === SessionStrategy.Browser || !loaded.id
    if (!setCookies || !inCookie) return
    scope.pendingCookies.push(...setCookies)
    // A resource route gets no entry.server hook: if it never calls applyHeaders, the browser keeps a cookie
    // whose refresh token was used, and with rotation the user is logged out later. Say so.
    setTimeout(() => {
      if (scope.pendingCookies.length)
        this.options.warn(
          'A refreshed session cookie was never sent: call applyHeaders in this route',
          new AuthError(AuthErrorCode.cookieNotSent, 'Set-Cookie not applied'),
        )
    }, unsentCookieCheckMs).unref()
  }

  /** Set-Cookie headers this request's session work produced (Browser strategy: a refreshed cookie). */
  applyHeaders(request: Request, context: object, headers: Headers): void {
    const scope = this.scopes.get(context)
    if (!scope || scope.cookie !== request.headers.get('Cookie')) return
    for (const cookie of scope.pendingCookies.splice(0)) headers.append('Set-Cookie', cookie)
  }

  /** The held form_post was never collected: the callback route answered the GET without us (no loader). */
  warnOnUnfinishedFormPost(request: Request): void {
    if (!this.options.login.unfinishedFormPost(request)) return
    this.options.logger.warn(
      '[auth0-remix-server] A form_post login never finished: the callback route needs a loader as well as ' +
        'an action (export const loader = action).',
    )
  }

  loginRedirect(request: Request, context: object | undefined, reason?: string): Response {
    // An app whose login route calls authorize() without the request learns it here, on the next guarded page.
    this.warnOnUnfinishedFormPost(request)
    const query: Record<string, string> = { returnTo: currentPath(request) }
    if (reason) query.error = reason
    const headers = new Headers()
    this.applyHeaders(request, context ?? request, headers)
    return redirect(withQuery(this.options.loginURL ?? '/login', query), { headers })
  }
}
