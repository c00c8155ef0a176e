import { afterAll, beforeAll, expect } from 'vitest'
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../dev/auth0-emulator/server'
import {
  createTestDatabase,
  freePort,
  startApp,
  testClient,
  testSessionSecret,
  type Engine,
  type RunningApp,
  type TestDatabase,
} from '../support/app-server'
import { AppBrowser, location } from '../support/browser'
import { httpLogin } from '../support/http-login'
import { createDb, type Db } from '~/db.server'
import { Auth0RemixServer, SessionStrategy, type UserProfile } from '~/lib/auth0'
import { createTestSession } from '~/lib/auth0/testing.server'
import { createPrismaSessionStorage } from '~/session-store.server'

/**
 * The security suite attacks the BUILT app (`npm run build` first) over HTTP: one emulator, one database (the
 * engine of DATABASE_URL, so CI runs it on SQLite and on PostgreSQL) and one `node server.js` per test file. The
 * load test runs the test build instead (`npm run build:test`), for its write counter.
 */

export const engine: Engine = /^postgres(ql)?:/.test(process.env.DATABASE_URL ?? '') ? 'postgresql' : 'sqlite'

/** A second application at the same tenant, allowed to use the app's callback URL: its codes are not ours. */
export const otherClient = { clientId: 'other-client', clientSecret: 'other-client-secret-0123456789abcdef' }
export const otherApi = 'https://api.example.test'

let nextAddress = 1
/** A fresh client IP (X-Forwarded-For) so that one test's requests never meet another's rate limit. */
export function freshIp(): string {
  const n = nextAddress++
  return `10.${(process.pid >> 8) & 255}.${(n >> 8) & 255}.${n & 255}`
}

/** AppBrowser that comes from its own IP address through the app's (trusted) proxy. */
export class Client extends AppBrowser {
  constructor(
    origin: string,
    readonly ip = freshIp(),
  ) {
    super(origin)
  }

  override request(path: string, init: RequestInit & { crossSite?: boolean } = {}): Request {
    const headers = new Headers(init.headers)
    headers.set('X-Forwarded-For', this.ip)
    return super.request(path, { ...init, headers })
  }

  /** fetch without following redirects, storing the app's cookies. */
  async send(path: string, init: RequestInit & { crossSite?: boolean } = {}): Promise<Response> {
    return this.store(await fetch(this.request(path, init), { redirect: 'manual' }))
  }

  async get(path: string): Promise<Response> {
    return this.send(path)
  }

  async submit(path: string, form: Record<string, string> = {}): Promise<Response> {
    return this.store(await fetch(this.post(path, form), { redirect: 'manual' }))
  }
}

export interface StackOptions {
  emulator?: Partial<EmulatorOptions>
  env?: Record<string, string>
  /** The app's public URL, when it differs from where it listens (e.g. https behind a proxy). */
  appDomain?: string
  /** Where the emulator sends logout tokens (default: the app's endpoint). */
  backchannelLogoutUri?: string
  /** The build to run (startApp's `cwd`): the product build by default; `testBuild` has /auth/test-counter. */
  cwd?: string
}

export interface Stack {
  emulator: RunningEmulator
  database: TestDatabase
  app: RunningApp
  origin: string
  port: number
  db: Db
  /** Every output line of every app process this stack ran. */
  output(): string
  /** Stops and starts the app on the same port and database (e.g. with other env). */
  restart(env?: Record<string, string>): Promise<void>
  /** Starts a new emulator on the same port (the old one's state is gone). */
  restartEmulator(): Promise<void>
  stop(): Promise<void>
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const publicOrigin = options.appDomain ?? origin
  const emulatorOptions = (emulatorPort: number): EmulatorOptions => ({
    port: emulatorPort,
    quiet: true,
    // The app declares refreshTokenRotationEnabled: true, as the README asks of a real tenant.
    refreshTokens: { rotation: true },
    clients: [
      {
        ...testClient,
        redirectUris: [`${publicOrigin}/auth/callback`],
        logoutUrls: [publicOrigin, `${publicOrigin}/`],
        backchannelLogoutUri: options.backchannelLogoutUri ?? `${origin}/auth/backchannel-logout`,
      },
      { ...otherClient, redirectUris: [`${publicOrigin}/auth/callback`], logoutUrls: [] },
    ],
    apis: [
      { identifier: `${publicOrigin}/api`, scopes: ['read:profile'] },
      { identifier: otherApi, scopes: ['read:data'] },
    ],
    ...options.emulator,
  })
  let emulator = await startEmulator(emulatorOptions(0))
  const database = await createTestDatabase(engine)
  const baseEnv = { TRUST_PROXY: 'true', ...options.env }
  const launch = (env: Record<string, string> = {}) =>
    startApp({
      databaseUrl: database.url,
      auth0Origin: emulator.origin,
      appOrigin: publicOrigin,
      port,
      env: { ...baseEnv, ...env },
      cwd: options.cwd,
    })
  let app = await launch()
  let previousOutput = ''
  const db = createDb(database.url)
  const stack: Stack = {
    get emulator() {
      return emulator
    },
    database,
    get app() {
      return app
    },
    origin,
    port,
    db,
    output: () => previousOutput + app.output(),
    async restart(env) {
      await app.stop()
      previousOutput += app.output()
      app = await launch(env)
    },
    async restartEmulator() {
      const emulatorPort = emulator.port
      await emulator.close().catch(() => undefined)
      emulator = await startEmulator(emulatorOptions(emulatorPort))
    },
    async stop() {
      await app?.stop()
      await emulator?.close().catch(() => undefined)
      await db.$disconnect()
      await database?.drop()
    },
  }
  return stack
}

