// Plain JS so that the CLI wrapper (scripts/prisma.mjs), prisma.config.ts and app/db.server.ts share one rule.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs'
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

/**
 * Creates the SQLite file's folder and checks that this process can write there (SQLite also writes its WAL and
 * journal files beside the database). A folder owned by another user (a root-owned volume or bind mount, the app
 * running as uid 1000) would otherwise fail deep in the engine ("External error id#0", SQLITE_CANTOPEN).
 * @param {string} file
 */
export function assertWritableSqliteDirectory(file) {
  const directory = path.dirname(file)
  try {
    mkdirSync(directory, { recursive: true })
    accessSync(directory, constants.W_OK)
    if (existsSync(file)) accessSync(file, constants.R_OK | constants.W_OK)
  } catch (error) {
    const uid = process.getuid?.() ?? 'this user'
    throw new Error(
      `The SQLite database ${file} is not writable by uid ${uid} (${error.code ?? error.message}). ` +
        `Give that uid the folder ${directory} (e.g. \`chown -R ${uid} <host folder>\` for a bind mount), ` +
        'use a new named volume, or set DATABASE_URL to a writable place.',
    )
  }
}
