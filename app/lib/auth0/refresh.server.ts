import { createHash } from 'node:crypto'
import type * as oauth from 'oauth4webapi'
import { credentialsFrom, type OAuthClient, type TokenSet } from './client.server'
import type { DPoPKeys } from './dpop.server'
import { AuthError, AuthErrorCode, type Warn } from './errors'
import type { AuthSession, LoadedSession, SessionManager } from './session.server'
import { isRefreshLeaseStore } from './store'
import type { TokenVerifier } from './tokens.server'
import { claimsToKeep, userFromClaims, type Credentials, type UserProfile } from './session.server'

/** How long the Browser strategy remembers an outcome for requests still carrying the cookie it replaced. */
const recentMs = 60_000

/** Time kept free before the lease expires, so a retried save never races another instance's refresh. */
const saveMarginMs = 3000
const saveBackoffMs = (attempt: number) => Math.min(100 * 2 ** attempt, 1000)

/** The result of a token operation on a session; every request that waited for it gets the same. */
interface RefreshOutcome {
  auth: AuthSession | null
  /** Why the user was removed from the session. */
  reason?: string
  /** Set-Cookie values the waiting requests must send (Browser strategy: the cookie is the session). */
  setCookies?: string[]
}

interface RefresherOptions {
  client: OAuthClient
  sessions: SessionManager
  verifier: TokenVerifier
  /** The app's `credentialsCallback`, told of every refresh. */
  credentialsCallback?: (credentials: Credentials, user: UserProfile) => unknown
  warn: Warn
  /** `useDPoP`: refreshes carry a proof of the session's key (the nonce retry stays inside the one grant). */
  dpop?: DPoPKeys
  leaseTtlMs: number
  leaseWaitMs: number
  /** `refreshTokenRotationEnabled`: what the tenant is said to do, checked against its first refresh answer. */
  rotation?: boolean
  /**
   * The authenticator's clock (`Auth0RemixServerOptions.now`), for token and session times. Waits for another
   * process (the lease, the store's retries) are real sleeps bounded by real time: the lease expires in the store.
   */
  now: () => number
}

/** What a token operation does, and how to tell that another request already did it. */
interface Operation {
  name: string
  done: (auth: AuthSession) => boolean
  run: (auth: AuthSession) => Promise<TokenSet>
  apply: (auth: AuthSession, tokens: TokenSet) => Promise<AuthSession>
}

/**
 * Refresh-token work on a session, one operation at a time. Each operation re-reads the session under the lock and
 * skips if another request already did it, so a rotated refresh token is never replayed. What each layer prevents:
 * - per request (`RequestSessions` scope): the loaders of one page each refreshing the same cookie.
 * - `queued` (per process): two token calls for one session at once, and the same call made twice by concurrent
 *   requests (they share its promise).
 * - the row lease (per cluster, `RefreshLeaseStore`): another instance refreshing the same session at the same time.
 * - `recent` (Browser strategy, per process): a request still carrying the cookie a refresh replaced replaying its
 *   rotated refresh token (there is no row to re-read).
 * - the row version (`SessionConflictError`, in `SessionManager.saveAuth`): a refresh's write losing an app write made
 *   meanwhile, or bringing back a session that was logged out meanwhile.
 */
export class TokenRefresher {
  /** Per session: the operations queued or running, oldest first; each starts when the one before it settles. */
  private readonly queued = new Map<string, { name: string; outcome: Promise<RefreshOutcome> }[]>()
  /** Browser strategy: the newest outcome by the refresh token it started from (see `performInCookie`). */
  private readonly recent = new Map<string, { outcome: RefreshOutcome; at: number }>()

  constructor(private readonly options: RefresherOptions) {}

  /** Refreshes the session's tokens when `due` says so (checked again under the lock). */
  refresh(
    request: Request,
    loaded: LoadedSession,
    due: (auth: AuthSession) => boolean,
  ): Promise<RefreshOutcome> {
    return this.perform(request, loaded, {
      name: 'refresh',
      done: (auth) => !due(auth),
      run: (auth) => this.grant(auth),
      apply: (auth, tokens) => this.applyRefresh(auth, tokens),
    })
  }

