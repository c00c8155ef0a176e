// The tenant and the calls to it: discovery and keys (Issuer), then the OAuth exchanges through oauth4webapi
// (OAuthClient): code, refresh, revocation, userinfo.
import { createRemoteJWKSet, importPKCS8 } from 'jose'
import * as oauth from 'oauth4webapi'
import { withDPoPNonceRetry } from './dpop.server'
import { AuthError, AuthErrorCode, ConfigurationError, safeErrorCode } from './errors'
import type { ClientAssertionSigningAlg } from './options'
import { isLoopbackHost } from './origins'
import type { Credentials } from './session.server'
import type { LoginTransaction } from './transaction.server'

interface IssuerOptions {
  /** `tenant.us.auth0.com`, `https://tenant.us.auth0.com` or, for the local emulator, `http://127.0.0.1:3334`. */
  domain: string
  /** Milliseconds before a call to Auth0 is abandoned. */
  timeoutMs: number
  /** How long discovery metadata is trusted before it is fetched again. */
  metadataMaxAgeMs?: number
  /** The authenticator's clock (`Auth0RemixServerOptions.now`). */
  now: () => number
}

/** Auth0's issuer is the tenant origin with a trailing slash; plain http is allowed only on loopback. */
export function issuerFromDomain(domain: string): URL {
  const withScheme = /^https?:\/\//i.test(domain) ? domain : `https://${domain}`
  const url = new URL(withScheme)
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(`Auth0 domain must use https (got ${url.origin})`)
  }
  return new URL(`${url.origin}/`)
}

/**
 * The authorization server's metadata (discovery, cached) and its key set (jose's remote JWKS: cached, refetched
 * once on an unknown `kid`, so key rotation needs no restart).
 */
export class Issuer {
  readonly url: URL
  readonly insecure: boolean
  private metadata?: { value: oauth.AuthorizationServer; fetchedAt: number }
  private pending?: Promise<oauth.AuthorizationServer>
  private keySet?: ReturnType<typeof createRemoteJWKSet>

  constructor(private readonly options: IssuerOptions) {
    this.url = issuerFromDomain(options.domain)
    this.insecure = this.url.protocol === 'http:'
  }

  /** Options every oauth4webapi HTTP call gets: a timeout, and http permission for a loopback emulator. */
  httpOptions(): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean } {
    return {
      signal: AbortSignal.timeout(this.options.timeoutMs),
      [oauth.allowInsecureRequests]: this.insecure,
    }
  }

  async authorizationServer(): Promise<oauth.AuthorizationServer> {
    const maxAge = this.options.metadataMaxAgeMs ?? 60 * 60 * 1000
    if (this.metadata && this.options.now() - this.metadata.fetchedAt < maxAge) return this.metadata.value
    this.pending ??= this.discover().finally(() => (this.pending = undefined))
    try {
      return await this.pending
    } catch (error) {
      // A stale copy beats an outage: Auth0's metadata hardly ever changes.
      if (this.metadata) return this.metadata.value
      throw error
    }
  }

  /** jose times its key-set cache and refetch cooldown with the real clock (it takes no clock of ours). */
  jwks(): ReturnType<typeof createRemoteJWKSet> {
    this.keySet ??= createRemoteJWKSet(new URL('.well-known/jwks.json', this.url), {
      timeoutDuration: this.options.timeoutMs,
      // An unknown kid refetches the key set at most this often (key rotation vs. random-kid floods).
      cooldownDuration: 5_000,
      cacheMaxAge: 10 * 60_000,
    })
    return this.keySet
  }

  private async discover(): Promise<oauth.AuthorizationServer> {
    try {
      const response = await oauth.discoveryRequest(this.url, { ...this.httpOptions(), algorithm: 'oidc' })
      const value = await oauth.processDiscoveryResponse(this.url, response)
      this.metadata = { value, fetchedAt: this.options.now() }
      return value
    } catch (error) {
      throw new AuthError(AuthErrorCode.auth0Down, 'Auth0 discovery failed', { cause: error })
    }
  }
}

