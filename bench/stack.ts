import { cp, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  startEmulator,
  type DPoPSettings,
  type EmulatorTtl,
  type RunningEmulator,
} from '../dev/auth0-emulator/server'
import { freePort, httpLogin, startApp, testBuild, testClient } from '../test/support/app-server'
import { AppBrowser, location } from '../test/support/browser'

const root = path.resolve(import.meta.dirname, '..')

export interface BuildSnapshot {
  dir: string
  remove(): Promise<void>
}

/**
 * A private copy of the test build (`npm run build:test`: the production build plus GET /bench/dashboard, from
 * bench/app): other work in the tree may rebuild it mid-run, and the assets must match the server build the app
 * started with. node_modules is linked so imports still resolve.
 */
export async function snapshotBuild(): Promise<BuildSnapshot> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-build-'))
  await cp(path.join(testBuild, 'build'), path.join(dir, 'build'), { recursive: true })
  await cp(path.join(testBuild, 'public'), path.join(dir, 'public'), { recursive: true })
  await cp(path.join(root, 'package.json'), path.join(dir, 'package.json'))
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

export interface BenchApp {
  /** The public origin (APP_DOMAIN), shared by every instance of one cluster. */
  publicOrigin: string
  /** Where this instance listens, by IP so load generators skip name resolution. */
  origin: string
  /** Everything the process printed: what a failed check shows. */
  output(): string
  stop(): Promise<void>
}

export interface AppOptions {
  build: BuildSnapshot
  databaseUrl: string
  auth0Origin: string
  publicPort: number
  /** Defaults to `publicPort`; a second instance of a cluster listens elsewhere. */
  port?: number
  env?: Record<string, string>
}

/** BENCH_CPU_PROF=<dir>: every app process writes a .cpuprofile there when it stops. */
function profilingArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROF
  if (!dir) return []
  const exitOnStop = pathToFileURL(path.join(root, 'bench/profile-exit.mjs')).href
  return ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, '--import', exitOnStop]
}

/** `node server.js` on the snapshot, production mode, listening on 127.0.0.1 only. */
export async function startBenchApp(options: AppOptions): Promise<BenchApp> {
  const publicOrigin = `http://localhost:${options.publicPort}`
  const app = await startApp({
    databaseUrl: options.databaseUrl,
    auth0Origin: options.auth0Origin,
    appOrigin: publicOrigin,
    port: options.port ?? options.publicPort,
    env: options.env,
    cwd: options.build.dir,
    loopbackOnly: true,
    nodeArgs: profilingArgs(),
  })
  return { publicOrigin, origin: app.origin, output: app.output, stop: app.stop }
}

export interface BenchEmulatorOptions {
  /** Registers the example API (`<public origin>/api`), which the dashboard's "Call the API" asks a token for. */
  api?: boolean
  dpop?: Partial<DPoPSettings>
  /** The client's token requests must carry a DPoP proof: a run that silently fell back to Bearer fails. */
  dpopBoundAccessTokens?: boolean
}

/** An emulator that accepts the test client's callback on `publicPort`. */
export function startBenchEmulator(
  publicPort: number,
  ttl?: Partial<EmulatorTtl>,
  options: BenchEmulatorOptions = {},
): Promise<RunningEmulator> {
  const origin = `http://localhost:${publicPort}`
  return startEmulator({
    port: 0,
    quiet: true,
    ttl,
    clients: [
      {
        ...testClient,
        redirectUris: [`${origin}/auth/callback`],
        logoutUrls: [origin, `${origin}/`],
        ...(options.dpopBoundAccessTokens ? { dpopBoundAccessTokens: true } : {}),
      },
    ],
    ...(options.api ? { apis: [{ identifier: `${origin}/api`, scopes: ['read:profile'] }] } : {}),
    ...(options.dpop ? { dpop: options.dpop } : {}),
  })
}

/** Logs alice in over HTTP and returns the browser holding her session cookie. */
export async function login(app: BenchApp): Promise<AppBrowser> {
  const browser = new AppBrowser(app.publicOrigin)
  const done = await httpLogin(browser)
  if (location(done).pathname !== '/dashboard') throw new Error(`Login ended at ${location(done).href}`)
  return browser
}

export { freePort }
