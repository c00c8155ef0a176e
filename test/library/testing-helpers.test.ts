import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { location, responseOf } from '../support/browser'
import { createTestClock, type TestClock } from '../support/clock'
import { createTestDatabase, type TestDatabase } from '../sessions/databases'
import { createDb, type Db } from '~/db.server'
import {
  Auth0RemixServer,
  createBrowserSessionStorage,
  SessionStrategy,
  Token,
  TokenError,
  TokenErrorCode,
  type Auth0RemixServerOptions,
} from '~/lib/auth0'
import { createTestIssuer, createTestSession, type TestIssuer } from '~/lib/auth0/testing.server'
import { createPrismaSessionStorage } from '~/session-store.server'

const secret = 'testing-helpers-secret-0123456789abcdef'
const clientID = 'testing-helpers-client'
const audience = 'https://api.example.com/'
// Nothing listens there: the helpers must work with no Auth0 at all.
const noAuth0 = 'http://127.0.0.1:9'

const alice = {
  id: 'auth0|alice',
  name: 'Alice Example',
  givenName: 'Alice',
  email: 'alice@example.com',
  emailVerified: true,
  'https://example.com/roles': ['admin'],
}

let database: TestDatabase
let db: Db
beforeAll(async () => {
  database = await createTestDatabase('sqlite')
  db = createDb(database.url)
})
afterAll(async () => {
  await db?.$disconnect()
  await database?.drop()
})
afterEach(() => vi.unstubAllEnvs())

function authenticator(
  store: NonNullable<Auth0RemixServerOptions['session']>['store'],
  strategy: SessionStrategy,
  clock: TestClock,
  domain = noAuth0,
) {
  return new Auth0RemixServer({
    clientDetails: { domain, clientID, clientSecret: 'testing-helpers-client-secret', audience },
    callbackURL: 'http://localhost:3000/auth/callback',
    failedLoginRedirect: '/login',
    session: { store, key: 'user', strategy },
    secrets: [secret],
    absoluteSessionLifetimeSeconds: 3600,
    logger: { warn: () => undefined },
    now: clock.now,
  })
}

const request = (cookie: string, path = '/dashboard') =>
  new Request(`http://localhost:3000${path}`, { headers: { Cookie: cookie } })

const strategies = [
  {
    name: 'Server (Prisma store on SQLite)',
    strategy: SessionStrategy.Server,
    store: () => createPrismaSessionStorage({ db, secrets: [secret], secure: false }),
  },
  {
    name: 'Browser (encrypted cookie)',
    strategy: SessionStrategy.Browser,
    store: () => createBrowserSessionStorage({ secrets: [secret], secure: false }),
  },
]

