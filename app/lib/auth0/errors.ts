import { errors as joseErrors } from 'jose'

/** The seed's verification error codes (they are jose's codes, kept stable for callers). */
export const TokenErrorCode = {
  claimValidationFailed: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
  expired: 'ERR_JWT_EXPIRED',
  invalid: 'ERR_JWT_INVALID',
  noMatchingKey: 'ERR_JWKS_NO_MATCHING_KEY',
  multipleMatchingKeys: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
} as const
export type TokenErrorCode = (typeof TokenErrorCode)[keyof typeof TokenErrorCode]

/** Thrown by `verifyToken` and `decodeToken`; `code` is one of the seed's five codes. */
export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
    /** For claim failures: the claim that failed (e.g. `aud`, `nonce`). */
    readonly claim?: string,
  ) {
    super(message)
    this.name = 'TokenError'
  }
}

/** Folds jose's many error classes into the seed's five codes. */
export function toTokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error
  if (error instanceof joseErrors.JWTExpired)
    return new TokenError(TokenErrorCode.expired, error.message, error.claim)
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return new TokenError(TokenErrorCode.claimValidationFailed, error.message, error.claim)
  if (error instanceof joseErrors.JWKSNoMatchingKey)
    return new TokenError(TokenErrorCode.noMatchingKey, error.message)
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys)
    return new TokenError(TokenErrorCode.multipleMatchingKeys, error.message)
  const message = error instanceof Error ? error.message : 'Invalid token'
  return new TokenError(TokenErrorCode.invalid, message)
}

/**
 * Every code the library gives an `AuthError`: the ones put in `?error=` on failure redirects, and two that are
 * only logged as warnings. Auth0's own codes (access_denied, login_required, …) are passed through as they come.
 */
export const AuthErrorCode = {
  missingState: 'missing_state',
  invalidState: 'invalid_state',
  invalidRequest: 'invalid_request',
  auth0Down: 'auth0_down',
  tokenExchangeFailed: 'token_exchange_failed',
  idTokenInvalid: 'id_token_invalid',
  sessionExpired: 'session_expired',
  /** A cookie session store cannot hold the tokens (over 4 KB): use the Server strategy or the chunked store. */
  sessionTooLarge: 'session_too_large',
  refreshFailed: 'refresh_failed',
  /** `requireAuth`: the authentication is too old or lacks the `acr` asked for. */
  reauthenticationRequired: 'reauthentication_required',
  orgMismatch: 'org_mismatch',
  /** An organization switch came back for another user (Auth0's session changed hands): nothing is switched. */
  accountMismatch: 'account_mismatch',
  unknown: 'unknown_error',
  /** The tenant lacks a feature the options turn on (PAR, private_key_jwt): see `checkConfiguration`. */
  configurationError: 'configuration_error',
  /** Logged, never redirected with: a refreshed Browser-strategy cookie that no `applyHeaders` call sent. */
  cookieNotSent: 'cookie_not_sent',
  /** Logged, never redirected with: `refreshTokenRotationEnabled` disagrees with what the tenant does. */
  rotationMismatch: 'rotation_mismatch',
} as const
export type AuthErrorCode = (typeof AuthErrorCode)[keyof typeof AuthErrorCode]

/** An authentication failure with a code that is safe to show in a URL (never a secret, never a token). */
export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode | (string & {}),
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'AuthError'
  }
}

/**
 * The options ask for something the tenant does not offer, or a setting is unusable (a key that does not import).
 * `option` names the option so an app can name its own setting; the message never holds a secret or key.
 */
export class ConfigurationError extends Error {
  constructor(
    readonly option: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'ConfigurationError'
  }
}

/** Auth0 error codes look like `access_denied`; anything else is reduced to a generic code. */
export function safeErrorCode(code: string | null | undefined): string {
  return code && /^[a-z0-9_]{1,64}$/.test(code) ? code : AuthErrorCode.unknown
}

/** How the library reports what it survived: a message and the error's code or class, never its text. */
export type Warn = (message: string, error: unknown) => void

export function warnTo(logger: Pick<Console, 'warn'>): Warn {
  return (message, error) => {
    const detail = error instanceof AuthError ? error.code : error instanceof Error ? error.name : 'error'
    logger.warn(`[auth0-remix-server] ${message} (${detail})`)
  }
}
