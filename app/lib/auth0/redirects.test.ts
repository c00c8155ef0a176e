import { describe, expect, it } from 'vitest'
import { currentPath, safeRedirect } from './redirects'

/** Open-redirect payloads (OWASP cheat sheet and PortSwigger lists, adapted to path parameters). */
export const openRedirectPayloads = [
  '//evil.example',
  '///evil.example',
  '////evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  'https://evil.example',
  'https:evil.example',
  'http:/evil.example',
  '//evil.example/%2f..',
  '/%2f%2fevil.example',
  '/%2F%2Fevil.example',
  '/%5cevil.example',
  '/%5Cevil.example',
  '/%252f%252fevil.example',
  '/%09/evil.example',
  '/\t/evil.example',
  '/\r\nLocation: https://evil.example',
  '/%0d%0aLocation:%20https://evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  ' //evil.example',
  'evil.example',
  '.evil.example',
  '@evil.example',
  '/@evil.example/..//',
  '%2f%2fevil.example',
  '',
  '/'.padEnd(3000, 'a'),
]

describe('safeRedirect', () => {
  it.each(openRedirectPayloads)('rejects %j', (payload) => {
    expect(safeRedirect(payload, '/fallback')).toBe('/fallback')
  })

  it.each(['/dashboard', '/a/b?c=d#e', '/search?q=%2F', '/caf%C3%A9'])(
    'keeps the same-origin path %j',
    (path) => {
      expect(safeRedirect(path, '/fallback')).toBe(path)
    },
  )

  it('ignores non-strings', () => {
    expect(safeRedirect(null)).toBe('/')
    expect(safeRedirect(undefined, '/x')).toBe('/x')
  })
})

describe('currentPath', () => {
  it('maps single-fetch data URLs back to the page', () => {
    expect(currentPath(new Request('http://app/dashboard.data?_routes=routes/dashboard'))).toBe('/dashboard')
    expect(currentPath(new Request('http://app/_root.data'))).toBe('/')
    expect(currentPath(new Request('http://app/settings?tab=a'))).toBe('/settings?tab=a')
  })
})
