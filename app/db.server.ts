import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import { DEFAULT_DATABASE_URL, databaseEngine, sqliteFilePath } from '../prisma/database-url.mjs'
import { PrismaClient as PostgresqlClient } from './generated/postgresql/client'
import { PrismaClient as SqliteClient } from './generated/sqlite/client'

/**
 * The app's Prisma client. Both generated clients have the same models (prisma/sqlite and prisma/postgresql are
 * kept identical), so the app is typed against the SQLite one and the PostgreSQL one is used through that type.
 */
export type Db = SqliteClient

const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL

export const dbEngine: 'sqlite' | 'postgresql' = databaseEngine(databaseUrl)

const SQLITE_BUSY_TIMEOUT_MS = 5000
const POSTGRESQL_POOL_SIZE = Number(process.env.DATABASE_POOL_SIZE) || 10

function sqliteAdapter(file: string): PrismaBetterSQLite3 {
  const factory = new PrismaBetterSQLite3({ url: file, timeout: SQLITE_BUSY_TIMEOUT_MS })
  const connect = factory.connect.bind(factory)
  factory.connect = async () => {
    const adapter = await connect()
    // WAL lets readers run alongside the writer; with a busy timeout concurrent writers queue instead of failing
    // with SQLITE_BUSY. synchronous=NORMAL is durable against crashes in WAL mode and much faster than FULL.
    await adapter.executeScript(
      `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL;`,
    )
    return adapter
  }
  return factory
}

/** A new client for `databaseUrl` (engine chosen by its scheme). Tests use it to reach their own database. */
export function createDb(url: string): Db {
  if (databaseEngine(url) === 'sqlite')
    return new SqliteClient({ adapter: sqliteAdapter(sqliteFilePath(url)) })
  const adapter = new PrismaPg({ connectionString: url, max: POSTGRESQL_POOL_SIZE })
  return new PostgresqlClient({ adapter }) as unknown as Db
}

// `remix dev` re-imports the server build on every change; keeping the client on globalThis stops each rebuild
// from opening another pool.
const globalForDb = globalThis as typeof globalThis & { __appDb?: Db }

function appDb(): Db {
  return (globalForDb.__appDb ??= createDb(databaseUrl))
}

/** The app's client, created on first use so that importing this module never opens a database. */
export const db: Db = new Proxy({} as Db, {
  get(_, property) {
    const client = appDb()
    const value = Reflect.get(client, property, client)
    return typeof value === 'function' ? value.bind(client) : value
  },
})

/** Names a database failure for logs: the error class and driver code only, never a query, URL or value. */
export function describeDbError(error: unknown): string {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown }
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return (
    [name, code, cause].filter((part) => typeof part === 'string' && part.length < 64).join(' ') || 'error'
  )
}

/**
 * Thrown (Remix style) when the database cannot answer: the app's ErrorBoundary renders a friendly 503 page and
 * the process keeps serving, so it recovers by itself once the database is back.
 */
export function databaseUnavailable(): Response {
  return new Response('The service is temporarily unavailable. Please try again in a moment.', {
    status: 503,
    statusText: 'Service Unavailable',
    headers: { 'Retry-After': '5', 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8' },
  })
}

/** A cheap round trip for `/healthz`; throws (with a log-safe message) when the database is unreachable. */
export async function checkDb(): Promise<void> {
  try {
    await db.$queryRawUnsafe('SELECT 1')
  } catch (error) {
    throw new Error(`database unavailable (${describeDbError(error)})`)
  }
}
