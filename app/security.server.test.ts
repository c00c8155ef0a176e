import { describe, expect, it } from 'vitest'
import {
  applyPersonalCacheControl,
  applySecurityHeaders,
  contentSecurityPolicy,
  createNonce,
  type SecurityOptions,
} from './security.server'

const production: SecurityOptions = {
  auth0Origin: 'https://tenant.us.auth0.com',
  https: true,
  mode: 'production',
}

describe('security headers', () => {
  it('creates a fresh 128-bit nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, createNonce))
    expect(nonces.size).toBe(50)
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64')).toHaveLength(16)
  })

  it('lets only nonce-bearing scripts run and forms post to the app and Auth0', () => {
    const csp = contentSecurityPolicy(production, 'abc')
    expect(csp.split('; ')).toEqual([
      "default-src 'self'",
      "script-src 'nonce-abc' 'strict-dynamic'",
      "style-src 'self'",
      "img-src 'self' data: https://tenant.us.auth0.com https:",
      "form-action 'self' https://tenant.us.auth0.com",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
    ])
  })

  it('allows no script at all without a nonce, and the dev websocket only in development', () => {
    expect(contentSecurityPolicy(production)).toContain("script-src 'none'")
    expect(contentSecurityPolicy(production)).not.toContain('connect-src')
    expect(contentSecurityPolicy({ ...production, mode: 'development' }, 'n')).toContain(
      "connect-src 'self' ws:",
    )
  })

  it('sends HSTS only for an https app and drops X-Powered-By', () => {
    const https = new Headers({ 'X-Powered-By': 'Express' })
    applySecurityHeaders(https, production, 'n')
    expect(https.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains')
    expect(https.get('x-powered-by')).toBeNull()

    const http = new Headers()
    applySecurityHeaders(http, { ...production, https: false })
    expect(http.get('strict-transport-security')).toBeNull()
    expect(http.get('x-frame-options')).toBe('DENY')
    expect(http.get('cross-origin-opener-policy')).toBe('same-origin')
  })
})

describe('applyPersonalCacheControl', () => {
  const apply = (cookie: string | null, cacheControl?: string) => {
    const headers = new Headers(cacheControl ? { 'Cache-Control': cacheControl } : {})
    applyPersonalCacheControl(
      new Request('https://app/', { headers: cookie ? { Cookie: cookie } : {} }),
      headers,
    )
    return headers.get('Cache-Control')
  }

  it('marks responses to requests with a session cookie private, no-store', () => {
    expect(apply('__session=abc')).toBe('private, no-store')
    expect(apply('theme=dark; __session.1=abc', 'public, max-age=60')).toBe('private, no-store')
    expect(apply('__session=abc', 'no-store')).toBe('no-store')
    expect(apply('__Host-session=abc')).toBe('private, no-store')
    expect(apply('__Host-session.2=abc; theme=dark')).toBe('private, no-store')
    expect(apply('theme=dark')).toBeNull()
    expect(apply(null, 'public, max-age=60')).toBe('public, max-age=60')
  })
})
