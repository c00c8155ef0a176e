/**
 * Session store latency, also part of `npm run bench`; alone: `npx tsx bench/session-store.ts`. For SQLite (temp
 * file) and PostgreSQL (a throwaway database on the server test/support/postgres.ts finds or starts), times getSession from a cookie (one
 * indexed read) and commitSession of a changed session (one versioned UPDATE ... RETURNING), against a baseline
 * running the same loop on an in-memory store (cookie signing and Remix overhead, no database).
 */
import { pathToFileURL } from 'node:url'
import { createCookie, createSessionStorage, type SessionStorage } from '@remix-run/node'
import { createDb } from '~/db.server'
import { createPrismaSessionStorage } from '~/session-store.server'
import { createTestDatabase, type Engine } from '../test/sessions/databases'
import { startTestPostgres } from '../test/support/postgres'

const WARMUP = 100
const SECRETS = ['bench-secret-0123456789abcdef0123456789']

export type Figures = Record<string, number>

function percentile(sortedMs: number[], fraction: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil(fraction * sortedMs.length) - 1)]!
}

async function time(iterations: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await run(i)
  const samples: number[] = []
  for (let i = 0; i < iterations; i++) {
    const start = performance.now()
    await run(i)
    samples.push(performance.now() - start)
  }
  return samples.sort((a, b) => a - b)
}

async function measure(storage: SessionStorage, label: string, figures: Figures, iterations: number) {
  const cookies: string[] = []
  for (let i = 0; i < iterations + WARMUP; i++) {
    const session = await storage.getSession()
    session.set('user', { sub: `auth0|bench-${i}`, sid: `sid-${i}`, claims: { name: 'Bench User' } })
    cookies.push((await storage.commitSession(session)).split(';')[0]!)
  }
  const reads = await time(iterations, (i) => storage.getSession(cookies[i]))

  const session = await storage.getSession(cookies[0])
  const writes = await time(iterations, (i) => {
    session.set('counter', i)
    return storage.commitSession(session)
  })

  for (const [kind, samples] of [
    ['read', reads],
    ['write', writes],
  ] as const) {
    figures[`session_${kind}_${label}_median_ms`] = percentile(samples, 0.5)
    figures[`session_${kind}_${label}_p99_ms`] = percentile(samples, 0.99)
  }
}

function inMemoryStorage(): SessionStorage {
  const rows = new Map<string, string>()
  let next = 0
  return createSessionStorage({
    cookie: createCookie('__session', { secrets: SECRETS, httpOnly: true, sameSite: 'lax', path: '/' }),
    createData: async (data) => {
      const id = String(next++)
      rows.set(id, JSON.stringify(data))
      return id
    },
    readData: async (id) => JSON.parse(rows.get(id) ?? 'null'),
    updateData: async (id, data) => void rows.set(id, JSON.stringify(data)),
    deleteData: async (id) => void rows.delete(id),
  })
}

/** Median and p99 of session reads and writes (ms) for the in-memory baseline, SQLite and PostgreSQL. */
export async function measureSessionStore(iterations = 1000): Promise<Figures> {
  const figures: Figures = {}
  await measure(inMemoryStorage(), 'baseline', figures, iterations)
  for (const engine of ['sqlite', 'postgresql'] satisfies Engine[]) {
    const database = await createTestDatabase(engine)
    const db = createDb(database.url)
    try {
      await measure(
        createPrismaSessionStorage({ db, secrets: SECRETS, secure: true }),
        engine,
        figures,
        iterations,
      )
    } finally {
      await db.$disconnect()
      await database.drop()
    }
  }
  return Object.fromEntries(Object.entries(figures).map(([name, ms]) => [name, Number(ms.toFixed(3))]))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const iterations = Number(process.env.BENCH_ITERATIONS) || 1000
  const postgres = await startTestPostgres()
  process.env.TEST_POSTGRES_URL = postgres.url
  const figures = await measureSessionStore(iterations).finally(() => postgres.stop())
  for (const [name, ms] of Object.entries(figures)) console.log(`${name}: ${ms}`)
  console.log(JSON.stringify({ iterations, ...figures }))
}
