/**
 * What the library needs from a server-side session store beyond Remix's `SessionStorage`.
 *
 * `SessionStrategy.Server` works with any Remix `SessionStorage`; a store that also implements these
 * interfaces gets cluster-wide single-flight refresh, lost-update protection and back-channel logout.
 * The stack's Prisma store (`app/session-store.server.ts`) implements all of them.
 */

/** A row-level lease so that one process in a cluster refreshes a session's tokens at a time. */
export interface RefreshLeaseStore {
  /** Try to take the lease; true when taken. A lease older than `ttlMs` is free again. */
  acquireRefreshLease(sessionId: string, ttlMs: number): Promise<boolean>
  releaseRefreshLease(sessionId: string): Promise<void>
}

/** Server-side revocation, used by back-channel logout and "log out other devices". */
export interface SessionRevocationStore {
  /** Deletes every session that matches `sid` or `sub` (whichever is given) and returns how many. */
  revokeSessions(by: { sid?: string; sub?: string }): Promise<number>
}

/**
 * Remembers the back-channel logout tokens already acted on, for all processes: without it each process keeps its
 * own list, and a token replayed to another instance of the app would be accepted there.
 */
export interface LogoutTokenReplayStore {
  /** Records `jti` until `expiresAt`; false when it was already recorded (a replay). */
  useLogoutToken(jti: string, expiresAt: Date): Promise<boolean>
}

/**
 * The Browser strategy's revocation: a cookie session cannot be deleted, so the sessions that ended (logout,
 * back-channel logout) are listed here, shared by every instance, until their cookies could no longer be valid.
 * The library reads it once per request that carries a session.
 */
export interface SessionDenyList {
  /**
   * Ends every session with `sid`, or (`sub` without `sid`) every session of `sub` that began before
   * `issuedBefore`, so that a later login of the same user still works. Kept until `expiresAt`.
   */
  denySessions(entry: { sid?: string; sub?: string; issuedBefore?: Date; expiresAt: Date }): Promise<void>
  /** True when the session with this `sid`, or this `sub` begun at `issuedAt`, was ended. */
  isSessionDenied(session: { sid?: string; sub: string; issuedAt: Date }): Promise<boolean>
}

/**
 * Thrown by a store's `commitSession` when the row changed since it was read (`version`) or no longer
 * exists (`gone`: logged out or revoked). A write must never resurrect a destroyed session.
 */
export class SessionConflictError extends Error {
  readonly code = 'ERR_SESSION_CONFLICT'
  constructor(readonly reason: 'version' | 'gone') {
    super(reason === 'gone' ? 'The session no longer exists' : 'The session was changed by another request')
    this.name = 'SessionConflictError'
  }
}

/** The session-data field in which a versioned store keeps the row version it read. */
export const SESSION_VERSION_FIELD = '__version'

export function isRefreshLeaseStore(store: object): store is RefreshLeaseStore {
  return 'acquireRefreshLease' in store && 'releaseRefreshLease' in store
}

export function isSessionRevocationStore(store: object): store is SessionRevocationStore {
  return 'revokeSessions' in store
}

export function isLogoutTokenReplayStore(store: object): store is LogoutTokenReplayStore {
  return 'useLogoutToken' in store
}