interface ClientOptions {
  clientID: string
  /** Exactly one of clientSecret and clientAssertionSigningKey (checked by the authenticator). */
  clientSecret?: string
  clientAssertionSigningKey?: string | CryptoKey
  clientAssertionSigningAlg?: ClientAssertionSigningAlg
  /** RFC 9126: `authorizationUrl` pushes the request first and returns a URL with only client_id and request_uri. */
  pushedAuthorizationRequests?: boolean
  clockToleranceSeconds: number
  /** The authenticator's clock (`Auth0RemixServerOptions.now`). */
  now: () => number
}

/** A token endpoint answer, with the ID token's claims already checked by oauth4webapi (iss, aud, azp, exp, iat, nonce). */
export interface TokenSet {
  response: oauth.TokenEndpointResponse
  idTokenClaims?: oauth.IDToken
}

/** The OAuth 2.0 / OIDC exchanges, done by oauth4webapi (client_secret_post or private_key_jwt, PKCE S256). */
export class OAuthClient {
  private readonly client: oauth.Client
  private auth?: Promise<oauth.ClientAuth>
  private readonly now: () => number
  readonly usesPrivateKeyJwt: boolean
  readonly pushed: boolean

  constructor(
    private readonly issuer: Issuer,
    private readonly options: ClientOptions,
  ) {
    this.now = options.now
    this.client = {
      client_id: options.clientID,
      id_token_signed_response_alg: 'RS256',
      [oauth.clockTolerance]: options.clockToleranceSeconds,
    }
    this.usesPrivateKeyJwt = options.clientAssertionSigningKey !== undefined
    this.pushed = options.pushedAuthorizationRequests === true
  }

  /**
   * How every call that authenticates the client does it (code, refresh, revocation, PAR). A PEM key is imported
   * once, non-extractable, on first use; oauth4webapi signs a fresh assertion (jti, exp, aud = issuer) per call.
   */
  clientAuth(): Promise<oauth.ClientAuth> {
    const { clientAssertionSigningKey: key, clientSecret } = this.options
    if (key === undefined) return (this.auth ??= Promise.resolve(oauth.ClientSecretPost(clientSecret!)))
    this.auth ??= (async () => {
      if (typeof key !== 'string') return oauth.PrivateKeyJwt(key)
      const alg = this.options.clientAssertionSigningAlg ?? 'RS256'
      try {
        // Containers often pass a PEM on one line with literal \n.
        const pem = key.includes('\\n') ? key.replaceAll('\\n', '\n') : key
        return oauth.PrivateKeyJwt(await importPKCS8(pem, alg, { extractable: false }))
      } catch (error) {
        throw new ConfigurationError(
          'clientDetails.clientAssertionSigningKey',
          `clientDetails.clientAssertionSigningKey is not a PKCS#8 PEM private key usable with ${alg}`,
          { cause: error },
        )
      }
    })()
    // A key that does not import never will: the rejection is kept, every call gets the same ConfigurationError.
    return this.auth
  }

  /**
   * oauth4webapi checks the ID token's exp, iat and auth_time against its own reading of Date.now(). Its
   * documented `clockSkew` (whole seconds added to that reading) moves those checks to our clock, so they judge the
   * same moment as the rest of the library; the tolerance is untouched. With the default clock the skew is 0.
   */
  private clientNow(): oauth.Client {
    const skew = Math.floor(this.now() / 1000) - Math.floor(Date.now() / 1000)
    return { ...this.client, [oauth.clockSkew]: skew }
  }