  /** A refresh regardless of expiry; skipped if another refresh finished after `since`. */
  forceRefresh(request: Request, loaded: LoadedSession, since: number): Promise<RefreshOutcome> {
    return this.perform(request, loaded, {
      name: 'force',
      done: (auth) => auth.credentials.lastRefreshed > since,
      run: (auth) => this.grant(auth),
      apply: (auth, tokens) => this.applyRefresh(auth, tokens),
    })
  }

  /** An access token for another API from the refresh token (Auth0 multi-resource refresh tokens). */
  audienceToken(
    request: Request,
    loaded: LoadedSession,
    audience: string,
    scope: string | undefined,
    fresh: (auth: AuthSession) => boolean,
  ): Promise<RefreshOutcome> {
    return this.perform(request, loaded, {
      name: `audience ${audience} ${scope ?? ''}`,
      done: fresh,
      run: (auth) => this.grant(auth, scope ? { audience, scope } : { audience }),
      apply: async (auth, tokens) => ({
        ...auth,
        credentials: {
          ...auth.credentials,
          refreshToken: tokens.response.refresh_token ?? auth.credentials.refreshToken,
        },
        audiences: {
          ...auth.audiences,
          [audience]: {
            accessToken: tokens.response.access_token,
            expiresAt: this.options.now() + (tokens.response.expires_in ?? 0) * 1000,
            obtainedAt: this.options.now(),
            scope: tokens.response.scope ?? scope,
          },
        },
      }),
    })
  }

  /** The refresh-token grant for a session (with a proof of its DPoP key under `useDPoP`). */
  private async grant(auth: AuthSession, parameters?: Record<string, string>): Promise<TokenSet> {
    return this.options.client.refresh(requireRefreshToken(auth), parameters, await this.dpop(auth))
  }

  /** The session's DPoP handle; a session without a key cannot get bound tokens and must log in again. */
  private async dpop(auth: AuthSession): Promise<oauth.DPoPHandle | undefined> {
    if (!this.options.dpop) return undefined
    if (!auth.dpopKey) throw new AuthError(AuthErrorCode.sessionExpired, 'The session has no DPoP key')
    return this.options.dpop.handle(auth.dpopKey)
  }

  private perform(request: Request, loaded: LoadedSession, operation: Operation): Promise<RefreshOutcome> {
    const id = loaded.id
    if (!id) return this.performInCookie(request, loaded, operation)
    return this.inTurn(`session:${id}`, operation.name, () =>
      this.underLease(request, { ...loaded, id }, operation),
    )
  }

  /**
   * Browser strategy: the cookie is the session, so there is no row to re-read. Instead this process remembers,
   * per refresh token a cookie carried, the newest session it derived from it. A request still carrying an older
   * cookie starts from that newest session (a rotated refresh token is never replayed), and gets a cached result
   * only when it satisfies this very operation (`done`): never another audience's result, never a stale one for
   * `refresh: true`.
   */
  private performInCookie(
    request: Request,
    loaded: LoadedSession,
    operation: Operation,
  ): Promise<RefreshOutcome> {
    const cookieAuth = loaded.auth!
    // Stable across refreshes (a rotated token changes the hash), so one login's operations never overlap.
    const key = `login:${cookieAuth.sub}|${cookieAuth.sid ?? ''}|${cookieAuth.authenticatedAt}`
    return this.inTurn(key, operation.name, async () => {
      const known = this.newest(cookieAuth)
      // A refresh of this session was refused moments ago: it is over, do not ask Auth0 again.
      if (!known.auth) return known.outcome!
      if (operation.done(known.auth)) return { auth: known.auth, setCookies: known.outcome?.setCookies }
      const outcome = await this.execute(request, { ...loaded, auth: known.auth }, operation)
      this.cacheOutcomeFor([cookieAuth, known.auth], outcome)
      return outcome
    })
  }

