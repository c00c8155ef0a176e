import { describe, expect, it } from 'vitest'
import { issuerFromDomain } from './client.server'
import { assertSameOrigin, isLoopbackHost, isSecureContext } from './origins'

describe('assertSameOrigin', () => {
  const app = 'https://app.example.com'
  const post = (headers: Record<string, string>) => new Request(`${app}/x`, { method: 'POST', headers })
  const outcome = (request: Request) => {
    try {
      assertSameOrigin(request, app)
      return 'allowed'
    } catch (thrown) {
      return (thrown as Response).status
    }
  }

  it('allows the app itself and requests without any cross-site signal', () => {
    expect(outcome(post({ Origin: app }))).toBe('allowed')
    expect(outcome(post({ 'Sec-Fetch-Site': 'same-origin' }))).toBe('allowed')
    expect(outcome(post({}))).toBe('allowed')
  })

  it('refuses another origin, a null origin and cross-site fetch metadata with 403', () => {
    expect(outcome(post({ Origin: 'https://evil.example' }))).toBe(403)
    expect(outcome(post({ Origin: 'null' }))).toBe(403)
    expect(outcome(post({ 'Sec-Fetch-Site': 'cross-site' }))).toBe(403)
    expect(outcome(post({ 'Sec-Fetch-Site': 'same-site' }))).toBe(403)
  })
})

describe('isLoopbackHost: one rule for the library and the app', () => {
  it.each(['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])(
    '%s is this machine',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  )
  it.each([
    'localhost.example.com',
    'mylocalhost',
    '127.0.0.1.nip.io',
    '10.0.0.1',
    '192.168.1.20',
    '[::2]',
    '128.0.0.1',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false))

  it('decides where plain http may reach Auth0 and where Secure cookies work', () => {
    expect(issuerFromDomain('http://app.localhost:3334').href).toBe('http://app.localhost:3334/')
    expect(issuerFromDomain('http://127.0.0.2:3334').href).toBe('http://127.0.0.2:3334/')
    expect(() => issuerFromDomain('http://192.168.1.20:3334')).toThrow(/must use https/)
    expect(isSecureContext(new URL('http://app.localhost:3000'))).toBe(true)
    expect(isSecureContext(new URL('https://192.168.1.20'))).toBe(true)
    expect(isSecureContext(new URL('http://192.168.1.20:3000'))).toBe(false)
  })
})
