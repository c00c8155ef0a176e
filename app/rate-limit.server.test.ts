import { describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimiterOptions } from './rate-limit.server'

function limiter(overrides: Partial<RateLimiterOptions> = {}) {
  let clock = 0
  const instance = createRateLimiter({
    limits: { login: 3, auth: 2 },
    windowMs: 60_000,
    trustProxy: true,
    sharedBucketFactor: 10,
    maxClients: 100,
    now: () => clock,
    ...overrides,
  })
  return { instance, advance: (ms: number) => (clock += ms) }
}

const from = (forwardedFor?: string) =>
  new Request('http://app.test/login', { headers: forwardedFor ? { 'X-Forwarded-For': forwardedFor } : {} })

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

  it('counts the address the trusted proxy appended, not ones the client prepended', () => {
    const { instance } = limiter()
    for (let i = 0; i < 3; i++) instance.enforce(from(`9.9.9.${i}, 1.1.1.1`), 'login')
    expect(status(() => instance.enforce(from('8.8.8.8, 1.1.1.1'), 'login'))).toBe(429)
  })

  it('puts everyone in one larger bucket without a trusted proxy', () => {
    const { instance } = limiter({ trustProxy: false })
    for (let i = 0; i < 30; i++) instance.enforce(from(`1.1.1.${i}`), 'login')
    expect(status(() => instance.enforce(from('2.2.2.2'), 'login'))).toBe(429)
  })

  it('stays bounded when clients rotate addresses', () => {
    const { instance } = limiter({ maxClients: 50 })
    for (let i = 0; i < 1000; i++) instance.enforce(from(`10.0.${i >> 8}.${i & 255}`), 'login')
    expect(instance.size).toBeLessThanOrEqual(50)
  })
})