  /** The newest session this process derived from the cookie's refresh token (following rotations). */
  private newest(auth: AuthSession): { auth: AuthSession | null; outcome?: RefreshOutcome } {
    let current: { auth: AuthSession | null; outcome?: RefreshOutcome } = { auth }
    const seen = new Set<string>()
    while (current.auth) {
      const hash = tokenHash(current.auth)
      const entry = this.recent.get(hash)
      if (seen.has(hash) || !entry || this.options.now() - entry.at > recentMs) break
      seen.add(hash)
      current = { auth: entry.outcome.auth, outcome: entry.outcome }
    }
    return current
  }

  /**
   * Runs `task` once the session's earlier operations have settled, so token calls for one session never overlap in
   * this process; a caller asking for an operation of the same name that is already queued shares its outcome.
   */
  private inTurn(key: string, name: string, task: () => Promise<RefreshOutcome>): Promise<RefreshOutcome> {
    const queue = this.queued.get(key) ?? []
    const same = queue.find((entry) => entry.name === name)
    if (same) return same.outcome
    const previous = queue.at(-1)?.outcome.catch(() => undefined) ?? Promise.resolve()
    const entry = { name, outcome: previous.then(task) }
    queue.push(entry)
    this.queued.set(key, queue)
    const settled = () => {
      queue.splice(queue.indexOf(entry), 1)
      if (!queue.length && this.queued.get(key) === queue) this.queued.delete(key)
    }
    entry.outcome.then(settled, settled)
    return entry.outcome
  }

  private async underLease(
    request: Request,
    loaded: LoadedSession & { id: string },
    operation: Operation,
  ): Promise<RefreshOutcome> {
    const { sessions, leaseTtlMs, leaseWaitMs } = this.options
    const store = sessions.config.store
    const leases = isRefreshLeaseStore(store) ? store : null
    // Real time, not `now`: this bounds real sleeps while another process holds the lease.
    const deadline = Date.now() + leaseWaitMs
    for (let attempt = 0; ; attempt++) {
      if (!leases || (await leases.acquireRefreshLease(loaded.id, leaseTtlMs))) {
        try {
          const current = await sessions.load(request)
          if (!current.auth || current.id !== loaded.id)
            return { auth: null, reason: AuthErrorCode.sessionExpired }
          if (operation.done(current.auth)) return { auth: current.auth }
          return await this.execute(request, current, operation)
        } finally {
          await leases?.releaseRefreshLease(loaded.id).catch(() => undefined)
        }
      }
      // Another instance holds the lease: wait for its result to appear in the store.
      await sleep(Math.min(25 * 2 ** attempt, 200))
      const current = await sessions.load(request)
      if (!current.auth || current.id !== loaded.id)
        return { auth: null, reason: AuthErrorCode.sessionExpired }
      if (operation.done(current.auth)) return { auth: current.auth }
      if (Date.now() > deadline) {
        // The holder seems stuck: serve the current token while it still works rather than fail the request.
        if (current.auth.credentials.expiresAt > this.options.now()) return { auth: current.auth }
        throw new AuthError(AuthErrorCode.refreshFailed, 'Timed out waiting for a token refresh')
      }
    }
  }

