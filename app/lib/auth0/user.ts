import type { JWTPayload } from 'jose'

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
