// Two instances starting on one SQLite file (a rolling restart, two containers on a volume) both run
// `prisma migrate deploy`; the second one's engine meets the first one's lock and dies with
// "WASM_ERROR: unknown variant SocketTimeout". A lock file next to the database makes them take turns.
import path from 'node:path'
import Database from 'better-sqlite3'
import {
  DEFAULT_DATABASE_URL,
  assertWritableSqliteDirectory,
  databaseEngine,
  sqliteFilePath,
} from '../prisma/database-url.mjs'

/** Longer than any migration of this schema; beyond it, something is stuck and waiting longer will not help. */
const LOCK_WAIT_MS = 120_000

/**
 * Runs `task` holding an exclusive lock on `<database file>.migrate-lock`. The lock is SQLite's own file lock, so
 * the kernel releases it when its holder dies: a crashed instance never leaves a stale lock behind. PostgreSQL
 * needs none: Prisma's migrate deploy takes an advisory lock there itself.
 * @template T
 * @param {string | undefined} databaseUrl
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
export async function withMigrationLock(databaseUrl, task) {
  const url = databaseUrl || DEFAULT_DATABASE_URL
  if (databaseEngine(url) !== 'sqlite') return task()
  const file = sqliteFilePath(url)
  if (file === ':memory:') return task()
  assertWritableSqliteDirectory(file)
  const lock = new Database(`${file}.migrate-lock`, { timeout: LOCK_WAIT_MS })
  try {
    try {
      lock.exec('BEGIN EXCLUSIVE')
    } catch (error) {
      if (error?.code !== 'SQLITE_BUSY') throw error
      throw new Error(
        `Another process has been migrating ${path.basename(file)} for ${LOCK_WAIT_MS / 1000} s ` +
          `(lock: ${file}.migrate-lock); is a migration stuck?`,
      )
    }
    return await task()
  } finally {
    lock.close()
  }
}