  async authorizationUrl(parameters: Record<string, string | undefined>): Promise<URL> {
    const as = await this.issuer.authorizationServer()
    if (!as.authorization_endpoint) throw new AuthError(AuthErrorCode.auth0Down, 'No authorization endpoint')
    const url = new URL(as.authorization_endpoint)
    const given = Object.entries(parameters).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    )
    if (this.pushed) {
      // RFC 9126 §4: the browser carries only a reference; the request itself went to Auth0 authenticated.
      const { request_uri } = await this.pushAuthorizationRequest(as, new URLSearchParams(given))
      url.searchParams.set('client_id', this.client.client_id)
      url.searchParams.set('request_uri', request_uri)
      return url
    }
    for (const [name, value] of given) url.searchParams.set(name, value)
    return url
  }

  private async pushAuthorizationRequest(
    as: oauth.AuthorizationServer,
    parameters: URLSearchParams,
  ): Promise<oauth.PushedAuthorizationResponse> {
    if (!as.pushed_authorization_request_endpoint) {
      throw new ConfigurationError(
        'pushedAuthorizationRequests',
        'pushedAuthorizationRequests is on, but the tenant offers no pushed_authorization_request_endpoint',
      )
    }
    const auth = await this.clientAuth()
    try {
      const response = await oauth.pushedAuthorizationRequest(
        as,
        this.client,
        auth,
        parameters,
        this.issuer.httpOptions(),
      )
      return await oauth.processPushedAuthorizationResponse(as, this.client, response)
    } catch (error) {
      throw classifyTokenError(error)
    }
  }

  /** The client metadata without our clock skew (DPoP proofs are judged by the server's clock). */
  get metadata(): oauth.Client {
    return this.client
  }

  /** Validates the authorization response (state, error, iss) and redeems the code (with a DPoP proof if given). */
  async exchangeCode(
    parameters: URLSearchParams,
    transaction: LoginTransaction,
    dpop?: oauth.DPoPHandle,
  ): Promise<TokenSet> {
    const as = await this.issuer.authorizationServer()
    let callbackParameters: URLSearchParams
    for (const name of new Set(parameters.keys())) {
      if (parameters.getAll(name).length > 1) {
        throw new AuthError(AuthErrorCode.invalidRequest, `Parameter ${name} appears more than once`)
      }
    }
    try {
      callbackParameters = oauth.validateAuthResponse(as, this.client, parameters, transaction.state)
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        throw new AuthError(safeErrorCode(error.error), 'Auth0 returned an error', { cause: error })
      }
      throw new AuthError(AuthErrorCode.invalidRequest, 'Malformed authorization response', { cause: error })
    }
    const auth = await this.clientAuth()
    return this.tokenRequest(dpop, async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        this.client,
        auth,
        callbackParameters,
        transaction.redirectUri,
        transaction.codeVerifier,
        { ...this.issuer.httpOptions(), DPoP: dpop },
      )
      return oauth.processAuthorizationCodeResponse(as, this.clientNow(), response, {
        expectedNonce: transaction.nonce,
        maxAge: transaction.maxAge ?? oauth.skipAuthTimeCheck,
        requireIdToken: true,
      })
    })
  }

  async refresh(
    refreshToken: string,
    parameters?: Record<string, string>,
    dpop?: oauth.DPoPHandle,
  ): Promise<TokenSet> {
    const as = await this.issuer.authorizationServer()
    const auth = await this.clientAuth()
    return this.tokenRequest(dpop, async () => {
      const response = await oauth.refreshTokenGrantRequest(as, this.client, auth, refreshToken, {
        ...this.issuer.httpOptions(),
        additionalParameters: parameters,
        DPoP: dpop,
      })
      return oauth.processRefreshTokenResponse(as, this.clientNow(), response)
    })
  }

  async userInfo(
    accessToken: string,
    expectedSubject: string,
    dpop?: oauth.DPoPHandle,
  ): Promise<Record<string, unknown>> {
    const as = await this.issuer.authorizationServer()
    return withDPoPNonceRetry(dpop, async () => {
      const response = await oauth.userInfoRequest(as, this.client, accessToken, {
        ...this.issuer.httpOptions(),
        DPoP: dpop,
      })
      return { ...(await oauth.processUserInfoResponse(as, this.clientNow(), expectedSubject, response)) }
    })
  }

  /** Best effort: logout must finish even when Auth0 is unreachable. */
  async revoke(refreshToken: string): Promise<boolean> {
    try {
      const as = await this.issuer.authorizationServer()
      const response = await oauth.revocationRequest(as, this.client, await this.clientAuth(), refreshToken, {
        ...this.issuer.httpOptions(),
        additionalParameters: { token_type_hint: 'refresh_token' },
      })
      await oauth.processRevocationResponse(response)
      return true
    } catch {
      return false
    }
  }

  private async tokenRequest(
    dpop: oauth.DPoPHandle | undefined,
    run: () => Promise<oauth.TokenEndpointResponse>,
  ): Promise<TokenSet> {
    try {
      const response = await withDPoPNonceRetry(dpop, run)
      // RFC 9449 §5: asked for a bound token, a Bearer one is a downgrade (a tenant without DPoP, or an attacker).
      if (dpop && response.token_type !== 'dpop')
        throw new AuthError(AuthErrorCode.tokenExchangeFailed, 'Auth0 did not bind the access token (DPoP)')
      return { response, idTokenClaims: oauth.getValidatedIdTokenClaims(response) }
    } catch (error) {
      throw classifyTokenError(error)
    }
  }
}

