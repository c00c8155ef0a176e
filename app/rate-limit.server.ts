import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  RateLimiterSQLite,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible'
import type { AppLoadContext } from '@remix-run/node'
import { db, describeDbError, type NativeConnection } from '~/db.server'
import { env } from '~/env.server'

declare module '@remix-run/node' {
  interface AppLoadContext {
    /** The client's address as server.js resolved it: the socket peer, or X-Forwarded-For from a trusted proxy. */
    clientAddress?: string
  }
}

/**
 * Requests allowed per client and minute on the routes that start or finish a login (a login costs 3 `auth`),
 * and on the back-channel logout route (Auth0 posts one per ended session, from few addresses).
 */
const appLimits = { login: 120, auth: 60, backchannel: 600 } as const
export type RateLimitBucket = keyof typeof appLimits

export interface RateLimiterOptions {
  limits: Record<RateLimitBucket, number>
  windowSeconds: number
  /** Requests without a known address (no server.js in front) share one bucket this many times larger. */
  sharedBucketFactor: number
  /**
   * The database whose `rate_limits` table holds the counters, shared by every instance on it. Called on first
   * use, so importing the app opens no connection. Without it, counters live in this process only.
   */
  store?: () => NativeConnection
  /** A store slower than this counts as down. */
  storeTimeoutMs?: number
  warn?: (message: string) => void
}

function storeLimiter(native: NativeConnection, keyPrefix: string, points: number, duration: number) {
  // The table comes from the Prisma migrations (model RateLimit), not from the library at runtime; one sweep per
  // process (deleteExpired) instead of one timer per limiter.
  const common = {
    keyPrefix,
    points,
    duration,
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
  }
  return native.engine === 'postgresql'
    ? new RateLimiterPostgres({ ...common, storeClient: native.pool, storeType: 'pool' })
    : new RateLimiterSQLite({ ...common, storeClient: native.connection(), storeType: 'better-sqlite3' })
}

async function deleteExpiredRows(native: NativeConnection, before: number): Promise<number> {
  const sql = 'DELETE FROM "rate_limits" WHERE "expire" < $1'
  if (native.engine === 'postgresql') return (await native.pool.query(sql, [before])).rowCount ?? 0
  return native.connection().prepare(sql.replace('$1', '?')).run(before).changes
}

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref())
}

function tooManyRequests(msBeforeNext: number): Response {
  return new Response('Too many requests. Please wait a minute and try again.', {
    status: 429,
    statusText: 'Too Many Requests',
    headers: {
      'Retry-After': String(Math.max(1, Math.ceil(msBeforeNext / 1000))),
      'Cache-Control': 'no-store',
      'Content-Type': 'text/plain; charset=utf-8',
    },
  })
}

/**
 * Fixed-window limit per client and bucket, counted in the app's database (rate-limiter-flexible), so a cluster
 * shares one budget. When the store fails or stalls the limiter fails over to a count in this process, with a
 * warning: an outage of the counter store must neither lock every user out nor lift the brake entirely.
 */
export function createRateLimiter(options: RateLimiterOptions) {
  const warn = options.warn ?? console.warn
  const storeTimeoutMs = options.storeTimeoutMs ?? 1000
  const limiters = new Map<string, { memory: RateLimiterMemory; store?: RateLimiterAbstract }>()
  let lastWarning = -Infinity

  function limiter(bucket: RateLimitBucket, shared: boolean) {
    const keyPrefix = shared ? `${bucket}-shared` : bucket
    let pair = limiters.get(keyPrefix)
    if (!pair) {
      const points = options.limits[bucket] * (shared ? options.sharedBucketFactor : 1)
      pair = { memory: new RateLimiterMemory({ keyPrefix, points, duration: options.windowSeconds }) }
      limiters.set(keyPrefix, pair)
    }
    return pair
  }

  function storeOf(pair: { memory: RateLimiterMemory; store?: RateLimiterAbstract }) {
    if (!pair.store && options.store) {
      const { keyPrefix, points, duration } = pair.memory
      pair.store = storeLimiter(options.store(), keyPrefix, points, duration)
    }
    return pair.store
  }

  async function consume(bucket: RateLimitBucket, client: string | undefined): Promise<void> {
    const key = client ?? 'direct'
    const pair = limiter(bucket, client === undefined)
    try {
      const store = storeOf(pair)
      if (store) {
        await Promise.race([store.consume(key), timeout(storeTimeoutMs)])
        return
      }
    } catch (error) {
      if (error instanceof RateLimiterRes) throw error
      const at = Date.now()
      if (at - lastWarning >= 60_000) {
        lastWarning = at
        warn(`Rate-limit store unavailable (${describeDbError(error)}): counting in this process meanwhile`)
      }
    }
    await pair.memory.consume(key)
  }

  return {
    /** Throws a 429 Response (Retry-After, no-store) when the client is over its budget. */
    async enforce(clientAddress: string | undefined, bucket: RateLimitBucket): Promise<void> {
      try {
        await consume(bucket, clientAddress?.toLowerCase() || undefined)
      } catch (rejected) {
        if (rejected instanceof RateLimiterRes) throw tooManyRequests(rejected.msBeforeNext)
        throw rejected
      }
    },
    /** Deletes the store's counters whose window has ended (clients that rotate addresses leave many). */
    async deleteExpired(): Promise<number> {
      return options.store ? deleteExpiredRows(options.store(), Date.now()) : 0
    },
  }
}

export const rateLimitWindowSeconds = 60

const appLimiter = createRateLimiter({
  limits: appLimits,
  windowSeconds: rateLimitWindowSeconds,
  sharedBucketFactor: 10,
  store: () => db.$native,
})

const sweep = globalThis as typeof globalThis & { __rateLimitSweep?: NodeJS.Timeout }
if (env.NODE_ENV !== 'test') {
  sweep.__rateLimitSweep ??= setInterval(() => {
    appLimiter
      .deleteExpired()
      .catch((error: unknown) => console.error(`Rate-limit sweep failed (${describeDbError(error)})`))
  }, 15 * 60_000).unref()
}

/** The app's limiter, per client address (server.js trusts X-Forwarded-For only from a proxy, TRUST_PROXY). */
export function enforceRateLimit(context: AppLoadContext, bucket: RateLimitBucket): Promise<void> {
  return appLimiter.enforce(context.clientAddress, bucket)
}
