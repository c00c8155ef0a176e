import type { IdTokenClaims } from '~/lib/auth0'

/**
 * The namespaced claim that lists the user's organizations. Auth0 puts only the current `org_id`/`org_name` in
 * tokens; the Post-Login Action in the library README adds this one (the dev emulator does the same).
 */
export const ORGANIZATIONS_CLAIM = 'https://remix-stack.example/organizations'

export interface Organization {
  id: string
  name: string
  displayName: string
}

export interface OrganizationsView {
  current: Organization | null
  /** The user's other organizations, each a "Switch to …" button. */
  others: Organization[]
}

const maxListed = 50

/**
 * The dashboard's organization panel, from the session's ID token claims. Null for an app or user without
 * organizations: the panel is not shown and nothing changes.
 */
export function organizationsFromClaims(claims: IdTokenClaims): OrganizationsView | null {
  const raw = claims[ORGANIZATIONS_CLAIM]
  const listed = (Array.isArray(raw) ? raw : []).slice(0, maxListed).flatMap((entry: unknown) => {
    const { id, name, display_name } = (entry ?? {}) as Record<string, unknown>
    if (typeof id !== 'string' || typeof name !== 'string') return []
    return [{ id, name, displayName: typeof display_name === 'string' ? display_name : name }]
  })
  const orgId = typeof claims.org_id === 'string' ? claims.org_id : undefined
  const current = orgId
    ? (listed.find((org) => org.id === orgId) ?? {
        id: orgId,
        name: typeof claims.org_name === 'string' ? claims.org_name : orgId,
        displayName: typeof claims.org_name === 'string' ? claims.org_name : orgId,
      })
    : null
  if (!current && listed.length === 0) return null
  return { current, others: listed.filter((org) => org.id !== current?.id) }
}
