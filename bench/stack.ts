import { spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { startEmulator, type EmulatorTtl, type RunningEmulator } from '../dev/auth0-emulator/server'
import { freePort, httpLogin, testClient, testSessionSecret } from '../test/support/app-server'
import { AppBrowser, location } from '../test/support/browser'

const root = path.resolve(import.meta.dirname, '..')

export interface BuildSnapshot {
  dir: string
  remove(): Promise<void>
}

/**
 * A private copy of the production build: other work in the tree may rebuild `public/build` mid-run, and the
 * assets must match the server build the app started with. node_modules is linked so imports still resolve.
 */
export async function snapshotBuild(): Promise<BuildSnapshot> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-build-'))
  await cp(path.join(root, 'build'), path.join(dir, 'build'), { recursive: true })
  await cp(path.join(root, 'public'), path.join(dir, 'public'), { recursive: true })
  await cp(path.join(root, 'package.json'), path.join(dir, 'package.json'))
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

export interface BenchApp {
  /** The public origin (APP_DOMAIN), shared by every instance of one cluster. */
  publicOrigin: string
  /** Where this instance listens, by IP so load generators skip name resolution. */
  origin: string
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

/** `remix-serve` on the snapshot, production mode, listening on 127.0.0.1 only. */
export async function startBenchApp(options: AppOptions): Promise<BenchApp> {
  const port = options.port ?? options.publicPort
  const publicOrigin = `http://localhost:${options.publicPort}`
  const origin = `http://127.0.0.1:${port}`
  const args = [...profilingArgs(), 'node_modules/@remix-run/serve/dist/cli.js', 'build/index.js']
  const child = spawn(process.execPath, args, {
    cwd: options.build.dir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      AUTH0_DOMAIN: options.auth0Origin,
      AUTH0_CLIENT_ID: testClient.clientId,
      AUTH0_CLIENT_SECRET: testClient.clientSecret,
      APP_DOMAIN: publicOrigin,
      SESSION_SECRET: testSessionSecret,
      DATABASE_URL: options.databaseUrl,
      ALLOW_AUTH0_EMULATOR: 'true',
      BENCH_ROUTES: 'true',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  await waitForHealthy(origin, child, () => output)
  return { publicOrigin, origin, stop: () => stop(child) }
}

async function waitForHealthy(origin: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`App exited (${child.exitCode}):\n${output()}`)
    const healthy = await fetch(`${origin}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (healthy) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`App did not become healthy:\n${output()}`)
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 3000).unref()
  })
}

/** An emulator that accepts the test client's callback on `publicPort`. */
export function startBenchEmulator(publicPort: number, ttl?: Partial<EmulatorTtl>): Promise<RunningEmulator> {
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
      },
    ],
  })
}

/** Logs alice in over HTTP and returns the browser holding her session cookie. */
export async function login(app: BenchApp): Promise<AppBrowser> {
  const browser = new AppBrowser(app.publicOrigin)
  const done = await httpLogin({ origin: app.publicOrigin }, browser)
  if (location(done).pathname !== '/dashboard') throw new Error(`Login ended at ${location(done).href}`)
  return browser
}

export { freePort }
