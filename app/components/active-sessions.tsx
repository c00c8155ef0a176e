/**
 * SLOT: the list of this user's active sessions (devices), with "sign out" per session, goes here.
 * It renders nothing until the session list feature lands; the dashboard already places it.
 */
export function ActiveSessions() {
  return null
}
