import { env } from '~/env.server'
import { ORGANIZATIONS_CLAIM } from '~/organizations'
import type { loader as dashboardLoader } from '~/routes/dashboard'

/**
 * GET /bench/dashboard, in the test build only (test/app/remix.config.js): `npm run bench`'s baseline, the
 * dashboard's own component, headers and meta with fixed data and no auth, so that req/s here ÷ req/s on
 * /dashboard is what auth costs.
 */
export { default, headers, meta } from '~/routes/dashboard'

type DashboardData = Awaited<ReturnType<typeof dashboardLoader>>

const signedInAt = Date.UTC(2026, 0, 1)

/** The shape of a real session of the emulator's alice@example.com, so both pages render the same markup. */
function aliceSession(): DashboardData {
  const issuer = `${env.AUTH0_ORIGIN}/`
  const picture = `${issuer}avatars/alice.svg`
  return {
    user: {
      id: 'auth0|alice',
      name: 'Alice Liddell',
      nickname: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
      picture,
    },
    claims: {
      iss: issuer,
      aud: env.AUTH0_CLIENT_ID,
      sub: 'auth0|alice',
      name: 'Alice Liddell',
      given_name: 'Alice',
      family_name: 'Liddell',
      nickname: 'alice',
      updated_at: '2026-01-01T00:00:00.000Z',
      email: 'alice@example.com',
      email_verified: true,
      picture,
      sid: 'bench-sid',
      auth_time: signedInAt / 1000,
      iat: signedInAt / 1000,
      exp: signedInAt / 1000 + 36_000,
      // The emulator's alice belongs to two organizations (dev/auth0-emulator/config.ts).
      [ORGANIZATIONS_CLAIM]: [
        { id: 'org_acme', name: 'acme', display_name: 'Acme Inc.' },
        { id: 'org_globex', name: 'globex', display_name: 'Globex Corporation' },
      ],
    },
    authenticatedAt: signedInAt,
    accessTokenExpiresAt: signedInAt + 86_400_000,
    lastRefreshedAt: null,
    // What the Server strategy lists for a user signed in on one device.
    sessions: [{ key: '0', current: true, createdAt: signedInAt, lastActiveAt: signedInAt }],
    organizations: {
      current: null,
      others: [
        { id: 'org_acme', name: 'acme', displayName: 'Acme Inc.' },
        { id: 'org_globex', name: 'globex', displayName: 'Globex Corporation' },
      ],
    },
    switchError: null,
  }
}

export function loader(): DashboardData {
  return aliceSession()
}
