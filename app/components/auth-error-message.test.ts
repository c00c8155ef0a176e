import { describe, expect, it } from 'vitest'
import { authErrorCopy } from './auth-error-message'

const libraryCodes = [
  'access_denied',
  'login_required',
  'consent_required',
  'invalid_state',
  'missing_state',
  'invalid_request',
  'auth0_down',
  'token_exchange_failed',
  'id_token_invalid',
  'session_expired',
  'refresh_failed',
  'rate_limited',
  'reauthentication_required',
  'org_mismatch',
]

describe('authErrorCopy', () => {
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
