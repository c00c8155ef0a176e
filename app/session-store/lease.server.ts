import { randomBytes } from 'node:crypto'
import { orServiceUnavailable, type Db } from '~/db.server'
import type { RefreshLeaseStore } from '~/lib/auth0'

/**
 * Row-level refresh leases, so that one process in a cluster refreshes a session's tokens at a time. A lease is
 * a deadline and an owner on the session's row; an expired lease is free again.
 */
export function refreshLeases(db: Db, now: () => number): RefreshLeaseStore {
  // One owner per store (per process): another process cannot release our lease.
  const owner = randomBytes(12).toString('base64url')
  return {
    async acquireRefreshLease(sessionId, ttlMs) {
      const at = now()
      const { count } = await orServiceUnavailable(() =>
        db.session.updateMany({
          where: { id: sessionId, OR: [{ leaseUntil: null }, { leaseUntil: { lte: new Date(at) } }] },
          data: { leaseUntil: new Date(at + ttlMs), leaseOwner: owner },
        }),
      )
      return count === 1
    },

    async releaseRefreshLease(sessionId) {
      await orServiceUnavailable(() =>
        db.session.updateMany({
          where: { id: sessionId, leaseOwner: owner },
          data: { leaseUntil: null, leaseOwner: null },
        }),
      )
    },
  }
}
