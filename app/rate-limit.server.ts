import type { AppLoadContext } from '@remix-run/node'

declare module '@remix-run/node' {
  interface AppLoadContext {
    /** The client's address as server.js resolved it: the socket peer, or X-Forwarded-For from a trusted proxy. */
    clientAddress?: string
  }
}

/** Requests allowed per client and minute on the routes that start or finish a login (a login costs 3 `auth`). */
const appLimits = { login: 120, auth: 60 } as const
export type RateLimitBucket = keyof typeof appLimits

export interface RateLimiterOptions {
  limits: Record<RateLimitBucket, number>
  windowMs: number
  /** Requests without a known address (no server.js in front) share one bucket this many times larger. */
  sharedBucketFactor: number
  /** Memory bound: beyond this many tracked clients the oldest windows are forgotten. */
  maxClients: number
  now?: () => number
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
    enforce(clientAddress: string | undefined, bucket: RateLimitBucket): void {
      const at = now()
      const client = clientAddress?.toLowerCase() || 'direct'
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
  sharedBucketFactor: 10,
  maxClients: 10_000,
})

/** The app's limiter, per client address (server.js trusts X-Forwarded-For only from a proxy, TRUST_PROXY). */
export function enforceRateLimit(context: AppLoadContext, bucket: RateLimitBucket): void {
  appLimiter.enforce(context.clientAddress, bucket)
}