  private async execute(
    request: Request,
    loaded: LoadedSession,
    operation: Operation,
  ): Promise<RefreshOutcome> {
    const auth = loaded.auth!
    const { sessions } = this.options
    // Real time, not `now`: it bounds the store's retries within the lease, which expires in real time.
    const started = Date.now()
    let updated: AuthSession
    try {
      const tokens = await operation.run(auth)
      this.checkRotation(tokens)
      updated = await operation.apply(auth, tokens)
    } catch (error) {
      const code = error instanceof AuthError ? error.code : AuthErrorCode.refreshFailed
      // An outage is not the user's fault: keep serving while the current access token still works.
      if (code === AuthErrorCode.auth0Down && auth.credentials.expiresAt > this.options.now()) {
        this.options.warn('Token refresh failed; serving the current token until it expires', error)
        return { auth }
      }
      if (
        operation.name.startsWith('audience') &&
        code !== AuthErrorCode.auth0Down &&
        code !== 'invalid_grant'
      ) {
        // consent_required, access_denied…: the session is fine, only this API is not available.
        throw error
      }
      const setCookies = await sessions.saveAuth(request, loaded, null)
      return {
        auth: null,
        reason: code === AuthErrorCode.sessionExpired ? code : AuthErrorCode.refreshFailed,
        setCookies: setCookies ?? undefined,
      }
    }
    const setCookies = await this.store(request, loaded, updated, started)
    // Logged out (or revoked) while the refresh was in flight: stay logged out.
    if (setCookies === null) return { auth: null, reason: AuthErrorCode.sessionExpired }
    await this.options.credentialsCallback?.(updated.credentials, userFromClaims(updated.claims))
    return { auth: updated, setCookies }
  }

  /**
   * Auth0 has answered, and with rotation the refresh token in the session is now spent: losing this write would
   * log the user out at the next refresh. So a store that is briefly down (a database restart, a failover) is
   * retried, within the lease (no other instance refreshes meanwhile), before giving up.
   */
  private async store(
    request: Request,
    loaded: LoadedSession,
    updated: AuthSession,
    started: number,
  ): Promise<string[] | null> {
    const deadline = started + Math.max(0, this.options.leaseTtlMs - saveMarginMs)
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.options.sessions.saveAuth(request, loaded, updated)
      } catch (error) {
        if (Date.now() + saveBackoffMs(attempt) > deadline) throw error
        if (attempt === 0) this.options.warn('Storing refreshed tokens failed; retrying', error)
        await sleep(saveBackoffMs(attempt))
      }
    }
  }

  private rotationChecked = false

  /**
   * Either way the library keeps working (no new refresh token: the old one is kept; a new one: the used one is
   * never sent again), but a wrong `refreshTokenRotationEnabled` means the setup is not what was reviewed.
   */
  private checkRotation(tokens: TokenSet): void {
    const { rotation } = this.options
    if (rotation === undefined || this.rotationChecked) return
    this.rotationChecked = true
    const rotated = Boolean(tokens.response.refresh_token)
    if (rotated === rotation) return
    this.options.warn(
      rotation
        ? 'refreshTokenRotationEnabled is true but Auth0 sent no new refresh token: turn Rotation on for this application, or set the option to false'
        : 'refreshTokenRotationEnabled is false but Auth0 rotated the refresh token: set the option to true',
      new AuthError(AuthErrorCode.rotationMismatch, 'refreshTokenRotationEnabled does not match the tenant'),
    )
  }

  private async applyRefresh(auth: AuthSession, tokens: TokenSet): Promise<AuthSession> {
    let claims = auth.claims
    if (tokens.response.id_token) {
      const verified = await this.options.verifier.verifyIdToken(tokens.response.id_token)
      if (verified.sub !== auth.sub) {
        throw new AuthError(AuthErrorCode.idTokenInvalid, 'Refreshed ID token is for another user')
      }
      claims = claimsToKeep(verified)
    }
    const now = this.options.now()
    return {
      ...auth,
      claims,
      refreshedAt: now,
      credentials: credentialsFrom(tokens.response, auth.credentials, now),
    }
  }

  private cacheOutcomeFor(from: AuthSession[], outcome: RefreshOutcome): void {
    const now = this.options.now()
    for (const [entry, value] of this.recent) if (now - value.at > recentMs) this.recent.delete(entry)
    for (const auth of from) this.recent.set(tokenHash(auth), { outcome, at: now })
  }
}

function requireRefreshToken(auth: AuthSession): string {
  const token = auth.credentials.refreshToken
  if (!token) throw new AuthError(AuthErrorCode.sessionExpired, 'No refresh token')
  return token
}

function tokenHash(auth: AuthSession): string {
  const token = auth.credentials.refreshToken ?? auth.credentials.accessToken
  return createHash('sha256').update(token).digest('base64url')
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
