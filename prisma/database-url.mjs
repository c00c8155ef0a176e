// Plain JS so that the CLI wrapper (scripts/prisma.mjs), prisma.config.ts and app/db.server.ts share one rule.
import path from 'node:path'

export const DEFAULT_DATABASE_URL = 'file:./data/app.db'

/** @typedef {'sqlite' | 'postgresql'} DatabaseEngine */

/**
 * The engine is chosen by the URL scheme: `file:` is SQLite, `postgres://` / `postgresql://` is PostgreSQL.
 * @param {string} databaseUrl
 * @returns {DatabaseEngine}
 */
export function databaseEngine(databaseUrl) {
  if (databaseUrl.startsWith('file:')) return 'sqlite'
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return 'postgresql'
  throw new Error(
    `DATABASE_URL must start with file:, postgres:// or postgresql:// (got ${databaseUrl.split(':')[0]}:)`,
  )
}

/**
 * The SQLite file a `file:` URL points at. Relative paths are relative to the working directory (the project
 * root), not to the schema folder as Prisma's classic engine had it.
 * @param {string} databaseUrl
 * @returns {string}
 */
export function sqliteFilePath(databaseUrl) {
  const location = databaseUrl.slice('file:'.length).split('?')[0]
  return location === ':memory:' ? location : path.resolve(location)
}
