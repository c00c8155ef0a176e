import {
  Auth0RemixServer,
  AuthError,
  ConfigurationError,
  createBrowserSessionStorage,
  SessionStrategy,
} from '~/lib/auth0'
import { env } from '~/env.server'
import { getSessionStorage, sessionCookieName, startSessionCleanup } from '~/session-store.server'

const serverStrategy = env.SESSION_STRATEGY === 'server'

/**
 * The stack's one authenticator. Server strategy (default): the cookie holds a session id, the Prisma store holds
 * the rest. `SESSION_STRATEGY=browser`: the session in an encrypted (chunked) cookie; the database only lists
 * the sessions that were logged out.
 */
export const authenticator = new Auth0RemixServer({
  clientDetails: {
    domain: env.AUTH0_ORIGIN,
    clientID: env.AUTH0_CLIENT_ID,
    // env.server.ts lets exactly one of the two through.
    clientSecret: env.AUTH0_CLIENT_SECRET,
    clientAssertionSigningKey: env.AUTH0_CLIENT_ASSERTION_SIGNING_KEY,
    clientAssertionSigningAlg: env.AUTH0_CLIENT_ASSERTION_SIGNING_ALG,
    audience: env.AUTH0_AUDIENCE,
    organization: env.AUTH0_ORGANIZATION,
    usePost: env.AUTH0_RESPONSE_MODE !== 'query',
  },
  callbackURL: `${env.APP_DOMAIN}/auth/callback`,
  refreshTokenRotationEnabled: true,
  pushedAuthorizationRequests: env.AUTH0_PUSHED_AUTHORIZATION_REQUESTS,
  failedLoginRedirect: '/login',
  loginURL: '/login',
  session: {
    store: serverStrategy
      ? getSessionStorage()
      : createBrowserSessionStorage({
          secrets: env.SESSION_SECRETS,
          secure: env.SECURE_COOKIES,
          name: sessionCookieName(env.SECURE_COOKIES),
        }),
    key: 'user',
    strategy: serverStrategy ? SessionStrategy.Server : SessionStrategy.Browser,
    // Browser strategy: logged-out cookies are refused through the database's deny-list, on every instance.
    denyList: serverStrategy ? undefined : getSessionStorage(),
  },
  secrets: env.SESSION_SECRETS,
  useDPoP: env.AUTH0_USE_DPOP,
})

// Expired rows are also deleted when read; the sweep keeps abandoned ones (and old deny-list entries) from piling
// up. One timer per process, even when `remix dev` re-evaluates this module.
const cleanup = globalThis as typeof globalThis & { __sessionCleanup?: () => void }
if (env.NODE_ENV !== 'test')
  cleanup.__sessionCleanup ??= startSessionCleanup(getSessionStorage(), 15 * 60_000)

/** The library option behind each variable, for start-up errors that name what to change. */
const variableOf: Record<string, string> = {
  pushedAuthorizationRequests: 'AUTH0_PUSHED_AUTHORIZATION_REQUESTS',
  'clientDetails.clientAssertionSigningKey': 'AUTH0_CLIENT_ASSERTION_SIGNING_KEY',
}

/**
 * Start-up check (server.js, before listening): PAR and private_key_jwt must exist on the tenant, and the key must
 * import. A misconfiguration throws (the server exits naming the variable). Auth0 unreachable is only a warning:
 * the stack starts, and the library checks again at the first login (no crash loop while Auth0 is down).
 */
export async function checkAuth0Configuration(logger: Pick<Console, 'warn'> = console): Promise<void> {
  if (!env.AUTH0_PUSHED_AUTHORIZATION_REQUESTS && !env.AUTH0_CLIENT_ASSERTION_SIGNING_KEY) return
  try {
    await authenticator.checkConfiguration()
  } catch (error) {
    if (error instanceof ConfigurationError) {
      const variable = variableOf[error.option] ?? error.option
      throw new Error(`Invalid Auth0 configuration: ${variable}: ${error.message}`)
    }
    if (!(error instanceof AuthError)) throw error
    logger.warn(
      `[auth] Auth0 could not be reached at start-up (${error.code}); PAR and private_key_jwt are checked at the first login`,
    )
  }
}