describe.each(strategies)('createTestSession, $name strategy', ({ strategy, store }) => {
  it('gives a Cookie header that getUser, getSessionInfo and getAccessToken accept unchanged', async () => {
    const clock = createTestClock()
    const auth = authenticator(store(), strategy, clock)
    const cookie = await createTestSession(auth, {
      user: alice,
      claims: { acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' },
      accessToken: 'the-access-token',
    })
    expect(cookie).not.toContain('alice')
    expect(await auth.getUser(request(cookie))).toMatchObject(alice)
    const info = await auth.getSessionInfo(request(cookie))
    expect(info.claims).toMatchObject({ sub: 'auth0|alice', acr: expect.stringContaining('multi-factor') })
    expect(info.sessionExpiresAt).toBe(info.authenticatedAt + 3600_000)
    expect(await auth.getAccessToken(request(cookie))).toBe('the-access-token')
    if (strategy === SessionStrategy.Server) {
      // A real row in the app's store, indexed for revocation like a login's.
      expect(info.sessionId).toEqual(expect.any(String))
      const row = await db.session.findUniqueOrThrow({ where: { id: info.sessionId! } })
      expect(row.sub).toBe('auth0|alice')
    } else {
      expect(info.sessionId).toBeNull()
    }
  })

  it('falls due like a real session: an expired access token without refresh token means a new login', async () => {
    const clock = createTestClock()
    const auth = authenticator(store(), strategy, clock)
    const cookie = await createTestSession(auth, { user: alice, expiresAt: clock.now() + 120_000 })
    await auth.getUser(request(cookie))
    clock.advance(120_000)
    const response = await responseOf(() => auth.getUser(request(cookie, '/dashboard?tab=1')))
    expect(response.status).toBe(302)
    const target = location(response)
    expect(target.pathname).toBe('/login')
    expect(target.searchParams.get('returnTo')).toBe('/dashboard?tab=1')
    expect(target.searchParams.get('error')).toBe('session_expired')
  })

  it('ends at the session deadline whatever the access token says', async () => {
    const clock = createTestClock()
    const auth = authenticator(store(), strategy, clock)
    const cookie = await createTestSession(auth, {
      user: alice,
      refreshToken: 'unused',
      sessionExpiresAt: clock.now() + 60_000,
    })
    expect((await auth.getUser(request(cookie))).id).toBe('auth0|alice')
    clock.advance(60_000)
    expect(await auth.getUserOrNull(request(cookie))).toBeNull()
  })

  it('asks the real token endpoint when the token falls due with a refresh token (refused: logged out)', async () => {
    const clock = createTestClock()
    const issuer = await createTestIssuer({ clientID, now: clock.now })
    try {
      const auth = authenticator(store(), strategy, clock, issuer.domain)
      const cookie = await createTestSession(auth, {
        user: alice,
        refreshToken: 'not-known-to-the-issuer',
        expiresAt: clock.now() - 1000,
      })
      const target = location(await responseOf(() => auth.getUser(request(cookie))))
      expect(target.pathname).toBe('/login')
      expect(target.searchParams.get('error')).toBe('refresh_failed')
    } finally {
      await issuer.close()
    }
  })

  it('refuses a tampered cookie', async () => {
    const auth = authenticator(store(), strategy, createTestClock())
    const cookie = await createTestSession(auth, { user: alice })
    expect(await auth.getUserOrNull(request(cookie))).not.toBeNull()
    const at = Math.floor(cookie.length / 2)
    const tampered = cookie.slice(0, at) + (cookie[at] === 'A' ? 'B' : 'A') + cookie.slice(at + 1)
    expect(await auth.getUserOrNull(request(tampered))).toBeNull()
    // The same store under another secret (another app) does not accept it either.
    const other = new Auth0RemixServer({
      clientDetails: { domain: noAuth0, clientID, clientSecret: 'another-client-secret' },
      callbackURL: 'http://localhost:3000/auth/callback',
      failedLoginRedirect: '/login',
      session: {
        store:
          strategy === SessionStrategy.Server
            ? createPrismaSessionStorage({ db, secrets: ['another-secret-0123456789abcdef'], secure: false })
            : createBrowserSessionStorage({ secrets: ['another-secret-0123456789abcdef'], secure: false }),
        strategy,
      },
    })
    expect(await other.getUserOrNull(request(cookie))).toBeNull()
  })

  it('refuses to run with NODE_ENV=production', async () => {
    const auth = authenticator(store(), strategy, createTestClock())
    const rows = await db.session.count()
    vi.stubEnv('NODE_ENV', 'production')
    await expect(createTestSession(auth, { user: alice })).rejects.toThrow(/NODE_ENV=production/)
    // Nor does the authenticator's internal accessor, whoever calls it.
    expect(() => auth.testingAccess()).toThrow(/production/)
    expect(await db.session.count()).toBe(rows)
  })
})

describe('createTestSession input', () => {
  it('needs an authenticator with sessions and a user id', async () => {
    const clock = createTestClock()
    const withoutSessions = new Auth0RemixServer({
      clientDetails: { domain: noAuth0, clientID, clientSecret: 'x' },
      callbackURL: 'http://localhost:3000/auth/callback',
      failedLoginRedirect: '/login',
    })
    await expect(createTestSession(withoutSessions, { user: alice })).rejects.toThrow(/session/)
    const auth = authenticator(
      createBrowserSessionStorage({ secrets: [secret], secure: false }),
      SessionStrategy.Browser,
      clock,
    )
    await expect(createTestSession(auth, { user: { id: '' } })).rejects.toThrow(/user\.id/)
  })
})

describe('createTestIssuer', () => {
  let issuer: TestIssuer
  let auth: Auth0RemixServer
  beforeAll(async () => {
    issuer = await createTestIssuer({ clientID, audience })
    auth = new Auth0RemixServer({
      clientDetails: { domain: issuer.domain, clientID, clientSecret: 'x', audience },
      callbackURL: 'http://localhost:3000/auth/callback',
      failedLoginRedirect: '/login',
    })
  })
  afterAll(() => issuer?.close())

  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: unknown) => (error instanceof TokenError ? error.code : error),
    )

  it('signs ID and access tokens that verifyToken, decodeToken and isValid accept', async () => {
    const idToken = await issuer.createTestIdToken({ sub: 'auth0|alice', email: 'alice@example.com' })
    await auth.verifyToken(idToken, Token.ID)
    expect(await auth.decodeToken(idToken, Token.ID)).toMatchObject({
      iss: issuer.issuer,
      aud: clientID,
      sub: 'auth0|alice',
      email: 'alice@example.com',
    })
    const accessToken = await issuer.createTestAccessToken({ scope: 'read:messages' })
    expect(await auth.isValid(accessToken, Token.ACCESS, { requiredScopes: ['read:messages'] })).toBe(true)
    expect(await auth.isValid(accessToken, Token.ACCESS, { requiredScopes: ['write:messages'] })).toBe(false)
  })

  it('its tokens still fail every check they should: other key, wrong audience, expired, wrong type', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    // The trusted key's id on another key: only the signature tells them apart.
    const { kid } = decodeProtectedHeader(await issuer.createTestIdToken())
    const forged = await new SignJWT({ sub: 'auth0|mallory' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(issuer.issuer)
      .setAudience(clientID)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey)
    expect(await codeOf(auth.verifyToken(forged, Token.ID))).toBe(TokenErrorCode.invalid)
    const otherAudience = await issuer.createTestIdToken({}, { audience: 'another-client' })
    expect(await codeOf(auth.verifyToken(otherAudience, Token.ID))).toBe(TokenErrorCode.claimValidationFailed)
    const expired = await issuer.createTestIdToken({}, { expiresIn: -120 })
    expect(await codeOf(auth.verifyToken(expired, Token.ID))).toBe(TokenErrorCode.expired)
    // An ID token is not an access token for the API (its aud is the client).
    expect(await auth.isValid(await issuer.createTestIdToken(), Token.ACCESS)).toBe(false)
  })

  it('publishes discovery that oauth4webapi accepts, and a token endpoint that refuses every grant', async () => {
    const url = new URL(issuer.issuer)
    const metadata = await oauth.processDiscoveryResponse(
      url,
      await oauth.discoveryRequest(url, { algorithm: 'oidc', [oauth.allowInsecureRequests]: true }),
    )
    expect(metadata.jwks_uri).toBe(`${issuer.issuer}.well-known/jwks.json`)
    const refused = await fetch(metadata.token_endpoint!, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'anything' }),
    })
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' })
  })

  it('refuses to run with NODE_ENV=production', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    await expect(createTestIssuer({ clientID })).rejects.toThrow(/NODE_ENV=production/)
  })
})
