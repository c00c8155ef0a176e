import type { DbDriver } from '~/db.server'

/**
 * The session store's statements on the driver, typed: the reads of every page view, the versioned write, the
 * dashboard's session list and the Browser strategy's deny-list. Everything else goes through Prisma. Why they
 * bypass Prisma, and what keeps them in step with the schema: docs/decisions/013-session-store-sql.md.
 */

export interface StoredSession {
  /** JSON text of the session data, without the version field. */
  data: string
  version: number
  expiresAt: Date
  idleExpiresAt: Date
}

export interface SessionSummary {
  id: string
  createdAt: Date
  updatedAt: Date
  expiresAt: Date
  idleExpiresAt: Date
  sid: string | null
}

export interface SessionWrite {
  id: string
  data: string
  sub: string | null
  sid: string | null
  at: Date
  idleExpiresAt: Date
  /** Write only over this version (optimistic concurrency); omitted: over any live version. */
  version?: number
}

/** Column values as the drivers return them: Date (PostgreSQL) or the stored text (SQLite); counters may be bigint. */
type RawDate = Date | string | number
type RawCount = number | bigint

interface SessionRow {
  data: string
  version: RawCount
  expires_at: RawDate
  idle_expires_at: RawDate
}

interface WrittenRow {
  id: string
  expires_at: RawDate
  version: RawCount
}

interface SummaryRow {
  id: string
  sid: string | null
  created_at: RawDate
  updated_at: RawDate
  expires_at: RawDate
  idle_expires_at: RawDate
}

interface DenialRow {
  issued_before: RawDate | null
}

export type SessionSql = ReturnType<typeof sessionSql>

export function sessionSql(driver: DbDriver) {
  const stamp = (date: Date) => driver.timestamp(date)
  const stampOrNull = (date: Date | undefined) => (date ? stamp(date) : null)

  return {
    /** One session by primary key, live or not (the caller decides). */
    async readSession(id: string): Promise<StoredSession | null> {
      const [row] = await driver.query<SessionRow>(
        'SELECT "data", "version", "expires_at", "idle_expires_at" FROM "sessions" WHERE "id" = $1',
        [id],
      )
      if (!row) return null
      return {
        data: row.data,
        version: Number(row.version),
        expiresAt: new Date(row.expires_at),
        idleExpiresAt: new Date(row.idle_expires_at),
      }
    },

    /**
     * The conditional write: never recreates a deleted or expired row, never overwrites a newer version. Null when
     * nothing was written.
     */
    async writeSession(
      write: SessionWrite,
    ): Promise<{ id: string; expiresAt: Date; version: number } | null> {
      const at = stamp(write.at)
      const values = [write.data, write.sub, write.sid, stamp(write.idleExpiresAt), at, write.id, at, at]
      const versioned = write.version !== undefined
      const [row] = await driver.query<WrittenRow>(
        `UPDATE "sessions" SET "data" = $1, "sub" = $2, "sid" = $3, "version" = "version" + 1,
           "idle_expires_at" = $4, "updated_at" = $5
         WHERE "id" = $6 AND "expires_at" > $7 AND "idle_expires_at" > $8${versioned ? ' AND "version" = $9' : ''}
         RETURNING "id", "expires_at", "version"`,
        versioned ? [...values, write.version] : values,
      )
      return row ? { id: row.id, expiresAt: new Date(row.expires_at), version: Number(row.version) } : null
    },

    /** A user's sessions, live or not: a user has few rows, the caller filters. */
    async listSessions(sub: string): Promise<SessionSummary[]> {
      const rows = await driver.query<SummaryRow>(
        `SELECT "id", "sid", "created_at", "updated_at", "expires_at", "idle_expires_at"
         FROM "sessions" WHERE "sub" = $1`,
        [sub],
      )
      return rows.map((row) => ({
        id: row.id,
        sid: row.sid,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
        expiresAt: new Date(row.expires_at),
        idleExpiresAt: new Date(row.idle_expires_at),
      }))
    },

    /**
     * Adds or widens a deny-list entry: the later cut-off and the later expiry win (timestamps of one format
     * compare in order on both engines); a null cut-off denies everything.
     */
    async deny(key: string, issuedBefore: Date | undefined, expiresAt: Date | undefined): Promise<void> {
      await driver.query(
        `INSERT INTO "session_denials" ("key", "issued_before", "expires_at") VALUES ($1, $2, $3)
         ON CONFLICT ("key") DO UPDATE SET
           "issued_before" = CASE WHEN "session_denials"."issued_before" IS NULL
             OR excluded."issued_before" IS NULL THEN NULL
             WHEN excluded."issued_before" > "session_denials"."issued_before" THEN excluded."issued_before"
             ELSE "session_denials"."issued_before" END,
           "expires_at" = CASE WHEN excluded."expires_at" > "session_denials"."expires_at"
             THEN excluded."expires_at" ELSE "session_denials"."expires_at" END`,
        [key, stampOrNull(issuedBefore), stampOrNull(expiresAt)],
      )
    },

    /** The cut-offs of the deny-list entries for two keys (null: everything before now is denied). */
    async denialCutoffs(first: string, second: string): Promise<(Date | null)[]> {
      const rows = await driver.query<DenialRow>(
        'SELECT "issued_before" FROM "session_denials" WHERE "key" IN ($1, $2)',
        [first, second],
      )
      return rows.map((row) => (row.issued_before === null ? null : new Date(row.issued_before)))
    },
  }
}
