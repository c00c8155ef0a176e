// Test helpers for apps built on the library: a signed-in session without a login, and tokens signed by a local
// key set. Kept out of the library's index so that production code never bundles them; every helper refuses to
// run with NODE_ENV=production, because a function that mints sessions or trusted tokens is a back door there.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import type { Auth0RemixServer } from './authenticator.server'
import { credentialsFrom } from './client.server'
import { claimsToKeep, type AuthSession, type UserProfile } from './session.server'

export interface TestSessionOptions {
  /** The user `getUser` returns; `id` becomes the `sub` claim. */
  user: UserProfile
  /** Further ID token claims kept in the session (`acr`, `auth_time`, `sid`, a custom roles claim…). */
  claims?: Record<string, unknown>
  /** Default: a random opaque string. */
  accessToken?: string
  /** Without one, an access token that falls due ends the session (a redirect to the login page). */
  refreshToken?: string
  idToken?: string
  scope?: string
  /** When the access token expires (ms since the epoch, on the authenticator's clock). Default: in one hour. */
  expiresAt?: number
  /** The session's absolute deadline (ms). Default: the authenticator's session lifetime from now. */
  sessionExpiresAt?: number
}

/**
 * A signed-in session for `user`, written through `authenticator`'s own session store, key and strategy (a row
 * for the Server strategy, the encrypted cookie for the Browser strategy), exactly as a login writes it. Returns
 * the `Cookie` header value to send with a request. Needs no Auth0: nothing is fetched.
 */
export async function createTestSession(
  authenticator: Auth0RemixServer,
  options: TestSessionOptions,
): Promise<string> {
  refuseInProduction('createTestSession')
  const access = authenticator.testingAccess()
  if (!access) throw new TypeError('createTestSession: the authenticator has no `session` option')
  if (typeof options.user?.id !== 'string' || !options.user.id)
    throw new TypeError('createTestSession: user.id is required')
  const now = access.now()
  const claims = claimsToKeep({
    sid: `test-${randomUUID()}`,
    ...options.claims,
    ...claimsFromUser(options.user),
  })
  const expiresAt = options.expiresAt ?? now + 3600_000
  const credentials = credentialsFrom(
    {
      access_token: options.accessToken ?? `test-access-token-${randomUUID()}`,
      refresh_token: options.refreshToken,
      id_token: options.idToken,
      token_type: 'bearer',
      scope: options.scope,
      expires_in: Math.max(0, Math.round((expiresAt - now) / 1000)),
    },
    undefined,
    now,
  )
  const auth: AuthSession = {
    sub: claims.sub,
    sid: typeof claims.sid === 'string' ? claims.sid : undefined,
    claims,
    credentials: { ...credentials, expiresAt },
    issuedAt: now,
    authenticatedAt: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : now,
    expiresAt: options.sessionExpiresAt ?? now + access.sessionLifetimeMs,
  }
  return cookieHeader(await access.startSession(auth))
}

export interface TestIssuerOptions {
  /** The `aud` of ID tokens: the authenticator's `clientDetails.clientID`. */
  clientID: string
  /** The `aud` of access tokens: the authenticator's `clientDetails.audience`. */
  audience?: string
  /** The clock tokens are dated by (ms), e.g. the authenticator's `now`. Default `Date.now`. */
  now?: () => number
}

export interface TestTokenOptions {
  /** Lifetime in seconds from `now` (negative: already expired). Default 3600. */
  expiresIn?: number
  /** Overrides the default `aud`. */
  audience?: string | string[]
}

export interface TestIssuer {
  /** Pass as `clientDetails.domain`: the authenticator then trusts this issuer's key set. */
  domain: string
  /** The `iss` of its tokens (the domain with a trailing slash, as Auth0's). */
  issuer: string
  /** An RS256 ID token for `clientID` (default `sub`: `auth0|test-user`). */
  createTestIdToken(claims?: JWTPayload, options?: TestTokenOptions): Promise<string>
  /** An RS256 JWT access token (RFC 9068) for `audience`. */
  createTestAccessToken(claims?: JWTPayload & { scope?: string }, options?: TestTokenOptions): Promise<string>
  close(): Promise<void>
}

/**
 * A minimal issuer on a loopback port: OIDC discovery and a JWKS with a freshly generated key, so that
 * `verifyToken`, `decodeToken` and `isValid` check its tokens on their real path (signature, iss, aud, exp).
 * Its token endpoint refuses every grant (`invalid_grant`), so a refresh fails as it would at Auth0.
 */
export async function createTestIssuer(options: TestIssuerOptions): Promise<TestIssuer> {
  refuseInProduction('createTestIssuer')
  const now = options.now ?? Date.now
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const kid = randomUUID()
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] }
  let issuer = ''
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', issuer).pathname
    const send = (status: number, body: unknown) =>
      response
        .writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
        .end(JSON.stringify(body))
    request.resume()
    if (path === '/.well-known/openid-configuration') return send(200, discovery(issuer))
    if (path === '/.well-known/jwks.json') return send(200, jwks)
    if (path === '/oauth/token')
      return send(400, { error: 'invalid_grant', error_description: 'The test issuer issues no tokens' })
    if (path === '/oauth/revoke') return send(200, {})
    return send(404, { error: 'not_found' })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const domain = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  issuer = `${domain}/`

  const sign = (
    claims: JWTPayload,
    typ: string,
    audience: string | string[],
    tokenOptions: TestTokenOptions,
  ) => {
    const iat = Math.floor(now() / 1000)
    return new SignJWT({ sub: 'auth0|test-user', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid, typ })
      .setIssuer(issuer)
      .setAudience(tokenOptions.audience ?? audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (tokenOptions.expiresIn ?? 3600))
      .sign(privateKey)
  }

  return {
    domain,
    issuer,
    createTestIdToken: (claims = {}, tokenOptions = {}) =>
      sign(claims, 'JWT', options.clientID, tokenOptions),
    createTestAccessToken: (claims = {}, tokenOptions = {}) => {
      const audience = tokenOptions.audience ?? options.audience
      if (!audience) throw new TypeError('createTestAccessToken: give the issuer (or the token) an audience')
      return sign(claims, 'at+jwt', audience, tokenOptions)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

function discovery(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}authorize`,
    token_endpoint: `${issuer}oauth/token`,
    revocation_endpoint: `${issuer}oauth/revoke`,
    userinfo_endpoint: `${issuer}userinfo`,
    end_session_endpoint: `${issuer}oidc/logout`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  }
}

function refuseInProduction(helper: string): void {
  if (process.env.NODE_ENV === 'production')
    throw new Error(`${helper} is a test helper and refuses to run with NODE_ENV=production`)
}

/** `userFromClaims` in reverse: the profile's camelCase fields back under their claim names. */
const claimNames: Record<string, string> = {
  id: 'sub',
  givenName: 'given_name',
  familyName: 'family_name',
  emailVerified: 'email_verified',
  updatedAt: 'updated_at',
  orgId: 'org_id',
  orgName: 'org_name',
}

function claimsFromUser(user: UserProfile): JWTPayload & { sub: string } {
  const claims = Object.entries(user)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [claimNames[name] ?? name, value])
  return { ...Object.fromEntries(claims), sub: user.id }
}

/** What a browser sends back: the `name=value` part of each Set-Cookie, deletions left out. */
function cookieHeader(setCookies: string[]): string {
  return setCookies
    .map((cookie) => cookie.split(';')[0]!.trim())
    .filter((pair) => pair.slice(pair.indexOf('=') + 1) !== '')
    .join('; ')
}
