import { defineConfig } from 'prisma/config'
import { DEFAULT_DATABASE_URL, databaseEngine, sqliteFilePath } from './prisma/database-url.mjs'
import { postgresqlMigrationAdapter, sqliteMigrationAdapter } from './prisma/migration-adapters'

// Run the CLI through `node scripts/prisma.mjs`: it sets DATABASE_URL's default and lets the CLI exit promptly.
const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL
const engine = databaseEngine(databaseUrl)

export default defineConfig({
  // Driver adapters + the wasm schema engine: nothing native to download, which these machines cannot do.
  experimental: { adapter: true },
  engine: 'js',
  schema: `prisma/${engine}/schema.prisma`,
  migrations: { path: `prisma/${engine}/migrations` },
  async adapter() {
    return engine === 'sqlite'
      ? sqliteMigrationAdapter(sqliteFilePath(databaseUrl))
      : postgresqlMigrationAdapter(databaseUrl)
  },
})
