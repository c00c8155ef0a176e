import { Auth0RemixServer, createBrowserSessionStorage, SessionStrategy } from '~/lib/auth0'
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
    clientSecret: env.AUTH0_CLIENT_SECRET,
    audience: env.AUTH0_AUDIENCE,
    organization: env.AUTH0_ORGANIZATION,
    usePost: env.AUTH0_RESPONSE_MODE !== 'query',
  },
  callbackURL: `${env.APP_DOMAIN}/auth/callback`,
  refreshTokenRotationEnabled: true,
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
