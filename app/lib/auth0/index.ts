export {
  AccessTokenError,
  Auth0RemixServer,
  type AccessTokenOptions,
  type CallbackResult,
  type SessionInfo,
  type StepUpRequirements,
} from './authenticator.server'
export { SessionStrategy, Token } from './constants'
export { AuthError, AuthErrorCode, safeErrorCode, TokenError, TokenErrorCode } from './errors'
export type {
  Auth0RemixServerOptions,
  AuthorizeOptions,
  ClientDetails,
  HandleCallbackOptions,
} from './options'
export {
  assertSameOrigin,
  isCrossOrigin,
  isLoopbackHost,
  isSecureContext,
  type HeaderReader,
} from './origins'
export { safeRedirect } from './redirects'
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
export type { Credentials, IdTokenClaims, UserProfile } from './user'
export {
  createBrowserSessionStorage,
  type BrowserSessionStorageOptions,
  type ChunkedSessionStorage,
} from './cookie-session.server'
