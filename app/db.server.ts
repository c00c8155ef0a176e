import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import Database from 'better-sqlite3'
import pg from 'pg'
import { databaseEngine, sqliteFilePath } from '../prisma/database-url.mjs'
import { env } from '~/env.server'
import { SessionConflictError } from '~/lib/auth0'
import { PrismaClient as PostgresqlClient } from './generated/postgresql/client'
import { PrismaClient as SqliteClient } from './generated/sqlite/client'

/**
 * Statements straight on the driver, each prepared once per connection: for the session store's hot paths (the
 * reads of every page view, the versioned write), where Prisma's per-call pipeline costs far more than the
 * statement (see bench/README.md). Writes stay in step with Prisma's by using `timestamp` for DateTime values.
 */
export interface DbDriver {
  /**
   * Runs one statement and returns its rows (a write returns rows only with RETURNING). Placeholders are `$1`,
   * `$2`, … each used once and in order (SQLite gets `?`). Timestamps come back as Date (PostgreSQL) or as the
   * stored text (SQLite): read them with `new Date(value)`.
   */
  query<Row>(sql: string, values: unknown[]): Promise<Row[]>
  /** `date` as this engine's DateTime columns hold it (as Prisma writes it): for values and comparisons. */
  timestamp(date: Date): string
}

/**
 * The app's Prisma client, plus `$driver`. Both generated clients have the same models (prisma/sqlite and
 * prisma/postgresql: test/sessions/schema-drift.test.ts), so the app is typed against the SQLite one and uses the
 * PostgreSQL one through that type (`asAppClient`).
 */
export type Db = SqliteClient & { $driver: DbDriver; $native: NativeConnection }

type Model = 'session' | 'usedLogoutToken' | 'rateLimit' | 'sessionDenial'
type Row<Client extends SqliteClient | PostgresqlClient, M extends Model> = Awaited<
  ReturnType<Client[M]['findFirstOrThrow']>
>
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
/** `true` only when every model's row is the same in both clients. */
type SameRows = { [M in Model]: Same<Row<SqliteClient, M>, Row<PostgresqlClient, M>> }[Model] extends true
  ? true
  : false

/**
 * TypeScript cannot relate the two clients' generic delegate types (separate declarations), but it can compare
 * what they return: callers pass `true`, which fails to compile as soon as a column differs between the clients.
 */
function asAppClient(client: SqliteClient | PostgresqlClient, _rowsMatch: SameRows): SqliteClient {
  return client as SqliteClient
}

/** The driver's own connection, for libraries that bring their SQL (the rate limiter's store). */
export type NativeConnection =
  { engine: 'postgresql'; pool: pg.Pool } | { engine: 'sqlite'; connection: () => Database.Database }

const SQLITE_BUSY_TIMEOUT_MS = 5000

// WAL lets readers run alongside the writer; with a busy timeout concurrent writers queue instead of failing with
// SQLITE_BUSY. synchronous=NORMAL is durable against crashes in WAL mode and much faster than FULL.
const SQLITE_PRAGMAS = [
  'PRAGMA journal_mode = WAL;',
  `PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS};`,
  'PRAGMA synchronous = NORMAL;',
].join(' ')

function sqliteAdapter(file: string): PrismaBetterSQLite3 {
  const factory = new PrismaBetterSQLite3({ url: file, timeout: SQLITE_BUSY_TIMEOUT_MS })
  const connect = factory.connect.bind(factory)
  factory.connect = async () => {
    const adapter = await connect()
    await adapter.executeScript(SQLITE_PRAGMAS)
    return adapter
  }
  return factory
}

export interface DbOptions {
  /** PostgreSQL: the most connections this client opens (Prisma and the driver's statements share them). */
  poolSize?: number
}

/** A new client for `url` (engine chosen by its scheme). Tests use it to reach their own database. */
export function createDb(url: string, options: DbOptions = {}): Db {
  return databaseEngine(url) === 'sqlite'
    ? createSqliteDb(sqliteFilePath(url))
    : createPostgresqlDb(url, options.poolSize ?? 10)
}

