import { describe, expect, it } from 'vitest'
import { AuthErrorCode } from '~/lib/auth0'
import { authErrorCopy } from './auth-error-message'

/** Auth0's own codes that reach /login?error=, and every code the library redirects with. */
const auth0Codes = ['access_denied', 'login_required', 'consent_required']
const loggedOnly = new Set<string>([
  AuthErrorCode.cookieNotSent,
  AuthErrorCode.rotationMismatch,
  AuthErrorCode.unknown,
])
const libraryCodes = [...auth0Codes, ...Object.values(AuthErrorCode).filter((code) => !loggedOnly.has(code))]

describe('authErrorCopy', () => {
  it('has copy only for codes something produces', () => {
    expect(authErrorCopy('rate_limited')).toBe(authErrorCopy('unknown_error'))
  })

  it.each(libraryCodes)('has its own friendly message for %s', (code) => {
    const copy = authErrorCopy(code)
    expect(copy).not.toBe(authErrorCopy('unknown_error'))
    expect(copy.title.length).toBeGreaterThan(0)
    expect(copy.action).toMatch(/^(Try again|Sign in again)$/)
  })

  it('treats a missing state like an invalid one', () => {
    expect(authErrorCopy('missing_state')).toBe(authErrorCopy('invalid_state'))
  })

  it.each(['something_new', 'toString', '__proto__', ''])(
    'falls back to the generic message for %j',
    (code) => {
      expect(authErrorCopy(code)).toBe(authErrorCopy('unknown_error'))
    },
  )

  it('never shows technical words', () => {
    for (const code of [...libraryCodes, 'unknown_error']) {
      const { title, text } = authErrorCopy(code)
      expect(`${title} ${text}`).not.toMatch(/token|state|oauth|oidc|nonce|pkce|jwt|_/i)
    }
  })
})
