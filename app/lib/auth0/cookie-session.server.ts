import { createSession, type Session, type SessionData, type SessionStorage } from '@remix-run/node'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { parseCookieHeader, serializeCookie } from './secrets.server'
import { Sealer } from './secrets.server'

export interface BrowserSessionStorageOptions {
  /** First encrypts, all decrypt (rotation). */
  secrets: string[]
  name?: string
  secure: boolean
  /** Cookie lifetime in seconds, renewed whenever the session is written (the idle timeout). Default 1 day. */
  maxAge?: number
}

/** A `SessionStorage` whose cookies may be split in chunks: commit them with `commitSessionCookies`. */
export interface ChunkedSessionStorage extends SessionStorage {
  commitSessionCookies(session: Session): Promise<string[]>
  destroySessionCookies(session: Session): Promise<string[]>
}

/** Browsers keep about 4096 bytes per cookie, name and attributes included. */
const chunkSize = 3800
const maxChunks = 8

/**
 * The Browser strategy's storage: the whole session, encrypted (JWE A256GCM, compressed), in the cookie itself,
 * split into `name`, `name.1`, `name.2`… when it outgrows one cookie. No database needed.
 */
export function createBrowserSessionStorage(options: BrowserSessionStorageOptions): ChunkedSessionStorage {
  const name = options.name ?? '__session'
  const sealer = new Sealer(options.secrets, 'browser session')
  const attributes = (maxAge: number) =>
    ({ maxAge, path: '/', sameSite: 'Lax', secure: options.secure, httpOnly: true }) as const
  const chunkName = (index: number) => (index === 0 ? name : `${name}.${index}`)

  async function read(cookieHeader?: string | null): Promise<{ data: SessionData; chunks: number }> {
    const cookies = parseCookieHeader(cookieHeader)
    let sealed = ''
    let chunks = 0
    while (chunks < maxChunks && cookies.has(chunkName(chunks))) sealed += cookies.get(chunkName(chunks++))
    if (!sealed) return { data: {}, chunks }
    const compressed = await sealer.unseal<string>(sealed)
    if (!compressed) return { data: {}, chunks }
    try {
      return { data: JSON.parse(inflateRawSync(Buffer.from(compressed, 'base64')).toString()), chunks }
    } catch {
      return { data: {}, chunks }
    }
  }

  async function commitSessionCookies(session: Session): Promise<string[]> {
    const compressed = deflateRawSync(JSON.stringify(session.data)).toString('base64')
    const sealed = await sealer.seal(compressed)
    const parts = sealed.match(new RegExp(`.{1,${chunkSize}}`, 'g')) ?? []
    if (parts.length > maxChunks) throw new Error('Session too large for the browser cookie store')
    const maxAge = options.maxAge ?? 24 * 3600
    const cookies = parts.map((part, index) => serializeCookie(chunkName(index), part, attributes(maxAge)))
    // Chunks a larger session used before are deleted.
    const previous = (session as Session & { chunks?: number }).chunks ?? 0
    for (let index = parts.length; index < previous; index++)
      cookies.push(serializeCookie(chunkName(index), '', attributes(0)))
    return cookies
  }

  async function destroySessionCookies(session: Session): Promise<string[]> {
    const count = Math.max(1, (session as Session & { chunks?: number }).chunks ?? 1)
    return Array.from({ length: count }, (_, index) => serializeCookie(chunkName(index), '', attributes(0)))
  }

  return {
    async getSession(cookieHeader) {
      const { data, chunks } = await read(cookieHeader)
      return Object.assign(createSession(data), { chunks })
    },
    async commitSession(session) {
      const cookies = await commitSessionCookies(session)
      if (cookies.length !== 1) throw new Error('Session spans several cookies: use commitSessionCookies')
      return cookies[0]!
    },
    async destroySession(session) {
      return (await destroySessionCookies(session))[0]!
    },
    commitSessionCookies,
    destroySessionCookies,
  }
}

/**
 * A session that replaces the one a request carried (login) must still delete that request's extra chunks: a
 * stale `__session.2` would otherwise be glued onto the new cookie and break it.
 */
export function inheritCookieChunks(from: Session, to: Session): void {
  const carried = (from as Session & { chunks?: number }).chunks ?? 0
  const own = (to as Session & { chunks?: number }).chunks ?? 0
  Object.assign(to, { chunks: Math.max(carried, own) })
}

export function isChunkedSessionStorage(store: SessionStorage): store is ChunkedSessionStorage {
  return 'commitSessionCookies' in store
}
