import {
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTHeaderParameters,
  type JWTPayload,
  type FlattenedJWSInput,
} from 'jose'
import { Token } from './options'
import { AuthError, AuthErrorCode, TokenError, TokenErrorCode, toTokenError } from './errors'
import type { Issuer } from './client.server'
import type { IdTokenClaims } from './session.server'

interface TokenVerifierOptions {
  issuer: Issuer
  clientID: string
  /** The API identifier access tokens are expected to carry in `aud`. */
  audience?: string
  clockToleranceSeconds: number
  /** The authenticator's clock (`Auth0RemixServerOptions.now`). */
  now: () => number
}

export interface VerifyOptions {
  /** Overrides the expected `aud` (ACCESS: another API; ID: another client). */
  audience?: string
  /** ID tokens: the nonce sent to /authorize. */
  nonce?: string
  /** Checks `auth_time` is no older than this many seconds. */
  maxAgeSeconds?: number
  /** ACCESS: scopes that must all be granted. */
  requiredScopes?: string[]
}

/**
 * Signature and claim checks for Auth0's ID tokens (OIDC Core 3.1.3.7) and JWT access tokens (RFC 9068), with
 * jose. Only RS256 is accepted: `alg: none` and HS256-with-the-public-key fail the algorithm allow-list.
 */
export class TokenVerifier {
  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string, type: Token, options: VerifyOptions = {}): Promise<JWTPayload> {
    const { issuer, clientID, clockToleranceSeconds, now } = this.options
    // Without a configured API, access tokens are expected for the Management API, as the original library did.
    const audience =
      options.audience ??
      (type === Token.ID ? clientID : (this.options.audience ?? new URL('api/v2/', issuer.url).href))
    try {
      const { payload } = await jwtVerify(token, (header, input) => this.key(header, input), {
        issuer: issuer.url.href,
        audience,
        algorithms: ['RS256'],
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(now()),
        requiredClaims: type === Token.ID ? ['sub', 'iat', 'exp'] : ['sub', 'exp'],
      })
      // jose checks iat only together with maxTokenAge; a token from the future is forged or from a broken clock.
      if (typeof payload.iat === 'number' && payload.iat > now() / 1000 + clockToleranceSeconds) {
        fail('iat', 'Token issued in the future')
      }
      if (type === Token.ID) this.checkIdTokenClaims(payload, options)
      else this.checkAccessTokenClaims(payload, options)
      return payload
    } catch (error) {
      throw toTokenError(error)
    }
  }

  /** A login's or refresh's ID token: any failure is the library's `id_token_invalid`. */
  async verifyIdToken(idToken: string, options: VerifyOptions = {}): Promise<IdTokenClaims> {
    try {
      return (await this.verify(idToken, Token.ID, options)) as IdTokenClaims
    } catch (error) {
      throw new AuthError(AuthErrorCode.idTokenInvalid, 'The ID token failed validation', { cause: error })
    }
  }

  private checkIdTokenClaims(payload: JWTPayload, options: VerifyOptions): void {
    const { clientID, clockToleranceSeconds, now } = this.options
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
    if (audiences.length > 1 && payload.azp === undefined)
      fail('azp', 'ID token with several audiences lacks azp')
    if (payload.azp !== undefined && payload.azp !== clientID) fail('azp', 'ID token azp is not this client')
    if (options.nonce !== undefined && payload.nonce !== options.nonce)
      fail('nonce', 'ID token nonce mismatch')
    if (options.maxAgeSeconds !== undefined) {
      const authTime = payload.auth_time
      if (typeof authTime !== 'number') fail('auth_time', 'ID token lacks auth_time')
      const age = now() / 1000 - (authTime as number)
      if (age > options.maxAgeSeconds + clockToleranceSeconds) fail('auth_time', 'Authentication is too old')
    }
  }

  private checkAccessTokenClaims(payload: JWTPayload, options: VerifyOptions): void {
    if (!options.requiredScopes?.length) return
    const granted = new Set(typeof payload.scope === 'string' ? payload.scope.split(' ') : [])
    const missing = options.requiredScopes.filter((scope) => !granted.has(scope))
    if (missing.length) fail('scope', `Access token lacks scope ${missing.join(' ')}`)
  }

  /** The remote key set; while the JWKS endpoint is unreachable, the last key set fetched keeps working. */
  private async key(header: JWTHeaderParameters, input: FlattenedJWSInput) {
    const remote = this.options.issuer.jwks()
    try {
      return await remote(header, input)
    } catch (error) {
      const lastKnown = remote.jwks()
      const unreachable =
        !(error instanceof joseErrors.JWKSNoMatchingKey) &&
        !(error instanceof joseErrors.JWKSMultipleMatchingKeys) &&
        !(error instanceof joseErrors.JOSENotSupported)
      if (unreachable && lastKnown) return createLocalJWKSet(lastKnown)(header, input)
      throw error
    }
  }
}

function fail(claim: string, message: string): never {
  throw new TokenError(TokenErrorCode.claimValidationFailed, message, claim)
}
