import { orServiceUnavailable, type Db } from '~/db.server'
import type { LogoutTokenReplayStore, SessionDenyList, SessionRevocationStore } from '~/lib/auth0'
import type { SessionSql } from './sql.server'

export interface SessionRevocation extends SessionRevocationStore, LogoutTokenReplayStore, SessionDenyList {
  revokeSession(id: string): Promise<boolean>
  /** "Log out other devices": deletes the user's sessions except `keepId`; returns how many. */
  revokeOtherSessions(sub: string, keepId: string): Promise<number>
}

/**
 * Ending sessions: deleting rows (Server strategy), the deny-list that ends cookie sessions (Browser strategy),
 * and the cluster-wide record of back-channel logout tokens already used.
 */
export function sessionRevocation(db: Db, sql: SessionSql): SessionRevocation {
  return {
    async revokeSessions({ sid, sub }) {
      const matches = [sid !== undefined && { sid }, sub !== undefined && { sub }].filter((match) => !!match)
      if (matches.length === 0) return 0
      return (await orServiceUnavailable(() => db.session.deleteMany({ where: { OR: matches } }))).count
    },

    async revokeSession(id) {
      return (await orServiceUnavailable(() => db.session.deleteMany({ where: { id } }))).count === 1
    },

    async revokeOtherSessions(sub, keepId) {
      return (
        await orServiceUnavailable(() => db.session.deleteMany({ where: { sub, id: { not: keepId } } }))
      ).count
    },

    async useLogoutToken(jti, expiresAt) {
      return orServiceUnavailable(async () => {
        try {
          await db.usedLogoutToken.create({ data: { jti, expiresAt } })
          return true
        } catch (error) {
          // The primary key is the cluster-wide "seen it": a second insert of the jti is a replay.
          if ((error as { code?: unknown }).code === 'P2002') return false
          throw error
        }
      })
    },

    async denySessions({ sid, sub, issuedBefore, expiresAt }) {
      const key = sid !== undefined ? `sid:${sid}` : sub !== undefined ? `sub:${sub}` : undefined
      if (key) await orServiceUnavailable(() => sql.deny(key, issuedBefore, expiresAt))
    },

    async isSessionDenied({ sid, sub, issuedAt }) {
      // Every request of the Browser strategy asks: a primary-key lookup on the driver.
      const cutoffs = await orServiceUnavailable(() =>
        sql.denialCutoffs(sid !== undefined ? `sid:${sid}` : 'sid:', `sub:${sub}`),
      )
      return cutoffs.some((cutoff) => cutoff === null || issuedAt.getTime() < cutoff.getTime())
    },
  }
}
