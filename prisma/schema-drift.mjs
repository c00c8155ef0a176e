// What keeps the two engines' database descriptions in step (docs/decisions/013-session-store-sql.md):
// the two schema files hold the same models, and each engine's migrations build exactly its schema.
// Used by test/sessions/schema-drift.test.ts and scripts/new-migration.ts.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const engines = /** @type {const} */ (['sqlite', 'postgresql'])

/** The schema file's models, enums and comments on them: everything after the datasource block. */
export function models(engine) {
  const schema = readFileSync(path.join(root, `prisma/${engine}/schema.prisma`), 'utf8')
  const datasource = schema.indexOf('datasource db {')
  return schema.slice(schema.indexOf('}', datasource) + 1).trim()
}

/**
 * `prisma migrate diff` from the engine's migrations to its schema: the migration script that is missing (only
 * comments when they agree). `databaseUrl` gives the CLI a server for its shadow database (a file: URL for SQLite).
 */
export function missingMigration(engine, databaseUrl) {
  const result = spawnSync(
    process.execPath,
    [
      path.join(root, 'scripts/prisma.mjs'),
      'migrate',
      'diff',
      '--from-migrations',
      `prisma/${engine}/migrations`,
      '--to-schema-datamodel',
      `prisma/${engine}/schema.prisma`,
      '--script',
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl } },
  )
  if (result.status !== 0) throw new Error(`prisma migrate diff (${engine}) failed:\n${result.stderr}`)
  return result.stdout.replace(/^Loaded Prisma config.*\n/, '').trim() + '\n'
}

/** The statements of a migration script, without comments and blank lines. */
export function statements(script) {
  return script
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('--'))
    .join('\n')
}
