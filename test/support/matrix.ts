import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { vi } from 'vitest'
import { createDb } from '~/db.server'
import { createPrismaSessionStorage } from '~/session-store.server'
import { createBrowserSessionStorage, SessionStrategy, type Auth0RemixServerOptions } from '~/lib/auth0'
import type { EmulatorOptions } from '../../dev/auth0-emulator/server'
import { createTestDatabase } from '../sessions/databases'
import { appOrigin, clientId, clientSecret, sessionSecret, startHarness, type Harness } from './auth-harness'
import type { AppBrowser } from './browser'

/** One way the library is offered: session strategy × the tenant's refresh token rotation × response mode. */
export interface MatrixCell {
  strategy: SessionStrategy
  rotation: boolean
  usePost: boolean
}

export const matrix: MatrixCell[] = [SessionStrategy.Server, SessionStrategy.Browser].flatMap((strategy) =>
  [true, false].flatMap((rotation) => [true, false].map((usePost) => ({ strategy, rotation, usePost }))),
)

/** For `describe.each(matrix)('… $name', …)`. */
export const cells = matrix.map((cell) => ({ ...cell, name: cellName(cell) }))

export function cellName(cell: MatrixCell): string {
  return `${cell.strategy} · rotation ${cell.rotation ? 'on' : 'off'} · ${cell.usePost ? 'form_post' : 'query'}`
}

/** APIs of the matrix tenant: the default one plus others, so a session can grow over several cookie chunks. */
export const defaultApi = 'http://localhost:3000/api'
export const otherApis = [
  'https://api.example.test',
  'https://reports.example.test',
  'https://billing.example.test',
]

export interface CellHarness extends Harness {
  cell: MatrixCell
  /** The URL the emulator posts back-channel logout tokens to; it is served by this cell's authenticator. */
  backchannelUrl: string
}

/**
 * A harness for one cell: an emulator whose application has the cell's rotation setting, the cell's session store
 * and an authenticator that says what the tenant does (`refreshTokenRotationEnabled`).
 */
export async function startCell(
  cell: MatrixCell,
  options: { emulator?: Partial<EmulatorOptions>; auth?: Partial<Auth0RemixServerOptions> } = {},
): Promise<CellHarness> {
  // The emulator needs the back-channel URL before the authenticator that serves it exists.
  const serving: { harness?: Harness } = {}
  const backchannel = await listen(async (request) =>
    serving.harness
      ? serving.harness.auth.handleBackchannelLogout(request)
      : new Response(null, { status: 503 }),
  )
  // Server: the stack's Prisma store on a fresh SQLite file. Browser: the encrypted cookie store, with the same
  // database as its shared deny-list (a logged-out cookie is refused on every instance).
  const database = await createTestDatabase('sqlite')
  const db = createDb(database.url)
  const rows = createPrismaSessionStorage({ db, secrets: [sessionSecret], secure: false })
  const browser = cell.strategy === SessionStrategy.Browser
  const storage = browser ? createBrowserSessionStorage({ secrets: [sessionSecret], secure: false }) : rows
  const started = await startHarness({
    storage,
    strategy: cell.strategy,
    usePost: cell.usePost,
    audience: defaultApi,
    auth: {
      refreshTokenRotationEnabled: cell.rotation,
      session: { store: storage, key: 'user', strategy: cell.strategy, denyList: browser ? rows : undefined },
      ...options.auth,
    },
    emulator: {
      apis: [defaultApi, ...otherApis].map((identifier) => ({ identifier, scopes: ['read:data'] })),
      clients: [
        {
          clientId,
          clientSecret,
          redirectUris: [`${appOrigin}/auth/callback`],
          logoutUrls: [appOrigin, `${appOrigin}/`],
          backchannelLogoutUri: backchannel.url,
          refreshTokens: { rotation: cell.rotation },
        },
      ],
      ...options.emulator,
    },
  })
  serving.harness = started
  return {
    ...started,
    cell,
    backchannelUrl: backchannel.url,
    async close() {
      await started.close()
      await backchannel.close()
      await db.$disconnect()
      await database.drop()
    },
  }
}

/**
 * One request as Remix runs it: the route's library calls share `context`, then entry.server's `applyHeaders`
 * adds the cookies a refresh re-issued; the browser keeps them, from a thrown redirect too.
 */
export async function visit<T>(
  harness: Harness,
  browser: AppBrowser,
  path: string,
  run: (request: Request, context: object) => Promise<T>,
): Promise<T> {
  const request = browser.request(path)
  const context = {}
  try {
    return await run(request, context)
  } catch (thrown) {
    if (thrown instanceof Response) browser.store(thrown)
    throw thrown
  } finally {
    const headers = new Headers()
    harness.auth.applyHeaders(request, context, headers)
    browser.store(new Response(null, { headers }))
  }
}

/** Moves the clock of this process (library, store and emulator alike) forward: time passes without a sleep. */
export function advanceClock(ms: number): void {
  if (vi.isFakeTimers()) vi.setSystemTime(Date.now() + ms)
  else vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: Date.now() + ms })
}

async function listen(handle: (request: Request) => Promise<Response>) {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const response = await handle(
      new Request(`${appOrigin}${req.url}`, {
        method: req.method,
        headers: { 'Content-Type': req.headers['content-type'] ?? '' },
        body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
      }),
    )
    res.writeHead(response.status)
    res.end(await response.text())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/auth/backchannel-logout`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
