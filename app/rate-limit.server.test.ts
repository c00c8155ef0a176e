import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTestDatabase, type Engine, type TestDatabase } from '../test/sessions/databases'
import { createDb, type Db, type NativeConnection } from './db.server'
import { createRateLimiter, type RateLimiterOptions } from './rate-limit.server'

/** The address server.js resolved for the request (undefined: no server.js in front). */
const from = (clientAddress?: string) => clientAddress

async function status(run: () => Promise<void>): Promise<number> {
  try {
    await run()
    return 200
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status
    throw thrown
  }
}

const baseOptions: RateLimiterOptions = {
  limits: { login: 3, auth: 2, backchannel: 2 },
  windowSeconds: 60,
  sharedBucketFactor: 10,
}

// The library reads the clock through Date.now (also for the expiry it stores): a fake Date moves every store's
// windows without waiting.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(new Date('2026-11-30T12:00:00Z'))
})
afterEach(() => vi.useRealTimers())

describe.each<Engine | 'memory'>(['memory', 'sqlite', 'postgresql'])('rate limiter on %s', (engine) => {
  let database: TestDatabase | undefined
  const dbs: Db[] = []

  beforeAll(async () => {
    if (engine !== 'memory') database = await createTestDatabase(engine)
  })
  afterAll(async () => {
    await Promise.all(dbs.map((db) => db.$disconnect()))
    await database?.drop()
  })

  /** A limiter as one app process has it: its own connection to the shared database. */
  function limiter(overrides: Partial<RateLimiterOptions> = {}) {
    let store: (() => NativeConnection) | undefined
    if (database) {
      const db = createDb(database.url)
      dbs.push(db)
      store = () => db.$native
    }
    return createRateLimiter({ ...baseOptions, store, ...overrides })
  }

  it('throws 429 with Retry-After past the limit, per client and bucket', async () => {
    const instance = limiter()
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push(await status(() => instance.enforce(from('1.1.1.1'), 'login')))
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(await status(() => instance.enforce(from('2.2.2.2'), 'login'))).toBe(200)
    expect(await status(() => instance.enforce(from('1.1.1.1'), 'auth'))).toBe(200)
    vi.advanceTimersByTime(20_000)
    const response = await instance.enforce(from('1.1.1.1'), 'login').then(
      () => expect.fail('expected a 429'),
      (thrown: unknown) => thrown as Response,
    )
    expect(response.status).toBe(429)
    expect(response.headers.get('Retry-After')).toBe('40')
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    vi.advanceTimersByTime(40_000)
    expect(await status(() => instance.enforce(from('1.1.1.1'), 'login'))).toBe(200)
  })

  it('puts requests without a known address in one larger bucket', async () => {
    const instance = limiter()
    for (let i = 0; i < 30; i++) await instance.enforce(from(), 'login')
    expect(await status(() => instance.enforce(from(), 'login'))).toBe(429)
    expect(await status(() => instance.enforce(from('2.2.2.2'), 'login'))).toBe(200)
  })

  it('keeps a separate back-channel bucket', async () => {
    const instance = limiter()
    for (let i = 0; i < 2; i++) await instance.enforce(from('4.4.4.4'), 'backchannel')
    expect(await status(() => instance.enforce(from('4.4.4.4'), 'backchannel'))).toBe(429)
    expect(await status(() => instance.enforce(from('4.4.4.4'), 'login'))).toBe(200)
  })

  // In memory (the failover) the library drops each window with its own timer; in a store, the sweep does.
  if (engine !== 'memory')
    it('stays bounded when clients rotate addresses: the sweep deletes ended windows', async () => {
      const instance = limiter()
      for (let i = 0; i < 300; i++) await instance.enforce(from(`10.0.${i >> 8}.${i & 255}`), 'login')
      vi.advanceTimersByTime(61_000)
      await instance.enforce(from('5.5.5.5'), 'login')
      expect(await instance.deleteExpired()).toBeGreaterThanOrEqual(300)
      const db = createDb(database!.url)
      dbs.push(db)
      const rows = await db.$driver.query<{ key: string }>(
        `SELECT "key" FROM "rate_limits" WHERE "key" LIKE 'login:10.%' OR "key" = 'login:5.5.5.5'`,
        [],
      )
      expect(rows.map((row) => row.key)).toEqual(['login:5.5.5.5'])
    })

  if (engine !== 'memory')
    it('shares one budget between processes on the same database', async () => {
      const instances = [limiter(), limiter(), limiter()]
      const statuses = []
      for (let i = 0; i < 4; i++)
        statuses.push(await status(() => instances[i % 3]!.enforce(from('6.6.6.6'), 'login')))
      expect(statuses).toEqual([200, 200, 200, 429])
    })
})

describe('rate limiter when its store is down', () => {
  it('fails over to a count in this process, with one warning', async () => {
    const warnings: string[] = []
    const { default: pg } = await import('pg')
    // Nothing listens on port 9 (discard) on loopback: every query fails to connect.
    const pool = new pg.Pool({ connectionString: 'postgresql://postgres@127.0.0.1:9/none' })
    pool.on('error', () => undefined)
    const instance = createRateLimiter({
      ...baseOptions,
      store: () => ({ engine: 'postgresql', pool }),
      warn: (message) => warnings.push(message),
    })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push(await status(() => instance.enforce(from('7.7.7.7'), 'login')))
    // Open for users (no 500, no lock-out), still a brake (the per-process budget holds).
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^Rate-limit store unavailable \(.*\): counting in this process meanwhile$/)
    expect(warnings[0]).not.toContain('127.0.0.1')
    await pool.end()
  })
})
