import { env } from '~/env.server'

/** Requests allowed per client and minute on the routes that start or finish a login (a login costs 3 `auth`). */
const limits = { login: 120, auth: 60 } as const
/** Without a trusted proxy every client shares one bucket: it is a flood brake, not a per-user limit. */
const sharedBucketFactor = 10
export type RateLimitBucket = keyof typeof limits

const windowMs = 60_000
const counters = new Map<string, { count: number; resetAt: number }>()

/**
 * The client a request counts against: its IP from X-Forwarded-For when a trusted proxy sets it (TRUST_PROXY),
 * otherwise one shared bucket (remix-serve does not expose the socket address to the app).
 */
function clientKey(request: Request): string {
  if (!env.TRUST_PROXY) return 'direct'
  return request.headers.get('X-Forwarded-For')?.split(',')[0]?.trim() || 'direct'
}

/**
 * Fixed-window limit per client and bucket, in this process. Throws a 429 Response (Retry-After) when exceeded.
 * A cluster multiplies the budget by its instance count: fine for a brake against floods and credential
 * stuffing at Auth0's door; Auth0 has its own attack protection behind it.
 */
export function enforceRateLimit(request: Request, bucket: RateLimitBucket): void {
  const now = Date.now()
  const key = `${bucket}:${clientKey(request)}`
  let counter = counters.get(key)
  if (!counter || counter.resetAt <= now) {
    if (counters.size > 10_000)
      for (const [name, entry] of counters) if (entry.resetAt <= now) counters.delete(name)
    counter = { count: 0, resetAt: now + windowMs }
    counters.set(key, counter)
  }
  counter.count++
  const limit = limits[bucket] * (key.endsWith(':direct') ? sharedBucketFactor : 1)
  if (counter.count <= limit) return
  const retryAfter = Math.ceil((counter.resetAt - now) / 1000)
  throw new Response('Too many requests. Please wait a minute and try again.', {
    status: 429,
    statusText: 'Too Many Requests',
    headers: { 'Retry-After': String(retryAfter), 'Cache-Control': 'no-store', 'Content-Type': 'text/plain' },
  })
}
