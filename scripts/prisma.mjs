#!/usr/bin/env node
// Runs the Prisma CLI for the database selected by DATABASE_URL: `node scripts/prisma.mjs <prisma args>`.
// `generate` builds both clients (SQLite and PostgreSQL) whatever DATABASE_URL says, since the app picks one at
// runtime. See docs/decisions/002-prisma-6-driver-adapters.md.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  DEFAULT_DATABASE_URL,
  assertWritableSqliteDirectory,
  databaseEngine,
  sqliteFilePath,
} from '../prisma/database-url.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js')
const preload = path.join(root, 'scripts/prisma-preload.cjs')
// Placeholders for `generate`, which reads the schema's url but never connects.
const PLACEHOLDER_URLS = { sqlite: 'file:./data/app.db', postgresql: 'postgresql://localhost:5432/app' }

function runPrisma(args, databaseUrl) {
  const result = spawnSync(process.execPath, ['--require', preload, prismaCli, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  })
  if (result.error) throw result.error
  return result.status ?? 1
}

function main(args) {
  if (args[0] === 'generate') {
    for (const [engine, url] of Object.entries(PLACEHOLDER_URLS)) {
      const status = runPrisma([...args, '--schema', `prisma/${engine}/schema.prisma`], url)
      if (status !== 0) return status
    }
    return 0
  }

  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL
  if (databaseEngine(databaseUrl) === 'sqlite') {
    const file = sqliteFilePath(databaseUrl)
    if (file !== ':memory:' && !prepareSqliteDirectory(file)) return 1
    // `migrate dev` on a brand-new SQLite file fails with P1014 (no _prisma_migrations table); deploy creates it.
    if (args[0] === 'migrate' && args[1] === 'dev' && !existsSync(file)) {
      const status = runPrisma(['migrate', 'deploy'], databaseUrl)
      if (status !== 0) return status
    }
  }
  return runPrisma(args, databaseUrl)
}

function prepareSqliteDirectory(file) {
  try {
    assertWritableSqliteDirectory(file)
    return true
  } catch (error) {
    console.error(error.message)
    return false
  }
}

process.exit(main(process.argv.slice(2)))
