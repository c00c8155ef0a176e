import { afterAll } from 'vitest'
import { createTestDatabase } from '../sessions/databases'

/**
 * For tests that import the app's own modules (`~/auth.server`, a route): env.server reads DATABASE_URL when they
 * load, so import this first. It gives the test file a fresh SQLite database with the real migrations applied.
 */
const database = await createTestDatabase('sqlite')
const previous = process.env.DATABASE_URL
process.env.DATABASE_URL = database.url

afterAll(async () => {
  const { closeDatabase } = await import('~/db.server')
  await closeDatabase()
  await database.drop()
  if (previous === undefined) delete process.env.DATABASE_URL
  else process.env.DATABASE_URL = previous
})
