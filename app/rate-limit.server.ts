import { env } from '~/env.server'

/** Requests allowed per client and minute on the routes that start or finish a login (a login costs 3 `auth`). */
const appLimits = { login: 120, auth: 60 } as const
export type RateLimitBucket = keyof typeof appLimits

export interface RateLimiterOptions {
  limits: Record<RateLimitBucket, number>
  windowMs: number
  /** TRUST_PROXY: count per client IP from X-Forwarded-For; otherwise every client shares one bucket. */
  trustProxy: boolean
  /** Without a trusted proxy every client shares one bucket: it is a flood brake, not a per-user limit. */
  sharedBucketFactor: number
  /** Memory bound: beyond this many tracked clients the oldest windows are forgotten. */
  maxClients: number
  now?: () => number
}

/**
 * The address the nearest proxy saw. Proxies append to X-Forwarded-For, so only the last entry was written by
 * our (trusted) proxy; the ones before it are whatever the client chose to send.
 */
function forwardedFor(request: Request): string | undefined {
  const entries = (request.headers.get('X-Forwarded-For') ?? '').split(',')
  const last = entries[entries.length - 1]?.trim()
  return last && last.length <= 64 ? last.toLowerCase() : undefined
}

/**
 * Fixed-window limit per client and bucket, in this process. A cluster multiplies the budget by its instance
 * count: fine for a brake against floods and credential stuffing at Auth0's door; Auth0 has its own attack
 * protection behind it.
 */
export function createRateLimiter(options: RateLimiterOptions) {
  const now = options.now ?? Date.now
  const counters = new Map<string, { count: number; resetAt: number }>()

  function forget(at: number): void {
    for (const [name, entry] of counters) if (entry.resetAt <= at) counters.delete(name)
    // Spoofed or rotating addresses must not grow the map without bound: drop the oldest windows (Map order).
    for (const name of counters.keys()) {
      if (counters.size < options.maxClients) break
      counters.delete(name)
    }
  }

  return {
    /** Throws a 429 Response (Retry-After, no-store) when the client is over its budget. */
    enforce(request: Request, bucket: RateLimitBucket): void {
      const at = now()
      const client = (options.trustProxy && forwardedFor(request)) || 'direct'
      const key = `${bucket}:${client}`
      let counter = counters.get(key)
      if (!counter || counter.resetAt <= at) {
        counters.delete(key)
        if (counters.size >= options.maxClients) forget(at)
        counter = { count: 0, resetAt: at + options.windowMs }
        counters.set(key, counter)
      }
      counter.count++
      const limit = options.limits[bucket] * (client === 'direct' ? options.sharedBucketFactor : 1)
      if (counter.count <= limit) return
      const retryAfter = Math.max(1, Math.ceil((counter.resetAt - at) / 1000))
      throw new Response('Too many requests. Please wait a minute and try again.', {
        status: 429,
        statusText: 'Too Many Requests',
        headers: {
          'Retry-After': String(retryAfter),
          'Cache-Control': 'no-store',
          'Content-Type': 'text/plain; charset=utf-8',
        },
      })
    },
    /** Tracked clients (for tests and metrics). */
    get size() {
      return counters.size
    },
  }
}

export const rateLimitWindowSeconds = 60

const appLimiter = createRateLimiter({
  limits: appLimits,
  windowMs: rateLimitWindowSeconds * 1000,
  trustProxy: env.TRUST_PROXY,
  sharedBucketFactor: 10,
  maxClients: 10_000,
})

/** The app's limiter: per client IP behind a trusted proxy (TRUST_PROXY), else one shared bucket. */
export function enforceRateLimit(request: Request, bucket: RateLimitBucket): void {
  appLimiter.enforce(request, bucket)
}
