import type { JWK } from 'jose'

export interface EmulatorClient {
  clientId: string
  /** Required unless `tokenEndpointAuthMethod` is `private_key_jwt` (such a client has no secret at all). */
  clientSecret?: string
  redirectUris: string[]
  /** Auth0's "Allowed Logout URLs": returnTo of /v2/logout and post_logout_redirect_uri of /oidc/logout. */
  logoutUrls: string[]
  backchannelLogoutUri?: string
  /** Per-application refresh token settings; unset ones take the emulator-wide value (see RefreshTokenSettings). */
  refreshTokens?: Partial<RefreshTokenSettings>
  /** Auth0's "Authentication Method": `client_secret_post` (default) or `private_key_jwt` (RFC 7523). */
  tokenEndpointAuthMethod?: ClientAuthMethod
  /** private_key_jwt: the application's registered public keys ("Credentials" in Auth0), as a JWK set. */
  jwks?: { keys: JWK[] }
  /** Auth0's "Require Pushed Authorization Requests": a plain /authorize request is refused (RFC 9126 §6). */
  requirePushedAuthorizationRequests?: boolean
  /** RFC 9449 `dpop_bound_access_tokens`: the token endpoint refuses a request without a DPoP proof. */
  dpopBoundAccessTokens?: boolean
}

export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt'

/**
 * Auth0's refresh token settings. Defaults are those of a new application on a new tenant: no rotation, a 0 s
 * reuse interval, and "Refresh Token Revocation Deletes Grant" off (README: "Refresh token settings").
 */
export interface RefreshTokenSettings {
  /** Application setting "Rotation": a refresh issues a new refresh token and the used one stops working. */
  rotation: boolean
  /** Application setting "Reuse Interval": a rotated refresh token still works for this many seconds. */
  reuseIntervalSeconds: number
  /**
   * Tenant setting "Refresh Token Revocation Deletes Grant": revoking one refresh token revokes every refresh
   * token of that user and application (other devices too); off, only that login's tokens end.
   */
  revocationDeletesGrant: boolean
}

export const DEFAULT_REFRESH_TOKENS: RefreshTokenSettings = {
  rotation: false,
  reuseIntervalSeconds: 0,
  revocationDeletesGrant: false,
}

/** Later layers win; an undefined value leaves the earlier one (so unset variables keep the defaults). */
export function mergeRefreshTokens(
  base: RefreshTokenSettings,
  ...layers: Array<Partial<RefreshTokenSettings> | undefined>
): RefreshTokenSettings {
  const merged = { ...base }
  for (const layer of layers)
    for (const [key, value] of Object.entries(layer ?? {}))
      if (value !== undefined) Object.assign(merged, { [key]: value })
  return merged
}

export interface EmulatorUser {
  /** The part after `auth0|` in the subject. */
  id: string
  email: string
  emailVerified: boolean
  name: string
  givenName?: string
  familyName?: string
  nickname?: string
}

/** An Auth0 "API": the value of `audience` and the permissions it knows. */
export interface EmulatorApi {
  identifier: string
  scopes: string[]
}

export interface EmulatorOrganization {
  id: string
  name: string
  displayName?: string
  /**
   * Ids of the users (the part after `auth0|`) who belong to it. A login for anyone else is refused with
   * `access_denied`, as Auth0 does; omitted, every user is a member (an organization nobody has to be added to).
   */
  members?: string[]
}

/**
 * The namespaced custom claim in which the emulator lists a user's organizations, as the Post-Login Action in the
 * library README does on a real tenant (Auth0 itself puts only the current `org_id`/`org_name` in tokens).
 */
export const ORGANIZATIONS_CLAIM = 'https://remix-stack.example/organizations'

/** Lifetimes in seconds. */
export interface EmulatorTtl {
  accessToken: number
  idToken: number
  /** Absolute lifetime of a refresh token family, counted from the first login. */
  refreshToken: number
  /** Idle lifetime: a refresh token unused for this long expires. */
  refreshTokenIdle: number
  session: number
  authorizationCode: number
}

export interface EmulatorOptions {
  /** Default 3334; 0 picks a free port. */
  port?: number
  host?: string
  clients?: EmulatorClient[]
  users?: EmulatorUser[]
  apis?: EmulatorApi[]
  organizations?: EmulatorOrganization[]
  ttl?: Partial<EmulatorTtl>
  /** Refresh token settings of every client that does not set its own. */
  refreshTokens?: Partial<RefreshTokenSettings>
  /** No request or error logging. */
  quiet?: boolean
  /**
   * Offer the PAR endpoint (RFC 9126) in discovery (default true). false: a tenant without PAR, as on Auth0
   * plans without it; discovery then has no `pushed_authorization_request_endpoint`.
   */
  pushedAuthorizationRequests?: boolean
  /**
   * Accept private_key_jwt client authentication (default true). false: a tenant without it; discovery's
   * `token_endpoint_auth_methods_supported` then lacks it.
   */
  privateKeyJwt?: boolean
  /** DPoP (RFC 9449) at the token, userinfo and revocation endpoints. */
  dpop?: Partial<DPoPSettings>
}

/**
 * DPoP as Auth0 offers it: a proof binds the access token to the client's key (`cnf.jkt`). `requireNonce` makes
 * every proof carry a server nonce (RFC 9449 §8), so a client's first proof is answered with `use_dpop_nonce`.
 */
export interface DPoPSettings {
  enabled: boolean
  requireNonce: boolean
}

export const DEFAULT_DPOP: DPoPSettings = { enabled: true, requireNonce: false }

export const DEFAULT_PORT = 3334

export const DEFAULT_CLIENT: EmulatorClient & { clientSecret: string } = {
  clientId: 'remix-stack-local',
  clientSecret: 'local-emulator-client-secret-not-for-production',
  redirectUris: ['http://localhost:3000/auth/callback'],
  logoutUrls: ['http://localhost:3000', 'http://localhost:3000/'],
  backchannelLogoutUri: 'http://localhost:3000/auth/backchannel-logout',
}

export const DEFAULT_USERS: EmulatorUser[] = [
  {
    id: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    name: 'Alice Liddell',
    givenName: 'Alice',
    familyName: 'Liddell',
  },
  {
    id: 'bob',
    email: 'bob@example.com',
    emailVerified: true,
    name: 'Bob Builder',
    givenName: 'Bob',
    familyName: 'Builder',
  },
  {
    id: 'carol',
    email: 'carol@example.com',
    emailVerified: false,
    name: 'Carol Danvers',
    givenName: 'Carol',
    familyName: 'Danvers',
  },
]

export const DEFAULT_APIS: EmulatorApi[] = [
  { identifier: 'http://localhost:3000/api', scopes: ['read:profile'] },
  { identifier: 'https://api.example.test', scopes: ['read:data', 'write:data'] },
]

export const DEFAULT_ORGANIZATIONS: EmulatorOrganization[] = [
  { id: 'org_acme', name: 'acme', displayName: 'Acme Inc.', members: ['alice', 'bob'] },
  // Alice belongs to two organizations, so the dev and e2e stacks can show switching between them.
  { id: 'org_globex', name: 'globex', displayName: 'Globex Corporation', members: ['alice'] },
]

/** Auth0's tenant defaults, except a short-lived authorization code. */
export const DEFAULT_TTL: EmulatorTtl = {
  accessToken: 86_400,
  idToken: 36_000,
  refreshToken: 2_592_000,
  refreshTokenIdle: 1_296_000,
  session: 259_200,
  authorizationCode: 60,
}

export function subjectOf(user: EmulatorUser): string {
  return `auth0|${user.id}`
}
