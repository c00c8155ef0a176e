import type { loader as dashboardLoader } from './dashboard'

/**
 * `npm run bench`'s baseline: the dashboard's own component, headers and meta with fixed data and no auth, so that
 * req/s here ÷ req/s on /dashboard is what auth costs. Not found unless BENCH_ROUTES=true.
 */
export { default, headers, meta } from './dashboard'

type DashboardData = Awaited<ReturnType<typeof dashboardLoader>>

const signedInAt = Date.UTC(2026, 0, 1)

// The shape of a real session of the emulator's alice@example.com, so both pages render the same markup.
const fixedData: DashboardData = {
  user: {
    id: 'auth0|alice',
    name: 'Alice Liddell',
    nickname: 'alice',
    email: 'alice@example.com',
    emailVerified: true,
    picture: 'http://127.0.0.1:3334/avatars/alice.svg',
  },
  claims: {
    iss: 'http://127.0.0.1:3334/',
    aud: 'stack-test-client',
    sub: 'auth0|alice',
    name: 'Alice Liddell',
    given_name: 'Alice',
    family_name: 'Liddell',
    nickname: 'alice',
    updated_at: '2026-01-01T00:00:00.000Z',
    email: 'alice@example.com',
    email_verified: true,
    picture: 'http://127.0.0.1:3334/avatars/alice.svg',
    sid: 'bench-sid',
    auth_time: signedInAt / 1000,
    iat: signedInAt / 1000,
    exp: signedInAt / 1000 + 36_000,
  },
  authenticatedAt: signedInAt,
  accessTokenExpiresAt: signedInAt + 86_400_000,
  lastRefreshedAt: null,
  // What the Server strategy lists for a user signed in on one device.
  sessions: [{ key: '0', current: true, createdAt: signedInAt, lastActiveAt: signedInAt }],
}

export function loader(): DashboardData {
  if (process.env.BENCH_ROUTES !== 'true') throw new Response('Not found', { status: 404 })
  return fixedData
}
