import Database from 'better-sqlite3'
import pg from 'pg'
import { sqliteFilePath } from '../../prisma/database-url.mjs'

/** Another connection holds the write lock (WAL readers still read; every writer waits, then fails). */
export function lockSqlite(url: string): () => Promise<void> {
  const holder = new Database(sqliteFilePath(url))
  holder.exec('BEGIN IMMEDIATE')
  return async () => {
    holder.exec('ROLLBACK')
    holder.close()
  }
}

/** Refuses new connections to the test database and ends the open ones; the shared cluster keeps running. */
export async function closePostgres(url: string): Promise<() => Promise<void>> {
  const name = new URL(url).pathname.slice(1)
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.href })
    await client.connect()
    try {
      await client.query(sql)
    } finally {
      await client.end()
    }
  }
  await run(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`)
  await run(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}'`)
  return () => run(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`)
}
