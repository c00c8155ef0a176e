import { e2eEnterpriseClientKey } from './enterprise-client-key'

/** Where the e2e servers listen (started by playwright.config.ts from the built app). */
export const e2eEmulator = {
  port: 3335,
  origin: 'http://127.0.0.1:3335',
  clientId: 'remix-stack-e2e',
  clientSecret: 'remix-stack-e2e-client-secret-0123456789',
} as const

export const e2eApps = {
  /** The default: Auth0 POSTs the code back (response_mode=form_post). */
  formPost: { port: 3100, origin: 'http://localhost:3100', responseMode: 'form_post' },
  /** The code comes back in the query string. */
  query: { port: 3101, origin: 'http://localhost:3101', responseMode: 'query' },
  /** SESSION_STRATEGY=browser: the session lives in an encrypted cookie (the headline flow runs here too). */
  browser: { port: 3103, origin: 'http://localhost:3103', responseMode: 'form_post' },
  /** PAR + private_key_jwt + DPoP together, against an application that requires all three (e2eEnterpriseClient). */
  enterprise: { port: 3104, origin: 'http://localhost:3104', responseMode: 'form_post' },
  /** Its database never answers: every page that reads a session fails with a 503. */
  databaseDown: { port: 3102, origin: 'http://localhost:3102', responseMode: 'query' },
} as const

export const e2eSessionSecret = 'e2e-session-secret-0123456789abcdef0123456789'

/**
 * The enterprise app's own emulator application: it requires PAR, accepts only private_key_jwt with the
 * registered (test-only) public key (it has no client secret at all) and issues no token without a DPoP proof.
 */
export const e2eEnterpriseClient = {
  clientId: 'remix-stack-e2e-enterprise',
  redirectUris: [`${e2eApps.enterprise.origin}/auth/callback`],
  logoutUrls: [e2eApps.enterprise.origin, `${e2eApps.enterprise.origin}/`],
  backchannelLogoutUri: `${e2eApps.enterprise.origin}/auth/backchannel-logout`,
  tokenEndpointAuthMethod: 'private_key_jwt',
  jwks: { keys: [e2eEnterpriseClientKey.publicJwk] },
  requirePushedAuthorizationRequests: true,
  dpopBoundAccessTokens: true,
} as const

/** The enterprise app's settings on top of the common ones, in one place. */
export const e2eEnterpriseEnv = {
  AUTH0_CLIENT_ID: e2eEnterpriseClient.clientId,
  // Unset (empty means unset): the app authenticates with the key only.
  AUTH0_CLIENT_SECRET: '',
  AUTH0_CLIENT_ASSERTION_SIGNING_KEY: e2eEnterpriseClientKey.privateKeyPem,
  AUTH0_CLIENT_ASSERTION_SIGNING_ALG: e2eEnterpriseClientKey.alg,
  AUTH0_PUSHED_AUTHORIZATION_REQUESTS: 'true',
  AUTH0_USE_DPOP: 'true',
}
