import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import pg from 'pg'
import { defaultPostgresUrl } from '../support/postgres'
import type { LeaseCommand } from './lease-process'

export type Engine = 'sqlite' | 'postgresql'

export interface TestDatabase {
  url: string
  drop(): Promise<void>
}

const root = path.resolve(import.meta.dirname, '../..')
/** Read at each use: the test run (or the bench) may start an embedded server first (test/support/postgres.ts). */
const postgresAdminUrl = () => process.env.TEST_POSTGRES_URL ?? defaultPostgresUrl

/** Applies the real migrations with the same command production runs. */
async function migrate(url: string) {
  await promisify(execFile)(process.execPath, ['scripts/prisma.mjs', 'migrate', 'deploy'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: url },
  })
}

async function asAdmin(sql: string, adminUrl: string) {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/**
 * A fresh, migrated database of its own: a temp SQLite file or a new PostgreSQL database (on the suites' server,
 * or on the one `adminUrl` names).
 */
export async function createTestDatabase(
  engine: Engine,
  adminUrl = postgresAdminUrl(),
): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'sessions-test-'))
    const url = `file:${path.join(dir, 'app.db')}`
    await migrate(url)
    return { url, drop: () => rm(dir, { recursive: true, force: true }) }
  }
  const name = `sessions_test_${randomBytes(6).toString('hex')}`
  await asAdmin(`CREATE DATABASE "${name}"`, adminUrl)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const drop = () => asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, adminUrl)
  await migrate(url.href).catch(async (error: unknown) => {
    await drop()
    throw error
  })
  return { url: url.href, drop }
}

/** Starts test/sessions/lease-process.ts against `databaseUrl`; `send` resolves with the command's result. */
export function startLeaseProcess(databaseUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/sessions/lease-process.ts', databaseUrl], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const replies = createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  return {
    async send(command: LeaseCommand): Promise<boolean | null> {
      child.stdin!.write(`${JSON.stringify(command)}\n`)
      const reply = await replies.next()
      if (reply.done) throw new Error('lease process exited')
      return (JSON.parse(reply.value) as { result: boolean | null }).result
    },
    async stop() {
      child.stdin!.end()
      if (child.exitCode === null) await once(child, 'exit')
    },
  }
}
