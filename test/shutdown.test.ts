import { once } from 'node:events'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startEmulator, type RunningEmulator } from '../dev/auth0-emulator/server'
import {
  createTestDatabase,
  type Engine,
  freePort,
  httpLogin,
  type RunningApp,
  startApp,
  testBuild,
  testClient,
  type TestDatabase,
} from './support/app-server'
import { AppBrowser, location } from './support/browser'

/**
 * SIGTERM on the built server (`node server.js`), as `docker stop` sends it: it stops accepting, lets the request
 * in flight finish, closes the database, exits 0 within 10 s; what it acknowledged before is in the database.
 * Writes go through POST /auth/test-counter, so this file runs the test build (`npm run build:test`).
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'))
  })
}

let cleanup: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined)
  cleanup = []
})

async function start(engine: Engine) {
  const port = await freePort()
  const origin = `http://localhost:${port}`
  const emulator: RunningEmulator = await startEmulator({
    port: 0,
    quiet: true,
    ttl: { accessToken: 4 },
    clients: [
      { ...testClient, redirectUris: [`${origin}/auth/callback`], logoutUrls: [origin, `${origin}/`] },
    ],
  })
  cleanup.push(() => emulator.close())
  const database: TestDatabase = await createTestDatabase(engine)
  cleanup.push(() => database.drop())
  const launch = async () => {
    const app = await startApp({
      databaseUrl: database.url,
      auth0Origin: emulator.origin,
      port,
      cwd: testBuild,
    })
    cleanup.push(() => app.stop())
    return app
  }
  return { emulator, launch }
}

async function addToCounter(app: RunningApp, browser: AppBrowser): Promise<number> {
  const response = await fetch(browser.request('/auth/test-counter', { method: 'POST' }))
  expect(response.status).toBe(200)
  return ((await response.json()) as { counter: number }).counter
}

describe.each(['sqlite', 'postgresql'] as const)('graceful shutdown on %s', (engine) => {
  it(
    'finishes the request in flight, refuses new connections, exits 0 within 10 s, keeps acknowledged writes',
    { timeout: 60_000 },
    async () => {
      const { emulator, launch } = await start(engine)
      const app = await launch()
      const browser = new AppBrowser(app.origin)
      expect(location(await httpLogin(browser)).pathname).toBe('/dashboard')
      const acknowledged = []
      for (let i = 0; i < 5; i++) acknowledged.push(await addToCounter(app, browser))
      expect(acknowledged).toEqual([1, 2, 3, 4, 5])

      // A page view whose token refresh waits 3 s on Auth0: in flight when SIGTERM arrives.
      await sleep(2200)
      // the refreshed token lives long: the next process must use it, not refresh again
      await emulator.control.setTtl({ accessToken: 86_400 })
      await emulator.control.setFaults({ token: { delayMs: 3000, times: 1 } })
      const inFlight = fetch(`${app.origin}/dashboard`, {
        headers: { Cookie: browser.header() },
        redirect: 'manual',
      })
      await sleep(700)
      const exited = once(app.process, 'exit')
      const signalledAt = Date.now()
      app.process.kill('SIGTERM')
      await sleep(300)
      expect(await refusesConnections(app.port)).toBe(true)

      const response = await inFlight
      expect(response.status).toBe(200)
      expect(await response.text()).toContain('alice@example.com')
      expect((await emulator.control.counters()).grants.refresh_token).toBe(1)

      const [code] = await exited
      const stopSeconds = (Date.now() - signalledAt) / 1000
      expect(code).toBe(0)
      expect(stopSeconds).toBeLessThan(10)
      expect(app.output()).toContain('[server] stopped')
      console.log(`${engine}: exited ${code} ${stopSeconds.toFixed(1)} s after SIGTERM`)

      // The next process reads what the last one acknowledged, and the tokens its last request refreshed.
      await emulator.control.reset()
      const next = await launch()
      expect(await addToCounter(next, browser)).toBe(6)
      const page = await fetch(`${next.origin}/dashboard`, { headers: { Cookie: browser.header() } })
      expect(page.status).toBe(200)
      expect((await emulator.control.counters()).grants.refresh_token ?? 0).toBe(0)
    },
  )

  it(
    'closes a request that never finishes when the grace period is over, and still exits 0',
    { timeout: 60_000 },
    async () => {
      const { launch } = await start(engine)
      const app = await launch()
      // A login start whose form body never arrives: the action waits for it.
      const stuck = connect(app.port, '127.0.0.1')
      await once(stuck, 'connect')
      stuck.on('error', () => undefined)
      stuck.write(
        `POST /auth/auth0 HTTP/1.1\r\nHost: localhost:${app.port}\r\nOrigin: ${app.origin}\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nreturnTo=',
      )
      await sleep(500)
      const exited = once(app.process, 'exit')
      const signalledAt = Date.now()
      app.process.kill('SIGTERM')
      const [code] = await exited
      const stopSeconds = (Date.now() - signalledAt) / 1000
      expect(code).toBe(0)
      expect(stopSeconds).toBeGreaterThan(7)
      expect(stopSeconds).toBeLessThan(10)
      expect(app.output()).toContain('grace period over')
      stuck.destroy()
    },
  )
})
