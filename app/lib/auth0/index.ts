export {
  AccessTokenError,
  Auth0RemixServer,
  type AccessTokenOptions,
  type CallbackResult,
  type SessionInfo,
  type StepUpRequirements,
} from './authenticator.server'
export {
  AuthError,
  AuthErrorCode,
  ConfigurationError,
  safeErrorCode,
  TokenError,
  TokenErrorCode,
} from './errors'
export {
  clientAssertionSigningAlgs,
  SessionStrategy,
  Token,
  type Auth0RemixServerOptions,
  type AuthorizeOptions,
  type ClientAssertionSigningAlg,
  type ClientDetails,
  type HandleCallbackOptions,
} from './options'
export {
  assertSameOrigin,
  isCrossOrigin,
  isLoopbackHost,
  isSecureContext,
  safeRedirect,
  type HeaderReader,
} from './origins'
export type { AuthSession } from './session.server'
export {
  SESSION_VERSION_FIELD,
  SessionConflictError,
  type LogoutTokenReplayStore,
  type RefreshLeaseStore,
  type SessionDenyList,
  type SessionRevocationStore,
} from './store'
export type { VerifyOptions } from './tokens.server'
export type { Credentials, IdTokenClaims, UserProfile } from './session.server'
export {
  createBrowserSessionStorage,
  type BrowserSessionStorageOptions,
  type ChunkedSessionStorage,
} from './cookie-session.server'
export { DPoPRequestError } from './dpop.server'
