import { createDb } from '~/db.server'

const TEMPLATE_ID = 'filler-template'
// About what a real session row holds (tokens, claims), so the table and its pages grow realistically.
const payload = JSON.stringify({ user: { padding: 'x'.repeat(2000) } })

/**
 * Adds `count` live sessions of other users (ids `filler-<from+i>`) to the database at `databaseUrl`. One
 * INSERT … SELECT copies a template row written by Prisma, so dates are stored exactly as the app stores them on
 * either engine, and 100k rows take seconds instead of a minute of createMany batches.
 */
export async function insertFillerSessions(databaseUrl: string, from: number, count: number): Promise<void> {
  const db = createDb(databaseUrl)
  const now = Date.now()
  try {
    await db.session.upsert({
      where: { id: TEMPLATE_ID },
      update: {},
      create: {
        id: TEMPLATE_ID,
        data: payload,
        expiresAt: new Date(now + 7 * 86_400_000),
        idleExpiresAt: new Date(now + 86_400_000),
        createdAt: new Date(now),
        updatedAt: new Date(now),
      },
    })
    const first = Math.trunc(from)
    const last = Math.trunc(from + count - 1)
    await db.$executeRawUnsafe(`
      INSERT INTO sessions (id, data, version, sub, sid, expires_at, idle_expires_at, created_at, updated_at)
      WITH RECURSIVE seq(n) AS (SELECT ${first} UNION ALL SELECT n + 1 FROM seq WHERE n < ${last})
      SELECT 'filler-' || n, t.data, 0, 'auth0|filler-' || (n % 5000), 'filler-sid-' || n,
             t.expires_at, t.idle_expires_at, t.created_at, t.updated_at
      FROM seq CROSS JOIN sessions t WHERE t.id = '${TEMPLATE_ID}'`)
    // Fresh planner statistics, as a table that grew over time would have.
    await db.$executeRawUnsafe('ANALYZE sessions')
  } finally {
    await db.$disconnect()
  }
}
