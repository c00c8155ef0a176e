import { describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimiterOptions } from './rate-limit.server'

function limiter(overrides: Partial<RateLimiterOptions> = {}) {
  let clock = 0
  const instance = createRateLimiter({
    limits: { login: 3, auth: 2 },
    windowMs: 60_000,
    sharedBucketFactor: 10,
    maxClients: 100,
    now: () => clock,
    ...overrides,
  })
  return { instance, advance: (ms: number) => (clock += ms) }
}

/** The address server.js resolved for the request (undefined: no server.js in front). */
const from = (clientAddress?: string) => clientAddress

function status(run: () => void): number {
  try {
    run()
    return 200
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status
    throw thrown
  }
}

describe('rate limiter', () => {
  it('throws 429 with Retry-After past the limit, per client and bucket', () => {
    const { instance, advance } = limiter()
    const statuses = Array.from({ length: 4 }, () => status(() => instance.enforce(from('1.1.1.1'), 'login')))
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(status(() => instance.enforce(from('2.2.2.2'), 'login'))).toBe(200)
    expect(status(() => instance.enforce(from('1.1.1.1'), 'auth'))).toBe(200)
    advance(20_000)
    try {
      instance.enforce(from('1.1.1.1'), 'login')
      throw new Error('expected a 429')
    } catch (thrown) {
      const response = thrown as Response
      expect(response.status).toBe(429)
      expect(response.headers.get('Retry-After')).toBe('40')
      expect(response.headers.get('Cache-Control')).toBe('no-store')
    }
    advance(40_000)
    expect(status(() => instance.enforce(from('1.1.1.1'), 'login'))).toBe(200)
  })

  it('puts requests without a known address in one larger bucket', () => {
    const { instance } = limiter()
    for (let i = 0; i < 30; i++) instance.enforce(from(), 'login')
    expect(status(() => instance.enforce(from(), 'login'))).toBe(429)
    expect(status(() => instance.enforce(from('2.2.2.2'), 'login'))).toBe(200)
  })

  it('stays bounded when clients rotate addresses', () => {
    const { instance } = limiter({ maxClients: 50 })
    for (let i = 0; i < 1000; i++) instance.enforce(from(`10.0.${i >> 8}.${i & 255}`), 'login')
    expect(instance.size).toBeLessThanOrEqual(50)
  })
})
