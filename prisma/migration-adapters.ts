/**
 * Driver adapters for the Prisma CLI's JS schema engine (migrate, db push, migrate diff), with workarounds for
 * Prisma 6.19 on SQLite and PostgreSQL. The app itself connects in app/db.server.ts and needs none of this.
 */
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

type SqlDriverAdapter = Awaited<ReturnType<PrismaBetterSQLite3['connect']>>

/** better-sqlite3 prepares one statement at a time; the schema engine sends whole migration scripts. */
function runScriptsAsScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter)
  adapter.executeRaw = async (query) => {
    try {
      return await executeRaw(query)
    } catch (error) {
      const isScript = error instanceof RangeError && /more than one statement/.test(error.message)
      if (!isScript || query.args.length > 0) throw error
      await adapter.executeScript(query.sql)
      return 0
    }
  }
  return adapter
}

export function sqliteMigrationAdapter(file: string): PrismaBetterSQLite3 {
  const factory = new PrismaBetterSQLite3({ url: file })
  const connect = factory.connect.bind(factory)
  const connectToShadowDb = factory.connectToShadowDb.bind(factory)
  factory.connect = async () => runScriptsAsScripts(await connect())
  factory.connectToShadowDb = async () => runScriptsAsScripts(await connectToShadowDb())
  return factory
}

// adapter-pg 6.19 cannot map the catalog types `"char"` and `name` (and their arrays) that the schema engine's
// introspection returns (prisma/orm#27403); as text they are exactly what the engine expects.
const TEXT_OID = 25
const TEXT_ARRAY_OID = 1009
const CATALOG_TEXT_OIDS = new Set([18, 19])
const CATALOG_TEXT_ARRAY_OIDS = new Set([1002, 1003])
// pg-types parses _text (1009) but leaves it out of its TypeId enum.
const parseTextArray = pg.types.getTypeParser(
  TEXT_ARRAY_OID as (typeof pg.types.builtins)[keyof typeof pg.types.builtins],
  'text',
)

type Query = (...args: unknown[]) => unknown

/** Wraps the promise form of `query` (the one adapter-pg uses); callback calls pass through untouched. */
function tolerateCatalogTypes(query: Query): Query {
  return (...args) => {
    const result = query(...args)
    if (typeof args.at(-1) === 'function' || !(result instanceof Promise)) return result
    return result.then((value: pg.QueryResult) => {
      if (value?.fields) reportCatalogTypesAsText(value)
      return value
    })
  }
}

class CatalogTolerantPool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    // The CLI does not always dispose its adapter; idle connections must not keep it running.
    super({ ...config, allowExitOnIdle: true })
    // pg's overloads cannot be restated on a replacement, hence the casts.
    const self = this as unknown as { query: Query }
    self.query = tolerateCatalogTypes(self.query.bind(this))
    this.on('connect', (client) => {
      const target = client as unknown as { query: Query }
      target.query = tolerateCatalogTypes(target.query.bind(client))
    })
  }
}

function reportCatalogTypesAsText(result: pg.QueryResult) {
  result.fields.forEach((field, column) => {
    if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID
    if (!CATALOG_TEXT_ARRAY_OIDS.has(field.dataTypeID)) return
    field.dataTypeID = TEXT_ARRAY_OID
    for (const row of result.rows as unknown[][]) {
      if (typeof row[column] === 'string') row[column] = parseTextArray(row[column])
    }
  })
}

/**
 * adapter-pg builds the shadow database's pool as `{ ...config, database }`, and a `connectionString` wins over
 * `database`, so with a URL it would "shadow" the main database. Split the URL into fields so `database` counts.
 */
function poolConfig(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl)
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.slice(1)) || undefined,
    ssl: ['require', 'verify-ca', 'verify-full'].includes(url.searchParams.get('sslmode') ?? '') || undefined,
  }
}

export function postgresqlMigrationAdapter(databaseUrl: string): PrismaPg {
  const config = poolConfig(databaseUrl)
  const factory = new PrismaPg(new CatalogTolerantPool(config), { disposeExternalPool: true })
  factory.connectToShadowDb = async () => {
    const main = await new PrismaPg(new CatalogTolerantPool(config), { disposeExternalPool: true }).connect()
    const database = `prisma_migrate_shadow_db_${crypto.randomUUID().replaceAll('-', '')}`
    await main.executeScript(`CREATE DATABASE "${database}"`)
    const shadowPool = new CatalogTolerantPool({ ...config, database })
    const shadow = await new PrismaPg(shadowPool, { disposeExternalPool: true }).connect()
    const dispose = shadow.dispose.bind(shadow)
    shadow.dispose = async () => {
      await dispose()
      await main.executeScript(`DROP DATABASE IF EXISTS "${database}"`)
      await main.dispose()
    }
    return shadow
  }
  return factory
}
