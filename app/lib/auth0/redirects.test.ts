import { describe, expect, it } from 'vitest'
import { openRedirectPayloads } from '../../../test/fixtures/open-redirect-payloads'
import { currentPath, safeRedirect } from './origins'

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
