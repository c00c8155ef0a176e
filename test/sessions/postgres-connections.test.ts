import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type Db } from '~/db.server'
import { createTestDatabase, type TestDatabase } from './databases'

/**
 * A PostgreSQL restart ends every backend, including one a request holds checked out between statements (a
 * transaction): pg then emits 'error' on that client, and without a listener the whole process dies.
 */
describe('PostgreSQL ends a connection the app holds', () => {
  let database: TestDatabase
  let db: Db

  beforeAll(async () => {
    database = await createTestDatabase('postgresql')
    db = createDb(database.url)
  })
  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  it('survives the error on a checked-out client, and the next query reconnects', async () => {
    if (db.$native.engine !== 'postgresql') throw new Error('expected a PostgreSQL database')
    const held = await db.$native.pool.connect()
    const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
    const admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid])
    await admin.end()
    // The server's error message arrives on the idle, checked-out connection.
    await new Promise((resolve) => setTimeout(resolve, 300))
    held.release(true)
    expect(await db.session.count()).toBe(0)
  })
})
