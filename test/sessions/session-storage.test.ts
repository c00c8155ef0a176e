import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDb, type Db } from '~/db.server'
import { SESSION_VERSION_FIELD, SessionConflictError } from '~/lib/auth0/store'
import {
  createPrismaSessionStorage,
  type PrismaSessionStorage,
  type PrismaSessionStorageOptions,
} from '~/session-store.server'
import { createTestDatabase, startLeaseProcess, type Engine, type TestDatabase } from './databases'

const SECRETS = ['current-secret-0123456789abcdef']
const IDLE_S = 1800
const ABSOLUTE_S = 3600
const START = Date.parse('2026-01-01T00:00:00Z')

/** The `name=value` part of a Set-Cookie header, as a browser would send it back. */
const cookieHeader = (setCookie: string) => setCookie.split(';')[0]!

function attributes(setCookie: string): Map<string, string> {
  const parts = setCookie.split(';').slice(1)
  return new Map(
    parts.map((part) => part.trim().split('=') as [string, string]).map(([k, v]) => [k.toLowerCase(), v]),
  )
}

async function expectConflict(promise: Promise<unknown>, reason: 'version' | 'gone') {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(SessionConflictError)
  expect((error as SessionConflictError).reason).toBe(reason)
}

// Far from UTC: the stored deadlines are UTC, and no driver may read them back as local time.
const processTimeZone = process.env.TZ
beforeAll(() => {
  process.env.TZ = 'Asia/Tokyo'
})
afterAll(() => {
  if (processTimeZone === undefined) delete process.env.TZ
  else process.env.TZ = processTimeZone
})

