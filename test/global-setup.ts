import { startTestPostgres } from './support/postgres'

/** vitest globalSetup: the PostgreSQL that the suites create their databases on (see test/support/postgres.ts). */
export default async function setup() {
  const postgres = await startTestPostgres()
  process.env.TEST_POSTGRES_URL = postgres.url
  if (postgres.source === 'embedded')
    console.info(
      'PostgreSQL: none on 127.0.0.1:5432 and no TEST_POSTGRES_URL, so an embedded one runs the tests',
    )
  return () => postgres.stop()
}
