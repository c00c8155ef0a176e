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

export function userFromClaims(claims: IdTokenClaims): UserProfile {
  return {
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
