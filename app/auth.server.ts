import { Auth0RemixServer, SessionStrategy } from '~/lib/auth0'
import { env } from '~/env.server'
import { getSessionStorage } from '~/sessions.server'

/** The stack's one authenticator: Server strategy on the Prisma session store. */
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
    store: getSessionStorage(),
    key: 'user',
    strategy: SessionStrategy.Server,
  },
  secrets: env.SESSION_SECRETS,
})
