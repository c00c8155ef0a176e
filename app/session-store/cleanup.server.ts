import { describeDbError, type Db } from '~/db.server'

/** Deletes expired sessions (returns how many), used-logout-token records and deny-list entries. */
export function expiredRowsCleanup(db: Db, now: () => number): () => Promise<number> {
  return async () => {
    const at = new Date(now())
    const { count } = await db.session.deleteMany({
      where: { OR: [{ expiresAt: { lte: at } }, { idleExpiresAt: { lte: at } }] },
    })
    await db.usedLogoutToken.deleteMany({ where: { expiresAt: { lte: at } } })
    await db.sessionDenial.deleteMany({ where: { expiresAt: { lte: at } } })
    return count
  }
}

/** Deletes expired rows every `intervalMs` without keeping the process alive; returns a stop function. */
export function startSessionCleanup(storage: { deleteExpired(): Promise<number> }, intervalMs: number) {
  const timer = setInterval(() => {
    storage
      .deleteExpired()
      .catch((error: unknown) => console.error(`Session cleanup failed (${describeDbError(error)})`))
  }, intervalMs)
  timer.unref()
  return (): void => clearInterval(timer)
}
