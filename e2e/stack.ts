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
  /** Its database never answers: every page that reads a session fails with a 503. */
  databaseDown: { port: 3102, origin: 'http://localhost:3102', responseMode: 'query' },
} as const

/** AUTH0_USE_DPOP=true, with its own application at the emulator (registered with dpop_bound_access_tokens). */
export const e2eDPoP = {
  app: { port: 3105, origin: 'http://localhost:3105', responseMode: 'form_post' },
  clientId: 'remix-stack-e2e-dpop',
  clientSecret: 'remix-stack-e2e-dpop-client-secret-0123456789',
} as const

export const e2eSessionSecret = 'e2e-session-secret-0123456789abcdef0123456789'
