import type { Session, SessionStorage } from '@remix-run/node'
import type { JWTPayload } from 'jose'
import type { SessionStrategy } from './options'
import { inheritCookieChunks, isChunkedSessionStorage } from './cookie-session.server'
import { SESSION_VERSION_FIELD, SessionConflictError } from './store'

/** The signed-in user, built from the validated ID token's claims (no call to Auth0 per request). */
export interface UserProfile {
  id: string
  name?: string
  nickname?: string
  givenName?: string
  familyName?: string
  email?: string
  emailVerified?: boolean
  picture?: string
  locale?: string
  updatedAt?: string
  orgId?: string
  orgName?: string
  /** Any other claim of the ID token or /userinfo (e.g. `https://example.com/roles`), under its own name. */
  [claim: string]: unknown
}

/** What Auth0 returned, as the seed's `credentialsCallback` receives it. Times are in milliseconds. */
export interface Credentials {
  accessToken: string
  refreshToken?: string
  idToken?: string
  tokenType: string
  scope?: string
  expiresIn: number
  expiresAt: number
  lastRefreshed: number
}

/** ID token claims kept in the session: protocol-only claims (nonce, at_hash, c_hash) are dropped. */
export type IdTokenClaims = JWTPayload & { sub: string; sid?: string; auth_time?: number; acr?: string }

export function claimsToKeep(payload: JWTPayload): IdTokenClaims {
  const { nonce: _nonce, at_hash: _atHash, c_hash: _cHash, ...kept } = payload as Record<string, unknown>
  return kept as IdTokenClaims
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

/** Claims about the token rather than the user, and the standard ones mapped to camelCase fields below. */
const notProfileClaims = new Set([
  ...['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'azp', 'sid', 'auth_time', 'nonce', 'at_hash', 'c_hash'],
  ...['acr', 'amr', 'sub', 'given_name', 'family_name', 'email_verified', 'updated_at', 'org_id', 'org_name'],
])

export function userFromClaims(claims: IdTokenClaims): UserProfile {
  const custom = Object.entries(claims).filter(([name]) => !notProfileClaims.has(name))
  return {
    ...Object.fromEntries(custom),
    id: claims.sub,
    name: text(claims.name),
    nickname: text(claims.nickname),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    email: text(claims.email),
    emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined,
    picture: text(claims.picture),
    locale: text(claims.locale),
    updatedAt: text(claims.updated_at),
    orgId: text(claims.org_id),
    orgName: text(claims.org_name),
  }
}

/** What the library keeps under `session.key` (default `user`). Times are in milliseconds since the epoch. */
export interface AuthSession {
  sub: string
  sid?: string
  claims: IdTokenClaims
  credentials: Credentials
  /** When this session began (the login's time here; a sub-only back-channel logout ends earlier ones). */
  issuedAt?: number
  /** When the user authenticated at Auth0 (from `auth_time`, else login time). */
  authenticatedAt: number
  /** Absolute deadline: after it the user must log in again, whatever the refresh token says. */
  expiresAt: number
  /** When the tokens were last refreshed; absent until the first refresh. */
  refreshedAt?: number
  /** `useDPoP`: the session's DPoP key pair, sealed with the library's secrets (never in a cookie). */
  dpopKey?: string
  /** Access tokens for other audiences, obtained with the refresh token. */
  audiences?: Record<string, { accessToken: string; expiresAt: number; obtainedAt: number; scope?: string }>
}

interface SessionConfig {
  store: SessionStorage
  key: string
  strategy: SessionStrategy
}

/** The session for one request: the Remix session, and the auth part of it if the user is logged in. */
export interface LoadedSession {
  session: Session
  auth: AuthSession | null
  /** The row id for the Server strategy (null for a new session or the Browser strategy). */
  id: string | null
}

/** Reads and writes the auth part of a session the same way for both strategies. */
export class SessionManager {
  constructor(readonly config: SessionConfig) {}

  async load(request: Request): Promise<LoadedSession> {
    const session = await this.config.store.getSession(request.headers.get('Cookie'))
    const value = session.get(this.config.key) as AuthSession | undefined
    const auth = value && typeof value === 'object' && typeof value.sub === 'string' ? value : null
    return { session, auth, id: session.id || null }
  }

  /** Set-Cookie values (the Browser store may need several chunks). */
  async commit(session: Session): Promise<string[]> {
    const { store } = this.config
    if (isChunkedSessionStorage(store)) return store.commitSessionCookies(session)
    return [await store.commitSession(session, { expires: this.cookieExpiry(session) })]
  }

  async destroy(session: Session): Promise<string[]> {
    const { store } = this.config
    if (isChunkedSessionStorage(store)) return store.destroySessionCookies(session)
    return [await store.destroySession(session)]
  }

  /**
   * A new session (new id: no fixation) carrying the pre-login values, e.g. a theme or a cart; the old row is
   * deleted. Returns the new session's Set-Cookie values.
   */
  async rotate(previous: Session, auth: AuthSession): Promise<string[]> {
    const fresh = await this.config.store.getSession()
    for (const [name, value] of Object.entries(previous.data)) {
      if (name !== this.config.key && name !== SESSION_VERSION_FIELD) fresh.set(name, value)
    }
    fresh.set(this.config.key, auth)
    inheritCookieChunks(previous, fresh)
    // The new session first: if the store fails, the previous one is still there.
    const cookies = await this.commit(fresh)
    if (previous.id) await this.config.store.destroySession(previous)
    return cookies
  }

  /**
   * Writes `auth` into the session, re-reading and retrying when another request changed it meanwhile. Returns
   * null when the session is gone (logged out or revoked): a late write must not bring it back.
   */
  async saveAuth(
    request: Request,
    loaded: LoadedSession,
    auth: AuthSession | null,
  ): Promise<string[] | null> {
    let session = loaded.session
    for (let attempt = 0; ; attempt++) {
      if (auth) session.set(this.config.key, auth)
      else session.unset(this.config.key)
      try {
        return await this.commit(session)
      } catch (error) {
        if (!(error instanceof SessionConflictError) || error.reason === 'gone' || attempt >= 4) {
          if (error instanceof SessionConflictError && error.reason === 'gone') return null
          throw error
        }
        session = (await this.load(request)).session
        if (!session.id) return null
      }
    }
  }

  private cookieExpiry(session: Session): Date | undefined {
    const auth = session.get(this.config.key) as AuthSession | undefined
    return auth?.expiresAt ? new Date(auth.expiresAt) : undefined
  }
}
