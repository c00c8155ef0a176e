import type { SessionStorage } from '@remix-run/node'
import type { SessionDenyList } from './store'
import type { Credentials, UserProfile } from './session.server'

/** Which kind of token `verifyToken`, `decodeToken` and `isValid` check. */
export enum Token {
  ID = 'id',
  ACCESS = 'access',
  /** The original README's spelling of `ACCESS`: the same value, so either can be passed. */
  // eslint-disable-next-line @typescript-eslint/no-duplicate-enum-values
  AccessToken = 'access',
}

/** Where the tokens live: in an encrypted cookie (Browser) or in a server-side store keyed by a cookie (Server). */
export enum SessionStrategy {
  Browser = 'browser',
  Server = 'server',
}

/** How long a session lasts at most when `absoluteSessionLifetimeSeconds` is not set. */
export const defaultAbsoluteSessionLifetimeSeconds = 7 * 24 * 3600

export interface ClientDetails {
  /** `tenant.us.auth0.com` (https implied) or a full origin; http only for a loopback emulator. */
  domain: string
  clientID: string
  /** client_secret_post. Give either this or `clientAssertionSigningKey`, not both. */
  clientSecret?: string
  /**
   * private_key_jwt (RFC 7523): the client authenticates with a JWT signed by this key instead of a secret. A
   * PKCS#8 PEM private key (imported once, non-extractable) or a private CryptoKey; its public key is registered
   * with the Auth0 application. Requires `secrets` (they cannot be derived from a client secret).
   */
  clientAssertionSigningKey?: string | CryptoKey
  /** The assertion's algorithm for a PEM key: `RS256` (default), `PS256` or `ES256` (a CryptoKey brings its own). */
  clientAssertionSigningAlg?: ClientAssertionSigningAlg
  /** API identifier: access tokens become JWTs for this API. */
  audience?: string
  /** Organization id (`org_…`) or name sent to /authorize and checked in the ID token. */
  organization?: string
  /** Callback by form_post (default) or query string. */
  usePost?: boolean
  /** Default `openid profile email offline_access`. */
  scope?: string
}

export const clientAssertionSigningAlgs = ['RS256', 'PS256', 'ES256'] as const
export type ClientAssertionSigningAlg = (typeof clientAssertionSigningAlgs)[number]

export interface Auth0RemixServerOptions {
  clientDetails: ClientDetails
  /** Absolute URL of the callback route, e.g. `https://app.example.com/auth/callback`. */
  callbackURL: string
  /**
   * Whether Auth0 rotates refresh tokens (off for a new application). The library works either way; it checks
   * this against Auth0's first refresh answer and warns once (`rotation_mismatch`) when they differ.
   */
  refreshTokenRotationEnabled?: boolean
  /**
   * Pushed Authorization Requests (RFC 9126): `authorize()` posts the request to the tenant's PAR endpoint
   * (authenticated like the token requests) and sends the browser to /authorize with only `client_id` and
   * `request_uri`. Off by default; the tenant must offer PAR (see `checkConfiguration`).
   */
  pushedAuthorizationRequests?: boolean
  /** Where a failed login lands, with `?error=<code>`. */
  failedLoginRedirect: string
  /** Where `getUser` sends anonymous users, with `?returnTo=`. Default `/login`. */
  loginURL?: string
  /** Omit to handle sessions yourself: `handleCallback` then only hands credentials to `credentialsCallback`. */
  session?: {
    store: SessionStorage
    /** Session field that holds the auth data. Default `user`. */
    key?: string
    /** Default `SessionStrategy.Browser` (as in the original library). */
    strategy?: SessionStrategy
    /**
     * Browser strategy: where ended sessions are listed (logout, back-channel logout), checked on every request,
     * so that a copied cookie stops working at logout. Without it a cookie stays valid until it expires.
     */
    denyList?: SessionDenyList
  }
  /** Called after a login and after every refresh. */
  credentialsCallback?: (credentials: Credentials, user: UserProfile) => void | Promise<void>
  /** With both profile cache hooks, `getUser` returns /userinfo data (cached) instead of ID token claims. */
  profileCacheGet?: (accessToken: string) => Promise<UserProfile | undefined | null>
  profileCacheSet?: (accessToken: string, profile: UserProfile, expiresAt: number) => Promise<void>
  /**
   * Secrets for the login-transaction cookie (first encrypts, all decrypt). Default: derived from clientSecret;
   * required with `clientAssertionSigningKey`.
   */
  secrets?: string[]
  /** Absolute session lifetime in seconds (default 7 days); idle expiry is the session store's job. */
  absoluteSessionLifetimeSeconds?: number
  /** The tenant's absolute refresh-token lifetime in seconds: sessions end with it (Auth0 does not announce it). */
  refreshTokenLifetimeSeconds?: number
  /** Refresh this many seconds before the access token expires (default 60, at most half its lifetime). */
  refreshLeewaySeconds?: number
  /** Clock skew allowed when checking exp/iat/auth_time (default 30). */
  clockToleranceSeconds?: number
  /** Timeout for each call to Auth0 (default 5000 ms). */
  timeoutMs?: number
  /**
   * Revoke the session's refresh token at logout (default true). On tenants where revoking a refresh token
   * deletes the grant, that also ends the user's other devices at their next refresh: set false there to keep
   * them (the token is still dropped with the session).
   */
  revokeRefreshTokenOnLogout?: boolean
  /** Log out through OIDC RP-initiated logout (`/oidc/logout` + id_token_hint) instead of `/v2/logout`. */
  useOidcLogout?: boolean
  /**
   * DPoP (RFC 9449): access tokens bound to a key pair made for each session, with a proof on every token,
   * refresh, userinfo, revocation and `fetchWithAccessToken` call. Needs `SessionStrategy.Server` (the private key
   * lives sealed in the session row, never in a cookie). Default false.
   */
  useDPoP?: boolean
  /** How long another process may hold a refresh lease, and how long a waiting request waits (ms). */
  refreshLease?: { ttlMs?: number; waitMs?: number }
  /** Where warnings go (never with a token or secret in them). Default `console`. */
  logger?: Pick<Console, 'warn'>
  /**
   * For tests: the clock (milliseconds since the epoch) the library reads for token, session and transaction
   * times, so a test can move time forward instead of sleeping. Default `Date.now`.
   */
  now?: () => number
}

interface CommonAuthorizeOptions {
  /** Auth0 connection name, e.g. `google-oauth2`. */
  connection?: string
  /** Extra query parameters on the callback URL (sent identically to /authorize and /oauth/token). */
  callbackParams?: Record<string, string>
  /** Same-origin path to land on after login; anything else is ignored. */
  returnTo?: string | null
  organization?: string
  invitation?: string
  /** Maximum authentication age in seconds (step-up); checked against `auth_time` on callback. */
  maxAge?: number
  acrValues?: string
  audience?: string
  scope?: string
  loginHint?: string
}

/** The seed's table: `silentAuth` cannot be combined with `forceLogin` (a type error, and a runtime error). */
export type AuthorizeOptions = CommonAuthorizeOptions &
  (
    | { silentAuth?: false; forceLogin?: boolean; forceSignup?: boolean }
    | { silentAuth: true; forceLogin?: false; forceSignup?: boolean }
  )

export interface HandleCallbackOptions {
  onSuccessRedirect: string
  onFailureRedirect?: string
}
