import { db as appDb } from '~/db.server'
import { env } from '~/env.server'
import { createPrismaSessionStorage, type PrismaSessionStorage } from '~/session-store/storage.server'

/**
 * The app's session store: the Prisma-backed `sessions` table (app/session-store/: the storage, its SQL on the
 * driver, leases, revocation, cleanup), wired to the app's configuration.
 */
export { startSessionCleanup } from '~/session-store/cleanup.server'
export type { SessionSummary } from '~/session-store/sql.server'
export {
  createPrismaSessionStorage,
  type PrismaSessionStorage,
  type PrismaSessionStorageOptions,
} from '~/session-store/storage.server'

let appStorage: PrismaSessionStorage | undefined

/**
 * On https the session cookie carries the `__Host-` prefix: browsers then accept it only Secure, with Path=/ and
 * no Domain, so a sibling subdomain or a plain-http response cannot plant or overwrite it. Plain http (local
 * development) cannot hold such a cookie, hence the plain name there.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-session' : '__session'
}

/** The app's session storage: SESSION_SECRET's secrets (newest first), Secure when APP_DOMAIN is https. */
export function getSessionStorage(): PrismaSessionStorage {
  appStorage ??= createPrismaSessionStorage({
    db: appDb,
    secrets: env.SESSION_SECRETS,
    secure: env.SECURE_COOKIES,
    cookieName: sessionCookieName(env.SECURE_COOKIES),
  })
  return appStorage
}
