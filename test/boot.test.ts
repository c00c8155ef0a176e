import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateKeyPairSync } from 'node:crypto'
import { startEmulator } from '../dev/auth0-emulator/server'
import { freePort } from './support/ports'

// Runs the real production server (`node server.js`), as `npm start` and the image do, against the real build.
const root = fileURLToPath(new URL('..', import.meta.url))
const serverBuild = join(root, 'build/index.js')
const serverScript = join(root, 'server.js')
const dataDir = mkdtempSync(join(tmpdir(), 'boot-test-'))

const strongSecret = 'Zr4pQ9vXk2mN7bT1wY6cH3jL8sD5fG0a'
const validProduction = {
  NODE_ENV: 'production',
  AUTH0_DOMAIN: 'tenant.us.auth0.com',
  AUTH0_CLIENT_ID: 'boot-test-client',
  AUTH0_CLIENT_SECRET: 'boot-test-client-secret',
  APP_DOMAIN: 'https://app.example.com',
  SESSION_SECRET: strongSecret,
  DATABASE_URL: `file:${join(dataDir, 'app.db')}`,
}

/** Only what the server needs: nothing from the test runner's own environment leaks in. */
function serverEnv(vars: Record<string, string | undefined>, port = 0): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'production',
    ...vars,
  }
}

interface Exit {
  code: number | null
  stderr: string
}