describe.each<Engine>(['sqlite', 'postgresql'])('Prisma session storage on %s', (engine) => {
  let database: TestDatabase
  let db: Db
  let clock: number
  let storage: PrismaSessionStorage

  const createStorage = (options: Partial<PrismaSessionStorageOptions> = {}) =>
    createPrismaSessionStorage({
      db,
      secrets: SECRETS,
      secure: true,
      idleTimeoutSeconds: IDLE_S,
      absoluteTimeoutSeconds: ABSOLUTE_S,
      now: () => clock,
      ...options,
    })

  /** A committed session for `sub`; returns its Set-Cookie and row id. */
  async function login(sub: string, sid = `sid-${sub}`, store = storage) {
    const session = await store.getSession()
    session.set('user', { sub, sid })
    const setCookie = await store.commitSession(session)
    const row = await db.session.findFirstOrThrow({ where: { sub }, orderBy: { createdAt: 'desc' } })
    return { setCookie, cookie: cookieHeader(setCookie), id: row.id }
  }

  beforeAll(async () => {
    database = await createTestDatabase(engine)
    db = createDb(database.url)
  })

  afterAll(async () => {
    await db?.$disconnect()
    await database?.drop()
  })

  beforeEach(async () => {
    await db.session.deleteMany()
    clock = START
    storage = createStorage()
  })

  it('creates, reads, updates and destroys a session through the Remix API', async () => {
    const fresh = await storage.getSession()
    expect(fresh.id).toBe('')
    fresh.set('theme', 'dark')
    const cookie = cookieHeader(await storage.commitSession(fresh))

    const read = await storage.getSession(cookie)
    expect(read.get('theme')).toBe('dark')
    expect(read.id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const row = await db.session.findUniqueOrThrow({ where: { id: read.id } })
    expect(cookie).not.toContain(row.data)
    expect(JSON.parse(row.data)).toEqual({ theme: 'dark' })

    read.set('theme', 'light')
    read.set('user', { sub: 'auth0|alice', sid: 'sid-1' })
    await storage.commitSession(read)
    // The same session object can be committed again within a request.
    read.set('theme', 'blue')
    await storage.commitSession(read)
    const updated = await db.session.findUniqueOrThrow({ where: { id: read.id } })
    expect(JSON.parse(updated.data)).toEqual({ theme: 'blue', user: { sub: 'auth0|alice', sid: 'sid-1' } })
    expect(updated).toMatchObject({ version: 2, sub: 'auth0|alice', sid: 'sid-1' })
    expect((await storage.getSession(cookie)).get('theme')).toBe('blue')

    const cleared = await storage.destroySession(await storage.getSession(cookie))
    expect(cleared).toMatch(/^__session=; /)
    expect(await db.session.count()).toBe(0)
    expect((await storage.getSession(cookie)).data).toEqual({})
  })

  it('writes deadlines on the driver exactly as Prisma writes, reads and compares them', async () => {
    const { cookie, id } = await login('auth0|alice')
    clock += 90_000
    const session = await storage.getSession(cookie)
    session.set('theme', 'dark')
    await storage.commitSession(session)
    // Prisma parses what the driver wrote, to the millisecond, and its comparisons see it.
    const row = await db.session.findUniqueOrThrow({ where: { id } })
    expect(row.updatedAt.getTime()).toBe(clock)
    expect(row.idleExpiresAt.getTime()).toBe(clock + IDLE_S * 1000)
    const live = { idleExpiresAt: { gt: new Date(clock + IDLE_S * 1000 - 1) } }
    expect(await db.session.count({ where: live })).toBe(1)
    // The stored text (SQLite) or value (PostgreSQL) has the shape of a column Prisma wrote.
    const [stored] = await db.$driver.query<Record<string, unknown>>(
      'SELECT "created_at", "updated_at" FROM "sessions" WHERE "id" = $1',
      [id],
    )
    const shape = (value: unknown) => (typeof value === 'string' ? value.replace(/\d/g, '0') : typeof value)
    expect(shape(stored!.updated_at)).toBe(shape(stored!.created_at))
  })

  it('sets a signed, HttpOnly, SameSite=Lax cookie that ends at the absolute deadline', async () => {
    const { setCookie, id } = await login('auth0|alice')
    const attrs = attributes(setCookie)
    expect(setCookie.startsWith('__session=')).toBe(true)
    expect(cookieHeader(setCookie)).not.toBe(`__session=${id}`)
    expect(attrs.get('path')).toBe('/')
    expect(attrs.has('httponly')).toBe(true)
    expect(attrs.has('secure')).toBe(true)
    expect(attrs.get('samesite')).toBe('Lax')
    expect(attrs.get('max-age')).toBe(String(ABSOLUTE_S))
    expect(new Date(attrs.get('expires')!).getTime()).toBe(START + ABSOLUTE_S * 1000)

    // Later writes keep the original deadline: it never slides.
    clock += 600_000
    const session = await storage.getSession(cookieHeader(setCookie))
    session.set('theme', 'dark')
    const later = attributes(await storage.commitSession(session))
    expect(later.get('max-age')).toBe(String(ABSOLUTE_S - 600))
    expect(new Date(later.get('expires')!).getTime()).toBe(START + ABSOLUTE_S * 1000)

    const insecure = createStorage({ secure: false, cookieName: 'sid' })
    const plain = await insecure.commitSession(await insecure.getSession())
    expect(plain.startsWith('sid=')).toBe(true)
    expect(attributes(plain).has('secure')).toBe(false)
  })

  it('caps the absolute deadline at an earlier expiry requested by the caller', async () => {
    const session = await storage.getSession()
    const expires = new Date(START + 60_000)
    const attrs = attributes(await storage.commitSession(session, { expires }))
    expect(attrs.get('max-age')).toBe('60')
    const row = await db.session.findFirstOrThrow()
    expect(row.expiresAt.getTime()).toBe(expires.getTime())
  })

  it('rotates secrets: old cookies still read, new ones use the new secret, retired ones and tampering fail', async () => {
    const { cookie: oldCookie } = await login('auth0|alice')
    const rotated = createStorage({ secrets: ['next-secret-0123456789abcdef', ...SECRETS] })
    const readAfterRotation = await rotated.getSession(oldCookie)
    expect(readAfterRotation.get('user')).toMatchObject({ sub: 'auth0|alice' })

    const newCookie = cookieHeader(await rotated.commitSession(readAfterRotation))
    expect(newCookie).not.toBe(oldCookie)
    const onlyNew = createStorage({ secrets: ['next-secret-0123456789abcdef'] })
    expect((await onlyNew.getSession(newCookie)).get('user')).toMatchObject({ sub: 'auth0|alice' })
    expect((await onlyNew.getSession(oldCookie)).data).toEqual({})

    const value = oldCookie.slice('__session='.length)
    const tampered = `__session=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`
    const forged = await storage.getSession(tampered)
    expect(forged.data).toEqual({})
    expect(forged.id).toBe('')
  })

  it('expires a session at its absolute deadline even when it stays active, and deletes the row', async () => {
    const { cookie, id } = await login('auth0|alice')
    for (const elapsedS of [1000, 2000, 3000, ABSOLUTE_S - 1]) {
      clock = START + elapsedS * 1000
      expect((await storage.getSession(cookie)).get('user')).toBeDefined()
    }
    clock = START + ABSOLUTE_S * 1000
    expect((await storage.getSession(cookie)).data).toEqual({})
    expect(await db.session.findUnique({ where: { id } })).toBeNull()
  })

  it('expires an idle session and deletes the row', async () => {
    const { cookie, id } = await login('auth0|alice')
    clock += IDLE_S * 1000 - 1
    expect((await storage.getSession(cookie)).get('user')).toBeDefined()
    clock += IDLE_S * 1000
    expect((await storage.getSession(cookie)).data).toEqual({})
    expect(await db.session.findUnique({ where: { id } })).toBeNull()
  })

  it('slides the idle deadline on reads, writing it at most once a minute and without a version bump', async () => {
    const { cookie, id } = await login('auth0|alice')
    const idleDeadline = async () =>
      (await db.session.findUniqueOrThrow({ where: { id } })).idleExpiresAt.getTime()

    clock += 59_000
    await storage.getSession(cookie)
    expect(await idleDeadline()).toBe(START + IDLE_S * 1000)

    clock += 1_000
    await storage.getSession(cookie)
    expect(await idleDeadline()).toBe(clock + IDLE_S * 1000)
    expect((await db.session.findUniqueOrThrow({ where: { id } })).version).toBe(0)

    clock += 30_000
    await storage.getSession(cookie)
    expect(await idleDeadline()).toBe(START + 60_000 + IDLE_S * 1000)
  })

  it('deleteExpired removes idle and absolute expired rows only', async () => {
    const { cookie: keep } = await login('auth0|active')
    await login('auth0|idle')
    const longIdle = createStorage({ idleTimeoutSeconds: ABSOLUTE_S * 2 })
    await login('auth0|absolute', 'sid-absolute', longIdle)

    clock += (IDLE_S - 60) * 1000
    await storage.getSession(keep)
    clock += 120_000 // 'idle' is now idle-expired
    expect(await storage.deleteExpired()).toBe(1)
    clock = START + ABSOLUTE_S * 1000 // 'absolute' (and 'active') hit the absolute deadline
    expect(await storage.deleteExpired()).toBe(2)
    expect(await db.session.count()).toBe(0)
    expect(await storage.deleteExpired()).toBe(0)
  })

  it('accepts a logout token once for every instance, and forgets it when it expires', async () => {
    const otherInstance = createDb(database.url)
    try {
      const other = createStorage({ db: otherInstance })
      const expiresAt = new Date(clock + 120_000)
      expect(await storage.useLogoutToken('jti-1', expiresAt)).toBe(true)
      expect(await other.useLogoutToken('jti-1', expiresAt)).toBe(false)
      expect(await storage.useLogoutToken('jti-1', expiresAt)).toBe(false)
      expect(await other.useLogoutToken('jti-2', expiresAt)).toBe(true)
      clock += 60_000
      await storage.deleteExpired()
      expect(await db.usedLogoutToken.count()).toBe(2)
      clock += 61_000
      await storage.deleteExpired()
      expect(await db.usedLogoutToken.count()).toBe(0)
    } finally {
      await otherInstance.$disconnect()
    }
  })

  it('rejects a write based on a stale version and keeps the first writer data', async () => {
    const { cookie, id } = await login('auth0|alice')
    const first = await storage.getSession(cookie)
    const second = await storage.getSession(cookie)
    expect(first.get(SESSION_VERSION_FIELD)).toBe(0)

    first.set('cart', ['first'])
    await storage.commitSession(first)
    second.set('cart', ['second'])
    await expectConflict(storage.commitSession(second), 'version')

    const row = await db.session.findUniqueOrThrow({ where: { id } })
    expect(row.version).toBe(1)
    expect(JSON.parse(row.data)).toMatchObject({ cart: ['first'] })
    expect(JSON.parse(row.data)).not.toHaveProperty(SESSION_VERSION_FIELD)
  })

  it('never recreates a destroyed, revoked or expired session on a late write', async () => {
    const { cookie, id } = await login('auth0|alice')
    const late = await storage.getSession(cookie)
    await storage.destroySession(await storage.getSession(cookie))
    late.set('theme', 'dark')
    await expectConflict(storage.commitSession(late), 'gone')
    expect(await db.session.count()).toBe(0)

    const revoked = await login('auth0|bob')
    const lateForBob = await storage.getSession(revoked.cookie)
    await storage.revokeSessions({ sub: 'auth0|bob' })
    await expectConflict(storage.commitSession(lateForBob), 'gone')

    const idle = await login('auth0|carol')
    const lateForCarol = await storage.getSession(idle.cookie)
    clock += IDLE_S * 1000
    await expectConflict(storage.commitSession(lateForCarol), 'gone')
    expect(await db.session.findUnique({ where: { id } })).toBeNull()
  })

  it('gives a refresh lease to exactly one of two processes, and frees it when released or expired', async () => {
    const otherProcess = startLeaseProcess(database.url)
    try {
      const { id } = await login('auth0|alice')
      const acquireHere = () => storage.acquireRefreshLease(id, 10_000)
      const acquireThere = () => otherProcess.send({ op: 'acquire', id, ttlMs: 10_000, now: clock })
      await otherProcess.send({ op: 'release', id }) // warm up: the child has connected before the race starts

      for (let round = 0; round < 20; round++) {
        const [here, there] = await Promise.all([acquireHere(), acquireThere()])
        expect([here, there].filter(Boolean)).toHaveLength(1)
        // Only the owner can release: the loser's release is a no-op.
        if (here) await otherProcess.send({ op: 'release', id })
        else await storage.releaseRefreshLease(id)
        expect(await (here ? acquireThere() : acquireHere())).toBe(false)
        if (here) await storage.releaseRefreshLease(id)
        else await otherProcess.send({ op: 'release', id })
      }

      expect(await acquireHere()).toBe(true)
      expect(await acquireHere()).toBe(false)
      clock += 10_000
      expect(await acquireThere()).toBe(true)
      expect(await storage.acquireRefreshLease('no-such-session', 10_000)).toBe(false)
    } finally {
      await otherProcess.stop()
    }
  })

  it('lists, revokes one, revokes others and revokes by sid or sub', async () => {
    const first = await login('auth0|alice', 'sid-a1')
    clock += 1000
    const second = await login('auth0|alice', 'sid-a2')
    clock += 1000
    const third = await login('auth0|alice', 'sid-a3')
    await login('auth0|bob', 'sid-b1')

    const listed = await storage.listSessions('auth0|alice')
    expect(listed.map((s) => s.id)).toEqual([third.id, second.id, first.id])
    expect(listed[0]).toEqual({
      id: third.id,
      sid: 'sid-a3',
      createdAt: new Date(clock),
      updatedAt: new Date(clock),
      expiresAt: new Date(START + 2000 + ABSOLUTE_S * 1000),
      idleExpiresAt: new Date(clock + IDLE_S * 1000),
    })

    expect(await storage.revokeSession(first.id)).toBe(true)
    expect(await storage.revokeSession(first.id)).toBe(false)
    expect(await storage.revokeOtherSessions('auth0|alice', third.id)).toBe(1)
    expect((await storage.listSessions('auth0|alice')).map((s) => s.id)).toEqual([third.id])

    expect(await storage.revokeSessions({})).toBe(0)
    expect(await storage.revokeSessions({ sid: 'sid-a3' })).toBe(1)
    expect((await storage.getSession(third.cookie)).data).toEqual({})
    expect(await storage.revokeSessions({ sub: 'auth0|bob' })).toBe(1)
    expect(await db.session.count()).toBe(0)
  })

  it('leaves expired sessions out of the listing', async () => {
    await login('auth0|alice', 'sid-old')
    clock += (IDLE_S + 1) * 1000
    const current = await login('auth0|alice', 'sid-new')
    expect((await storage.listSessions('auth0|alice')).map((s) => s.id)).toEqual([current.id])
  })
})
