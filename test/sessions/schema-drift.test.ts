import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { engines, missingMigration, models, statements } from '../../prisma/schema-drift.mjs'
import { defaultPostgresUrl } from '../support/postgres'

/**
 * Adding a column is: both schema files, `npm run db:new-migration -- <name>`, the code that uses it (CONTRIBUTING.md).
 * Forgetting a step fails here: one schema edited alone, or a schema whose migrations do not build it.
 */
describe('the two engines cannot drift', () => {
  const scratch = mkdtemp(path.join(tmpdir(), 'schema-drift-'))
  afterAll(async () => rm(await scratch, { recursive: true, force: true }))

  it('prisma/sqlite and prisma/postgresql describe the same models', () => {
    expect(models('postgresql')).toBe(models('sqlite'))
    expect(models('sqlite')).toMatch(/^model Session \{/m)
  })

  it.each(engines)('the %s migrations build exactly its schema (prisma migrate diff)', async (engine) => {
    const url =
      engine === 'sqlite'
        ? `file:${path.join(await scratch, 'shadow.db')}`
        : (process.env.TEST_POSTGRES_URL ?? defaultPostgresUrl)
    expect(statements(missingMigration(engine, url)), `missing from prisma/${engine}/migrations`).toBe('')
  })
})
