/**
 * `npm run db:new-migration -- <name>`: writes the migration that brings each engine's migrations up to its
 * schema (prisma/sqlite and prisma/postgresql, same timestamp and name), then regenerates both clients. Edit both
 * schema files first; test/sessions/schema-drift.test.ts fails until this has run. PostgreSQL's shadow database
 * goes where the tests put theirs (TEST_POSTGRES_URL, a server on 127.0.0.1:5432, or an embedded one).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { engines, missingMigration, statements } from '../prisma/schema-drift.mjs'
import { startTestPostgres } from '../test/support/postgres'

const name = process.argv[2]
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:new-migration -- <name in snake_case>')
  process.exit(2)
}

const root = path.resolve(import.meta.dirname, '..')
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
const scratch = await mkdtemp(path.join(tmpdir(), 'new-migration-'))
const postgres = await startTestPostgres()
try {
  let written = 0
  for (const engine of engines) {
    const url = engine === 'sqlite' ? `file:${path.join(scratch, 'shadow.db')}` : postgres.url
    const script = missingMigration(engine, url)
    if (!statements(script)) continue
    const folder = path.join(root, `prisma/${engine}/migrations/${stamp}_${name}`)
    await mkdir(folder, { recursive: true })
    await writeFile(path.join(folder, 'migration.sql'), script)
    console.info(`wrote ${path.relative(root, folder)}/migration.sql`)
    written++
  }
  if (written === 0) console.info('nothing to migrate: both engines already match their schemas')
  else
    execFileSync(process.execPath, [path.join(root, 'scripts/prisma.mjs'), 'generate'], { stdio: 'inherit' })
} finally {
  await postgres.stop()
  await rm(scratch, { recursive: true, force: true })
}