/** oauth4webapi failures that mean the ID token (or its claims) did not pass validation. */
const idTokenChecks = new Set<string>([
  oauth.JWT_CLAIM_COMPARISON,
  oauth.JWT_TIMESTAMP_CHECK,
  oauth.JSON_ATTRIBUTE_COMPARISON,
  oauth.KEY_SELECTION,
  oauth.INVALID_RESPONSE,
  oauth.UNSUPPORTED_OPERATION,
])

/**
 * Sorts token endpoint failures into what the user can act on: Auth0 said no (invalid_grant, …), Auth0 is
 * unreachable or failing (5xx, timeout), or its answer failed validation (ID token checks).
 */
function classifyTokenError(error: unknown): AuthError {
  if (error instanceof AuthError) return error
  if (error instanceof oauth.ResponseBodyError) {
    // A second use_dpop_nonce, after a proof with the nonce it gave: the server is broken, not the grant.
    if (error.status >= 500 || error.error === 'use_dpop_nonce')
      return new AuthError(AuthErrorCode.auth0Down, 'Auth0 token endpoint failed', { cause: error })
    return new AuthError(safeErrorCode(error.error), 'Auth0 rejected the token request', { cause: error })
  }
  if (error instanceof oauth.OperationProcessingError) {
    const code = error.code
    if (code === oauth.RESPONSE_IS_NOT_CONFORM || code === oauth.RESPONSE_IS_NOT_JSON) {
      const status = (error.cause as Response | undefined)?.status ?? 0
      if (status >= 500 || status === 0)
        return new AuthError(AuthErrorCode.auth0Down, 'Auth0 token endpoint failed', { cause: error })
      return new AuthError(AuthErrorCode.tokenExchangeFailed, 'Unexpected token endpoint response', {
        cause: error,
      })
    }
    if (code && idTokenChecks.has(code)) {
      return new AuthError(AuthErrorCode.idTokenInvalid, 'The ID token failed validation', { cause: error })
    }
    return new AuthError(AuthErrorCode.tokenExchangeFailed, 'Unexpected token endpoint response', {
      cause: error,
    })
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new AuthError(AuthErrorCode.tokenExchangeFailed, 'Auth0 rejected the client', { cause: error })
  }
  // fetch failures, DNS, refused connections and timeouts
  return new AuthError(AuthErrorCode.auth0Down, 'Auth0 could not be reached', { cause: error })
}

/** The session's credentials from a token response (a login's, or a refresh's on top of `previous`). */
export function credentialsFrom(
  response: TokenSet['response'],
  previous: Credentials | undefined,
  now: number,
): Credentials {
  const expiresIn = response.expires_in ?? 0
  return {
    accessToken: response.access_token,
    // Without rotation Auth0 sends no new refresh token: keep the one we have.
    refreshToken: response.refresh_token ?? previous?.refreshToken,
    idToken: response.id_token ?? previous?.idToken,
    tokenType: response.token_type,
    scope: response.scope ?? previous?.scope,
    expiresIn,
    expiresAt: now + expiresIn * 1000,
    lastRefreshed: now,
  }
}
