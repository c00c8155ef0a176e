import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './ports'

/**
 * Runs the built stack (`npm run build` first) the way production does: `node server.js` (which runs
 * `prisma migrate deploy` first unless told the database is migrated already), against a local emulator. Used by
 * the cluster and attack suites.
 */

const root = fileURLToPath(new URL('../..', import.meta.url))
const serverScript = path.join(root, 'server.js')

/**
 * `cwd` for the test build (`npm run build:test`, test/app/remix.config.js): the product app plus
 * POST /auth/test-counter and GET /bench/dashboard, which the product build does not have.
 */
export const testBuild = path.join(root, 'test/app')

export const testClient = {
  clientId: 'stack-test-client',
  clientSecret: 'stack-test-client-secret-0123456789abcdef',
}
export const testSessionSecret = 'stack-test-session-secret-0123456789abcdef0123'

export { createTestDatabase, type Engine, type TestDatabase } from '../sessions/databases'
export { freePort } from './ports'

export interface RunningApp {
  origin: string
  port: number
  output: () => string
  /** The server process (signals, exit code). */
  process: ChildProcess
  stop(): Promise<void>
  /** A crash: SIGKILL, resolved once the process is gone. */
  crash(): Promise<void>
}

export interface AppOptions {
  databaseUrl: string
  auth0Origin: string
  /** The public origin (APP_DOMAIN); several instances behind one "load balancer" share it. */
  appOrigin?: string
  port?: number
  env?: Record<string, string>
  /**
   * The directory server.js runs in, holding build/ and public/ (default: the repository, the product build):
   * `testBuild`, or the benchmark's snapshot of it (with a node_modules link).
   */
  cwd?: string
  /** Listen on 127.0.0.1 only and name the origin by IP, so load generators skip name resolution. */
  loopbackOnly?: boolean
  /** Node flags before the server script (the benchmark's CPU profiling). */
  nodeArgs?: string[]
  /**
   * Run `migrate deploy` at start, as production does. Off by default: createTestDatabase has migrated already,
   * and a second run costs each start 2-3 s.
   */
  migrate?: boolean
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const buildDir = options.cwd ?? root
  if (!existsSync(path.join(buildDir, 'build/index.js')))
    throw new Error(
      `No build/index.js in ${buildDir}: npm run build (product) or npm run build:test (test build)`,
    )
  const port = options.port ?? (await freePort())
  const origin = `http://${options.loopbackOnly ? '127.0.0.1' : 'localhost'}:${port}`
  const args = [...(options.nodeArgs ?? []), serverScript]
  const child = spawn(process.execPath, args, {
    cwd: buildDir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ...(options.loopbackOnly ? { HOST: '127.0.0.1' } : {}),
      PORT: String(port),
      AUTH0_DOMAIN: options.auth0Origin,
      AUTH0_CLIENT_ID: testClient.clientId,
      AUTH0_CLIENT_SECRET: testClient.clientSecret,
      APP_DOMAIN: options.appOrigin ?? `http://localhost:${port}`,
      SESSION_SECRET: testSessionSecret,
      DATABASE_URL: options.databaseUrl,
      ALLOW_AUTH0_EMULATOR: 'true',
      ...(options.migrate ? {} : { SKIP_MIGRATIONS: 'true' }),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  await waitForHealthy(origin, child, () => output)
  const crash = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  return { origin, port, output: () => output, process: child, stop: () => stop(child), crash }
}

async function waitForHealthy(origin: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`App exited (${child.exitCode}):\n${output()}`)
    try {
      const response = await fetch(`${origin}/healthz`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
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

export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    )
  })
}

export { httpLogin } from './http-login'
