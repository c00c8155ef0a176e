import { describe, expect, it } from 'vitest'
import { testBuild, testSessionSecret } from '../support/app-server'
import { location } from '../support/browser'
import { createPrismaSessionStorage } from '~/session-store.server'
import { Client, engine, login, withStack, type Stack } from './support'
import { inParallel } from '../support/parallel'

/**
 * 200 signed-in users on ONE app instance for SECURITY_LOAD_SECONDS (default 60; lower it for a quick local run),
 * plus 10 new logins per second. Every user request adds one to a per-session counter through the versioned store
 * (two at a time, so writes conflict and retry); the sum of the counters must equal the number of 200 answers.
 * The counter is POST /auth/test-counter, so this file runs the test build (`npm run build:test`).
 */
const users = Number(process.env.SECURITY_LOAD_USERS ?? 200)
const seconds = Number(process.env.SECURITY_LOAD_SECONDS ?? 60)
const loginsPerSecond = 10

let stack: Stack
withStack(
  (running) => ({ stack } = running),
  () => ({ cwd: testBuild }),
)

describe(`load on ${engine}`, () => {
  it(
    `${users} users for ${seconds} s plus ${loginsPerSecond} logins/s: no errors, no lost writes`,
    { timeout: seconds * 1000 + 240_000 },
    async () => {
      const emails = ['alice@example.com', 'bob@example.com', 'carol@example.com']
      const loginStarted = Date.now()
      const browsers = await inParallel(users, 10, async (index) => {
        const browser = new Client(stack.origin)
        const done = await login(browser, { email: emails[index % emails.length] })
        expect(location(done).pathname).toBe('/dashboard')
        return browser
      })
      const loginSeconds = (Date.now() - loginStarted) / 1000

      const counts = { requests: 0, errors: 0, counted: 0, logins: 0, loginErrors: 0, resets: 0 }
      // The server may close an idle keep-alive socket just as the client reuses it (Node's 5 s keepAliveTimeout
      // under a starved CPU); the request never reached the app, so a browser retries it. A double-applied write
      // would show up below as stored ≠ acknowledged.
      const fetchRetryingReset = async (request: () => Request): Promise<Response> => {
        try {
          return await fetch(request(), { redirect: 'manual' })
        } catch (error) {
          if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error
          counts.resets++
          return fetch(request(), { redirect: 'manual' })
        }
      }
      const errorSamples: string[] = []
      const countedBy = new Map<Client, number>()
      const deadline = Date.now() + seconds * 1000
      const record = (what: string, status: number) => {
        counts.requests++
        if (status !== 200) {
          counts.errors++
          if (errorSamples.length < 10) errorSamples.push(`${what} → ${status}`)
        }
      }
      const counter = async (browser: Client) => {
        const response = await fetchRetryingReset(() => browser.post('/auth/test-counter'))
        await response.body?.cancel()
        record('POST /auth/test-counter', response.status)
        if (response.status === 200) {
          counts.counted++
          countedBy.set(browser, (countedBy.get(browser) ?? 0) + 1)
        }
      }
      const user = async (browser: Client) => {
        for (let round = 0; Date.now() < deadline; round++) {
          if (round % 5 === 4) {
            const page = await fetchRetryingReset(() => browser.request('/dashboard'))
            await page.body?.cancel()
            record('GET /dashboard', page.status)
          } else {
            await Promise.all([counter(browser), counter(browser)])
          }
        }
      }
      const newLogins = async () => {
        const pending: Array<Promise<void>> = []
        for (let tick = 0; Date.now() < deadline; tick++) {
          pending.push(
            login(new Client(stack.origin))
              .then((done) => {
                counts.logins++
                if (location(done).pathname !== '/dashboard') counts.loginErrors++
              })
              .catch(() => {
                counts.logins++
                counts.loginErrors++
              }),
          )
          await new Promise((resolve) => setTimeout(resolve, 1000 / loginsPerSecond))
        }
        await Promise.all(pending)
      }
      const started = Date.now()
      await Promise.all([...browsers.map(user), newLogins()])
      const elapsed = (Date.now() - started) / 1000

      // the counters as the database has them, per user session
      const storage = createPrismaSessionStorage({
        db: stack.db,
        secrets: [testSessionSecret],
        secure: false,
      })
      let stored = 0
      let lost = 0
      for (const browser of browsers) {
        const session = await storage.getSession(browser.header())
        const value = Number(session.get('counter') ?? 0)
        stored += value
        lost += Math.max(0, (countedBy.get(browser) ?? 0) - value)
      }
      console.info(
        `load (${engine}): ${users} logins in ${loginSeconds.toFixed(1)} s; ${counts.requests} requests in ` +
          `${elapsed.toFixed(1)} s (${(counts.requests / elapsed).toFixed(0)}/s), ${counts.errors} errors; ` +
          `${counts.logins} logins during load, ${counts.loginErrors} failed; counter writes acknowledged ` +
          `${counts.counted}, stored ${stored}, lost ${lost}; keep-alive resets retried ${counts.resets}`,
      )
      expect(errorSamples).toEqual([])
      expect(counts.loginErrors).toBe(0)
      // The pacing loop shares a CPU with 200 user loops and the emulator: on a busy machine it starts fewer.
      expect(counts.logins).toBeGreaterThan(seconds * loginsPerSecond * 0.3)
      expect(stored).toBe(counts.counted)
      expect(lost).toBe(0)
      expect((await fetch(`${stack.origin}/healthz`)).status).toBe(200)
    },
  )
})