function bootExpectingExit(vars: Record<string, string | undefined>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serverScript], { cwd: root, env: serverEnv(vars) })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server kept running with a bad environment; stderr: ${stderr}`))
    }, 15_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

interface RunningServer {
  origin: string
  stop: () => void
  output: () => string
}

async function startServer(vars: Record<string, string | undefined>): Promise<RunningServer> {
  const port = await freePort()
  const child = spawn(process.execPath, [serverScript], { cwd: root, env: serverEnv(vars, port) })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 60_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk
      if (output.includes('[server] listening')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)))
  })
  return { origin: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM'), output: () => output }
}

// Uses the existing build (`npm run build`); builds only when there is none, e.g. on a fresh checkout.
beforeAll(() => {
  if (existsSync(serverBuild)) return
  const remix = join(root, 'node_modules/@remix-run/dev/dist/cli.js')
  const build = spawnSync(process.execPath, [remix, 'build'], {
    cwd: root,
    encoding: 'utf8',
    // vitest sets NODE_ENV=test; the server under test runs a production build.
    env: { ...process.env, NODE_ENV: 'production' },
  })
  if (build.status !== 0) throw new Error(`remix build failed:\n${build.stdout}\n${build.stderr}`)
})

afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

describe('booting the production server', () => {
  it('exits non-zero naming a missing AUTH0_CLIENT_SECRET', async () => {
    const { code, stderr } = await bootExpectingExit({ ...validProduction, AUTH0_CLIENT_SECRET: undefined })
    expect(code).not.toBe(0)
    expect(stderr).toContain(
      'Invalid environment: AUTH0_CLIENT_SECRET or AUTH0_CLIENT_ASSERTION_SIGNING_KEY is required',
    )
  })

  it('exits non-zero in production with a short SESSION_SECRET, without printing it', async () => {
    const shortSecret = 'short-secret'
    const { code, stderr } = await bootExpectingExit({ ...validProduction, SESSION_SECRET: shortSecret })
    expect(code).not.toBe(0)
    expect(stderr).toMatch(/Invalid environment: SESSION_SECRET must hold secrets of at least 32 characters/)
    expect(stderr).not.toContain(shortSecret)
  })

  it('refuses the local emulator in production', async () => {
    const { code, stderr } = await bootExpectingExit({
      ...validProduction,
      AUTH0_DOMAIN: 'http://127.0.0.1:3334',
    })
    expect(code).not.toBe(0)
    expect(stderr).toContain('AUTH0_DOMAIN points at a local emulator in production')
  })

  describe('PAR and private_key_jwt are checked against the tenant before listening', () => {
    const emulatorEnv = (origin: string) => ({
      ...validProduction,
      ALLOW_AUTH0_EMULATOR: 'true',
      AUTH0_DOMAIN: origin,
    })
    const signingKey = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey

    it('exits non-zero naming AUTH0_PUSHED_AUTHORIZATION_REQUESTS when the tenant offers no PAR', async () => {
      const emulator = await startEmulator({ port: 0, quiet: true, pushedAuthorizationRequests: false })
      try {
        const { code, stderr } = await bootExpectingExit({
          ...emulatorEnv(emulator.origin),
          // A valid environment (bootExpectingExit's port 0 is not one), so that the tenant check is reached.
          PORT: String(await freePort()),
          AUTH0_PUSHED_AUTHORIZATION_REQUESTS: 'true',
        })
        expect(code).not.toBe(0)
        expect(stderr).toContain('Invalid Auth0 configuration: AUTH0_PUSHED_AUTHORIZATION_REQUESTS')
        expect(stderr).toContain('no pushed_authorization_request_endpoint')
      } finally {
        await emulator.close()
      }
    })

    it('exits non-zero naming AUTH0_CLIENT_ASSERTION_SIGNING_KEY when the tenant refuses private_key_jwt, without printing the key', async () => {
      const emulator = await startEmulator({ port: 0, quiet: true, privateKeyJwt: false })
      try {
        const { code, stderr } = await bootExpectingExit({
          ...emulatorEnv(emulator.origin),
          // A valid environment (bootExpectingExit's port 0 is not one), so that the tenant check is reached.
          PORT: String(await freePort()),
          AUTH0_CLIENT_SECRET: undefined,
          AUTH0_CLIENT_ASSERTION_SIGNING_KEY: signingKey,
        })
        expect(code).not.toBe(0)
        expect(stderr).toContain('Invalid Auth0 configuration: AUTH0_CLIENT_ASSERTION_SIGNING_KEY')
        expect(stderr).toContain('does not accept private_key_jwt')
        expect(stderr).not.toContain(signingKey.split('\n')[1])
      } finally {
        await emulator.close()
      }
    })

    it('starts with a warning when Auth0 is unreachable, and a login then fails cleanly (auth0_down)', async () => {
      const closedPort = await freePort()
      const server = await startServer({
        ...emulatorEnv(`http://127.0.0.1:${closedPort}`),
        AUTH0_PUSHED_AUTHORIZATION_REQUESTS: 'true',
      })
      try {
        expect(server.output()).toContain('Auth0 could not be reached at start-up (auth0_down)')
        const login = await fetch(`${server.origin}/auth/auth0`, {
          method: 'POST',
          redirect: 'manual',
          headers: { Origin: 'https://app.example.com', 'Content-Type': 'application/x-www-form-urlencoded' },
          body: '',
        })
        expect(login.status).toBe(302)
        expect(login.headers.get('location')).toBe('/login?error=auth0_down')
      } finally {
        server.stop()
      }
    })
  })

  describe('with a valid environment', () => {
    let origin = ''
    let stopServer = () => {}

    beforeAll(async () => {
      const server = await startServer(validProduction)
      origin = server.origin
      stopServer = server.stop
    })

    afterAll(() => stopServer())

    it('serves documents with a per-request CSP nonce on every script', async () => {
      const [first, second] = await Promise.all([fetch(`${origin}/login`), fetch(`${origin}/login`)])
      expect(first.status).toBe(200)
      const csp = first.headers.get('content-security-policy') ?? ''
      const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'/.exec(csp)?.[1]
      expect(nonce).toBeTruthy()
      expect(second.headers.get('content-security-policy')).not.toContain(nonce)
      expect(csp).toContain("form-action 'self' https://tenant.us.auth0.com")
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).not.toContain('ws:')

      const html = await first.text()
      const scripts = html.match(/<script\b[^>]*>/g) ?? []
      expect(scripts.length).toBeGreaterThan(0)
      for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`)
      expect(html).toContain('action="/auth/auth0"')
    })

    it('sends the security headers and no X-Powered-By', async () => {
      const response = await fetch(`${origin}/login`)
      expect(response.headers.get('x-powered-by')).toBeNull()
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin')
      expect(response.headers.get('permissions-policy')).toContain('camera=()')
      expect(response.headers.get('strict-transport-security')).toContain('max-age=')
    })

    it('sends the security headers on single-fetch data responses', async () => {
      const response = await fetch(`${origin}/login.data`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-security-policy')).toContain("script-src 'none'")
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('x-powered-by')).toBeNull()
    })

    it('renders a 404 page for unknown paths', async () => {
      const response = await fetch(`${origin}/no-such-page`)
      expect(response.status).toBe(404)
      expect(await response.text()).toContain('Page not found')
    })

    it('has none of the test build routes (test/app/remix.config.js)', async () => {
      // Only the splat route matches them (the test build answers this GET /auth/test-counter with a 400).
      for (const path of ['/auth/test-counter', '/bench/dashboard']) {
        const response = await fetch(`${origin}${path}`)
        expect(response.status, path).toBe(404)
        expect(await response.text()).toContain('Page not found')
      }
      const bundle = readFileSync(serverBuild, 'utf8')
      for (const marker of ['test-counter', 'bench/']) expect(bundle).not.toContain(marker)
    })

    it('sends logged-out visitors from the dashboard to the login page', async () => {
      const response = await fetch(`${origin}/dashboard`, { redirect: 'manual' })
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe('/login?returnTo=%2Fdashboard')
    })
    it('reports health with no caching', async () => {
      const response = await fetch(`${origin}/healthz`)
      expect(response.status).toBe(200)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.text()).toBe('ok')
    })
  })

  it('answers /healthz with 503 when the database is unreachable', async () => {
    // Nothing listens on port 1: the PostgreSQL connection is refused (as when the database goes down later).
    const server = await startServer({
      ...validProduction,
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none',
      SKIP_MIGRATIONS: 'true',
    })
    try {
      const response = await fetch(`${server.origin}/healthz`)
      expect(response.status).toBe(503)
      expect(response.headers.get('cache-control')).toBe('no-store')
    } finally {
      server.stop()
    }
  })

  it(
    'starts two instances at once on one fresh SQLite file: both migrate in turn and become healthy',
    {
      timeout: 120_000,
    },
    async () => {
      // A rolling restart, or two containers on one volume: both run `migrate deploy` on the same file.
      const shared = { ...validProduction, DATABASE_URL: `file:${join(dataDir, 'shared', 'app.db')}` }
      const servers = await Promise.allSettled([startServer(shared), startServer(shared)])
      try {
        for (const server of servers) {
          if (server.status === 'rejected') throw server.reason
          const response = await fetch(`${server.value.origin}/healthz`)
          expect(response.status).toBe(200)
          expect(server.value.output()).not.toMatch(/WASM_ERROR|SocketTimeout/)
        }
      } finally {
        for (const server of servers) if (server.status === 'fulfilled') server.value.stop()
      }
    },
  )
})