function createSqliteDb(file: string): Db {
  const client = new SqliteClient({ adapter: sqliteAdapter(file) })
  // The driver's own connection (WAL: its reads never wait for a writer); opened on first use, so a missing file
  // fails that request (503) rather than the import.
  let connection: Database.Database | undefined
  const open = () => {
    if (!connection) {
      connection = new Database(file, { fileMustExist: true, timeout: SQLITE_BUSY_TIMEOUT_MS })
      connection.exec(SQLITE_PRAGMAS)
    }
    return connection
  }
  const statements = new Map<string, Database.Statement>()
  const driver: DbDriver = {
    async query<Row>(sql: string, values: unknown[]) {
      let statement = statements.get(sql)
      if (!statement) statements.set(sql, (statement = open().prepare(sql.replace(/\$\d+/g, '?'))))
      if (!statement.reader) {
        statement.run(...values)
        return []
      }
      return statement.all(...values) as Row[]
    },
    // Prisma's better-sqlite3 adapter stores ISO 8601 text with an explicit offset; equal formats compare in order.
    timestamp: (date) => date.toISOString().replace('Z', '+00:00'),
  }
  return withDriver(client, driver, { engine: 'sqlite', connection: open }, () => {
    connection?.close()
    connection = undefined
    statements.clear()
  })
}

/** Prisma stores UTC in `timestamp without time zone`; pg would read it as local time. */
const utcTimestamps = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.TIMESTAMP
      ? (value: string) => new Date(`${value.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

function createPostgresqlDb(url: string, poolSize: number): Db {
  // One pool for Prisma and the driver's statements.
  const pool = new pg.Pool({ connectionString: url, max: poolSize })
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  const lost = (error: Error) => console.error(`Database connection lost (${describeDbError(error)})`)
  pool.on('error', lost)
  // The pool only listens on idle connections; one checked out (a transaction between statements) that the server
  // ends (a restart, a failover) emits 'error' on the client, which would otherwise crash the process. Its
  // pending query fails on its own, and the pool discards the broken connection when it is released.
  pool.on('connect', (client) => client.on('error', lost))
  const client = asAppClient(new PostgresqlClient({ adapter: new PrismaPg(pool) }), true)
  const names = new Map<string, string>()
  const driver: DbDriver = {
    async query<Row>(sql: string, values: unknown[]) {
      let name = names.get(sql)
      if (!name) names.set(sql, (name = `stack_${names.size + 1}`))
      const result = await pool.query({ name, text: sql, values, types: utcTimestamps })
      return result.rows as Row[]
    },
    // UTC wall time for a `timestamp(3)` column, as Prisma writes it.
    timestamp: (date) => date.toISOString().replace('T', ' ').replace('Z', ''),
  }
  return withDriver(client, driver, { engine: 'postgresql', pool }, () =>
    pool.ending ? undefined : pool.end(),
  )
}

function withDriver(
  client: SqliteClient,
  driver: DbDriver,
  native: NativeConnection,
  close: () => unknown,
): Db {
  const disconnect = client.$disconnect.bind(client)
  return Object.assign(client, {
    $driver: driver,
    $native: native,
    async $disconnect() {
      await disconnect()
      await close()
    },
  })
}

// `remix dev` re-imports the server build on every change; keeping the client on globalThis stops each rebuild
// from opening another pool.
const globalForDb = globalThis as typeof globalThis & { __appDb?: Db }

function appDb(): Db {
  return (globalForDb.__appDb ??= createDb(env.DATABASE_URL, { poolSize: env.DATABASE_POOL_SIZE }))
}

/** Ends the app's pool or SQLite connections (graceful shutdown); a no-op when the database was never used. */
export async function closeDatabase(): Promise<void> {
  const client = globalForDb.__appDb
  globalForDb.__appDb = undefined
  await client?.$disconnect()
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

/**
 * Runs a database call of the session store. A failure (database down, locked, timed out) becomes a thrown 503
 * Response that the app's ErrorBoundary renders as a friendly page, instead of a 500; version conflicts pass through.
 */
export async function orServiceUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof SessionConflictError || error instanceof Response) throw error
    console.error(`Session store unavailable (${describeDbError(error)})`)
    throw databaseUnavailable()
  }
}

/** A cheap round trip for `/healthz`; throws (with a log-safe message) when the database is unreachable. */
export async function checkDb(): Promise<void> {
  try {
    await db.$queryRawUnsafe('SELECT 1')
  } catch (error) {
    throw new Error(`database unavailable (${describeDbError(error)})`)
  }
}
