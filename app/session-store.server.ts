// The app's session store: Remix's SessionStorage on the Prisma-backed `sessions` table (versioned rows, absolute
// and idle deadlines), with what the library's Server strategy can use. Its parts live in app/session-store/: the
// per-request SQL, refresh leases, revocation, cleanup (docs/decisions/013-session-store-sql.md).
import { randomBytes } from 'node:crypto'
import { createCookie, createSessionStorage } from '@remix-run/node'
import type { Session, SessionData, SessionStorage } from '@remix-run/node'
import { db as appDb, orServiceUnavailable, type Db } from '~/db.server'
import { env } from '~/env.server'
import { SESSION_VERSION_FIELD, SessionConflictError, type RefreshLeaseStore } from '~/lib/auth0'
import { expiredRowsCleanup } from '~/session-store/cleanup.server'
import { refreshLeases } from '~/session-store/lease.server'
import { sessionRevocation, type SessionRevocation } from '~/session-store/revocation.server'
import { sessionSql, type SessionSummary } from '~/session-store/sql.server'

export { startSessionCleanup } from '~/session-store/cleanup.server'
export type { SessionSummary } from '~/session-store/sql.server'

export interface PrismaSessionStorageOptions {
  db: Db
  /** The first secret signs new cookies; all of them verify, so a secret can be rotated in without logouts. */
  secrets: string[]
  secure: boolean
  /** The session-data key whose `sub` / `sid` are indexed for revocation. */
  key?: string
  idleTimeoutSeconds?: number
  absoluteTimeoutSeconds?: number
  cookieName?: string
  now?: () => number
}

/** Remix's SessionStorage on the `sessions` table, with everything the library's Server strategy can use. */
export type PrismaSessionStorage = SessionStorage &
  RefreshLeaseStore &
  SessionRevocation & {
    /** The user's unexpired sessions, newest first. */
    listSessions(sub: string): Promise<SessionSummary[]>
    /** Deletes expired sessions (returns how many), used-logout-token records and deny-list entries. */
    deleteExpired(): Promise<number>
  }

const isSessionId = (id: unknown): id is string => typeof id === 'string' && /^[\w-]{20,100}$/.test(id)

/** Activity pushes the idle deadline forward, but at most one write per this interval keeps reads cheap. */
const IDLE_SLIDE_INTERVAL_MS = 60_000

const isLive = (row: { expiresAt: Date; idleExpiresAt: Date }, at: number) =>
  row.expiresAt.getTime() > at && row.idleExpiresAt.getTime() > at

export function createPrismaSessionStorage(options: PrismaSessionStorageOptions): PrismaSessionStorage {
  const { db, key = 'user', idleTimeoutSeconds = 86_400, absoluteTimeoutSeconds = 604_800 } = options
  const now = options.now ?? Date.now
  const idleMs = idleTimeoutSeconds * 1000
  const sql = sessionSql(db.$driver)

  const cookie = createCookie(options.cookieName ?? '__session', {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    secrets: options.secrets,
    maxAge: absoluteTimeoutSeconds,
  })

  /** The row's columns for `data`: the JSON without the version field, and the indexed `sub` / `sid`. */
  function columns(data: SessionData) {
    const auth = data[key] as { sub?: unknown; sid?: unknown } | undefined
    const { [SESSION_VERSION_FIELD]: _version, ...stored } = data
    return {
      data: JSON.stringify(stored),
      sub: typeof auth?.sub === 'string' ? auth.sub : null,
      sid: typeof auth?.sid === 'string' ? auth.sid : null,
    }
  }

  async function insert(data: SessionData, requestedExpiry: Date | undefined) {
    const at = now()
    const absolute = at + absoluteTimeoutSeconds * 1000
    const expiresAt = new Date(requestedExpiry ? Math.min(absolute, requestedExpiry.getTime()) : absolute)
    return db.session.create({
      data: {
        id: randomBytes(32).toString('base64url'),
        ...columns(data),
        expiresAt,
        idleExpiresAt: new Date(at + idleMs),
        createdAt: new Date(at),
        updatedAt: new Date(at),
      },
      select: { id: true, expiresAt: true, version: true },
    })
  }

  /** A versioned write when the data was read here (it carries the version field); a conflict is thrown. */
  async function update(id: string, data: SessionData) {
    const at = now()
    const readVersion = data[SESSION_VERSION_FIELD]
    const written = await sql.writeSession({
      id,
      ...columns(data),
      at: new Date(at),
      idleExpiresAt: new Date(at + idleMs),
      version: typeof readVersion === 'number' ? readVersion : undefined,
    })
    if (written) return written
    const current = await db.session.findUnique({
      where: { id },
      select: { expiresAt: true, idleExpiresAt: true },
    })
    throw new SessionConflictError(current && isLive(current, at) ? 'version' : 'gone')
  }

  async function read(id: string): Promise<SessionData | null> {
    const at = now()
    const row = await sql.readSession(id)
    if (!row) return null
    if (!isLive(row, at)) {
      await db.session.deleteMany({ where: { id } })
      return null
    }
    const slidTo = at + idleMs
    if (slidTo - row.idleExpiresAt.getTime() >= IDLE_SLIDE_INTERVAL_MS) {
      // Not a data change: the version stays, so this cannot make a concurrent writer conflict.
      await db.session.updateMany({ where: { id }, data: { idleExpiresAt: new Date(slidTo) } })
    }
    return { ...(JSON.parse(row.data) as SessionData), [SESSION_VERSION_FIELD]: row.version }
  }

  const storage = createSessionStorage({
    cookie,
    createData: async (data, expires) => (await orServiceUnavailable(() => insert(data, expires))).id,
    // A signed cookie may still carry any JSON value (e.g. forged with a leaked old secret): only our ids are read.
    readData: (id) => (isSessionId(id) ? orServiceUnavailable(() => read(id)) : Promise.resolve(null)),
    updateData: async (id, data) => {
      await orServiceUnavailable(() => update(id, data))
    },
    deleteData: async (id) => {
      await orServiceUnavailable(() => db.session.deleteMany({ where: { id } }))
    },
  })

  return {
    ...storage,
    ...refreshLeases(db, now),
    ...sessionRevocation(db, sql),
    deleteExpired: expiredRowsCleanup(db, now),

    // Remix's commitSession would give the cookie the caller's expiry; it must end with the row's absolute
    // deadline instead, which only the database knows.
    async commitSession(session: Session, cookieOptions) {
      const requestedExpiry =
        cookieOptions?.maxAge != null ? new Date(now() + cookieOptions.maxAge * 1000) : cookieOptions?.expires
      const row = await orServiceUnavailable(() =>
        session.id ? update(session.id, session.data) : insert(session.data, requestedExpiry),
      )
      // A second commit of the same session object (same request) must not conflict with the first.
      if (session.id) session.set(SESSION_VERSION_FIELD, row.version)
      const maxAge = Math.max(0, Math.floor((row.expiresAt.getTime() - now()) / 1000))
      return cookie.serialize(row.id, { ...cookieOptions, expires: row.expiresAt, maxAge })
    },

    async listSessions(sub) {
      // The dashboard lists sessions on every view: on the driver, like read().
      const rows = await orServiceUnavailable(() => sql.listSessions(sub))
      const at = now()
      return rows
        .filter((summary) => isLive(summary, at))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    },
  }
}

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
