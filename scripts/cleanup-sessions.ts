// `npm run db:cleanup`: deletes expired session rows once, e.g. from cron when the server's own cleanup timer
// (startSessionCleanup) is not running. Uses DATABASE_URL like the app.
import { db } from '~/db.server'
import { createPrismaSessionStorage } from '~/session-store.server'

// Expiry needs no cookie secret; the storage is only used for its deleteExpired.
const storage = createPrismaSessionStorage({ db, secrets: ['cleanup-only'], secure: false })
try {
  const removed = await storage.deleteExpired()
  console.log(`Removed ${removed} expired session${removed === 1 ? '' : 's'}`)
} finally {
  await db.$disconnect()
}
