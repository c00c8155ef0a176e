import { Auth0RemixServer, SessionStrategy, type Credentials } from '../../../app/lib/auth0'
import { getSessionStorage, setup } from './sessionStorage.server'

/** What credentialsCallback received last, per user: the token helpers route verifies these. */
export const latestCredentials = new Map<string, Credentials>()

// The original README's step 1, with its four variables. The strategy line is its "Session Storage Strategies".
export const authenticator = new Auth0RemixServer({
  clientDetails: {
    domain: process.env.AUTH0_DOMAIN!,
    clientID: process.env.AUTH0_CLIENT_ID!,
    clientSecret: process.env.AUTH0_CLIENT_SECRET!,
    usePost: true, // optional, defaults to true
  },
  callbackURL: `${process.env.APP_DOMAIN}/auth/callback`,
  refreshTokenRotationEnabled: true,
  failedLoginRedirect: '/',
  session:
    setup === 'opt-out'
      ? undefined
      : {
          store: getSessionStorage(),
          strategy: setup === 'server' ? SessionStrategy.Server : SessionStrategy.Browser,
          key: 'user', //optional
        },
  credentialsCallback: (credentials, user) => {
    // this gets called upon a successful callback or a credentials refresh event
    latestCredentials.set(user.id, credentials)
  },
})