/** What a browser's trip through the emulator's login page returns: the request it would send to the app. */
/**
 * One stack for the test file: started before its tests, then stopped after its output has been checked for
 * secrets. `started` receives it (the file's `stack` and `watch`).
 */
export function withStack(
  started: (running: { stack: Stack; watch: SecretWatch }) => void,
  options: () => StackOptions = () => ({}),
): void {
  let running: { stack: Stack; watch: SecretWatch } | undefined
  beforeAll(async () => {
    const stack = await startStack(options())
    running = { stack, watch: new SecretWatch(stack) }
    started(running)
  })
  afterAll(async () => {
    await running?.watch.expectCleanOutput()
    await running?.stack.stop()
  })
}

export { beginLogin, deliverCallback, httpLogin as login } from '../support/http-login'

/** Logs in and checks that it worked: lands on the dashboard with a session. */
export async function loggedIn(stack: Stack, email = 'alice@example.com'): Promise<Client> {
  const browser = new Client(stack.origin)
  const done = await httpLogin(browser, { email })
  expect(location(done).pathname).toBe('/dashboard')
  expect(browser.value('__session')).toBeTruthy()
  return browser
}

/**
 * A signed-in browser without a login (createTestSession, in the app's own store: its database, secret and key),
 * for tests whose subject is what the app does with a session. Its session has no refresh token, so the
 * dashboard's API card shows an error; the page itself is served. Server strategy only (the stack's default).
 */
export async function signedIn(
  stack: Stack,
  user: UserProfile = { id: 'auth0|alice', email: 'alice@example.com' },
): Promise<Client> {
  const auth = new Auth0RemixServer({
    clientDetails: {
      domain: stack.emulator.origin,
      clientID: testClient.clientId,
      clientSecret: testClient.clientSecret,
    },
    callbackURL: `${stack.origin}/auth/callback`,
    failedLoginRedirect: '/login',
    session: {
      store: createPrismaSessionStorage({ db: stack.db, secrets: [testSessionSecret], secure: false }),
      key: 'user',
      strategy: SessionStrategy.Server,
    },
    secrets: [testSessionSecret],
  })
  const browser = new Client(stack.origin).adopt(await createTestSession(auth, { user }))
  expect(await dashboardStatus(browser)).toBe(200)
  return browser
}

/** The status of /dashboard for this browser: 200 logged in, 302 to /login logged out. */
export async function dashboardStatus(browser: Client): Promise<number> {
  const response = await fetch(browser.request('/dashboard'), { redirect: 'manual' })
  await response.body?.cancel()
  if (response.status === 302) expect(location(response).pathname).toBe('/login')
  return response.status
}

export function expectLoginError(response: Response, code: string | RegExp): void {
  expect(response.status).toBe(302)
  const url = location(response)
  expect(url.pathname).toBe('/login')
  if (typeof code === 'string') expect(url.searchParams.get('error')).toBe(code)
  else expect(url.searchParams.get('error')).toMatch(code)
}

export async function sessionCount(stack: Stack): Promise<number> {
  return stack.db.session.count()
}

/**
 * Everything that must never leak: the client secret, the session secret, and every token the app holds in its
 * session rows (collected as the tests run).
 */
export class SecretWatch {
  private readonly secrets = new Set<string>([testClient.clientSecret, testSessionSecret])

  constructor(private readonly stack: Stack) {}

  add(...values: Array<string | undefined | null>): void {
    for (const value of values) if (value && value.length >= 16) this.secrets.add(value)
  }

  /** Collects the tokens from every session row. */
  async harvest(): Promise<void> {
    for (const row of await this.stack.db.session.findMany({ select: { data: true } })) {
      const data = JSON.parse(row.data) as { user?: { credentials?: Record<string, unknown> } }
      const credentials = data.user?.credentials ?? {}
      this.add(
        ...['accessToken', 'refreshToken', 'idToken'].map((name) =>
          typeof credentials[name] === 'string' ? (credentials[name] as string) : undefined,
        ),
      )
    }
  }

  /** The secrets found in `text` (by their first 24 characters, enough to be unique, short enough to catch parts). */
  found(text: string): string[] {
    return [...this.secrets].filter((secret) => text.includes(secret.slice(0, 24))).map(redact)
  }

  async expectCleanOutput(): Promise<void> {
    await this.harvest()
    expect(this.found(this.stack.output())).toEqual([])
  }
}

function redact(secret: string): string {
  return `${secret.slice(0, 6)}…(${secret.length} chars)`
}

/** Reads a response fully and asserts it is not a server error and shows no secret. */
export async function expectSafe(watch: SecretWatch, response: Response): Promise<string> {
  const body = await response.text()
  expect(response.status).toBeLessThan(500)
  expect(watch.found(body + JSON.stringify([...response.headers]))).toEqual([])
  return body
}
