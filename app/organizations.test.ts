import { describe, expect, it } from 'vitest'
import { ORGANIZATIONS_CLAIM, organizationsFromClaims } from './organizations'

const acme = { id: 'org_acme', name: 'acme', display_name: 'Acme Inc.' }
const globex = { id: 'org_globex', name: 'globex' }

describe('organizationsFromClaims', () => {
  it('is null without organizations, so an app without them shows no panel', () => {
    expect(organizationsFromClaims({ sub: 'auth0|a' })).toBeNull()
    expect(organizationsFromClaims({ sub: 'auth0|a', [ORGANIZATIONS_CLAIM]: 'nope' })).toBeNull()
  })

  it('names the current organization and offers the others', () => {
    const view = organizationsFromClaims({
      sub: 'auth0|a',
      org_id: 'org_acme',
      org_name: 'acme',
      [ORGANIZATIONS_CLAIM]: [acme, globex],
    })
    expect(view).toEqual({
      current: { id: 'org_acme', name: 'acme', displayName: 'Acme Inc.' },
      others: [{ id: 'org_globex', name: 'globex', displayName: 'globex' }],
    })
  })

  it('shows the current organization without the list (no Action), and skips malformed entries', () => {
    expect(organizationsFromClaims({ sub: 'auth0|a', org_id: 'org_x', org_name: 'x' })).toEqual({
      current: { id: 'org_x', name: 'x', displayName: 'x' },
      others: [],
    })
    const view = organizationsFromClaims({ sub: 'auth0|a', [ORGANIZATIONS_CLAIM]: [null, { id: 1 }, globex] })
    expect(view).toEqual({
      current: null,
      others: [{ id: 'org_globex', name: 'globex', displayName: 'globex' }],
    })
  })
})
