import { createCookieSessionStorage, createFileSessionStorage, type SessionStorage } from '@remix-run/node'
import { createBrowserSessionStorage } from '../../../app/lib/auth0'

/**
 * Which of the original README's setups this run is (the test starts one app per setup):
 * - `server`: SessionStrategy.Server, the cookie holds an id and the data lives in files (a "database").
 * - `browser`: SessionStrategy.Browser with the library's chunked, encrypted cookie store.
 * - `cookie`: SessionStrategy.Browser with Remix's own cookie store, as the original README's apps had it.
 * - `opt-out`: no `session` option; the app stores the credentials itself (in the file store).
 */
export type Setup = 'server' | 'browser' | 'cookie' | 'opt-out'
export const setup = (process.env.SEED_STRATEGY ?? 'server') as Setup

const secrets = [process.env.SESSION_SECRET!]
const cookie = { name: '__session', secrets, sameSite: 'lax', path: '/', httpOnly: true } as const

function create(): SessionStorage {
  if (setup === 'browser') return createBrowserSessionStorage({ secrets, secure: false })
  if (setup === 'cookie') return createCookieSessionStorage({ cookie })
  return createFileSessionStorage({ cookie, dir: process.env.SEED_SESSION_DIR! })
}

const storage = create()

export const getSessionStorage = () => storage
