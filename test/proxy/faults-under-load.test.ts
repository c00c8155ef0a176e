import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb } from '~/db.server'
import { createPrismaSessionStorage } from '~/session-store.server'
import { httpLogin, testBuild, testSessionSecret } from '../support/app-server'
import { location } from '../support/browser'
import { startEmbeddedPostgres, type EmbeddedServer } from '../support/postgres'
import { startProxyCluster, type ProxyCluster } from './cluster'
import type { RunningApp } from '../support/app-server'
import { inParallel } from '../support/parallel'

/**
 * Issue 13 item 7: USERS signed-in users across three instances behind nginx for SECONDS, while (a) one instance
 * is SIGKILLed and restarted, (b) PostgreSQL is restarted, (c) the emulator is down for 10 s, one after the other
 * in one window. Each user writes through /auth/test-counter (test/security/load.test.ts's acknowledged-write
 * counter, in the test build) and reads /dashboard. PostgreSQL is a server of this test's own: the machine's
 * shared one is never restarted.
 */
const users = Number(process.env.FAULT_LOAD_USERS ?? 200)
const seconds = Number(process.env.FAULT_LOAD_SECONDS ?? 60)

type Fault = 'baseline' | 'instance SIGKILL' | 'PostgreSQL restart' | 'emulator down 10 s'

interface Outcome {
  at: number
  /** The answer's status, or the error code when no answer came. */
  status: number | string
  fault: Fault
}

/** Errors by class: the answer's status, or the socket error's code when no answer came. */
function errorClasses(outcomes: Outcome[]): string {
  const counts = new Map<string, number>()
  for (const { status } of outcomes) {
    if (status === 200) continue
    counts.set(String(status), (counts.get(String(status)) ?? 0) + 1)
  }
  return [...counts].map(([status, count]) => `${status}×${count}`).join(' ') || '-'
}

describe('faults under load behind the TLS proxy', () => {
  let postgres: EmbeddedServer
  let cluster: ProxyCluster

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres()
    cluster = await startProxyCluster({
      postgresAdminUrl: postgres.url,
      // Refreshes fall due throughout the run (the last 30 s of a token's life), so some meet the emulator's
      // outage; a 10 s outage is shorter than that margin, so no token expires for it. (A token that does expire
      // while Auth0 is down ends the session by design: test/security/faults.test.ts.)
      ttl: { accessToken: 60 },
      // The tenant as the README advises for production: rotation on with a reuse interval, so a refresh whose
      // answer died with a SIGKILLed instance can be retried with the previous token.
      refreshTokens: { rotation: true, reuseIntervalSeconds: 30 },
      cwd: testBuild,
    })
  })

  afterAll(async () => {
    await cluster?.stop()
    await postgres?.stop()
  })

  it(
    `${users} users for ${seconds} s: no user logged out, no acknowledged write lost`,
    { timeout: seconds * 1000 + 300_000 },
    async () => {
      const sessions = await inParallel(users, 10, async (index) => {
        const address = `127.0.${1 + (index >> 8)}.${(index & 255) + 1}`
        const { fetch, browser } = cluster.user(address)
        const done = await httpLogin(browser, {
          fetch,
          email: ['alice@example.com', 'bob@example.com', 'carol@example.com'][index % 3],
        })
        expect(location(done).pathname).toBe('/dashboard')
        return { fetch, browser, acknowledged: 0, loggedOut: undefined as string | undefined }
      })

      const outcomes: Outcome[] = []
      const crashed: RunningApp[] = []
      const started = Date.now()
      const deadline = started + seconds * 1000
      let fault: Fault = 'baseline'
      const restored = new Map<Fault, { began: number; restoredAt: number }>()
      const measure = async (name: Fault, inject: () => Promise<void>) => {
        fault = name
        const began = Date.now()
        await inject()
        restored.set(name, { began, restoredAt: Date.now() })
      }
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

      const faults = async () => {
        const slot = (seconds * 1000) / 4
        await pause(slot / 2)
        await measure('instance SIGKILL', async () => {
          crashed.push(cluster.apps[1]!)
          await cluster.apps[1]!.crash()
          await cluster.restartApp(1)
        })
        await pause(Math.max(0, started + slot * 1.5 - Date.now()))
        await measure('PostgreSQL restart', () => postgres.restart())
        await pause(Math.max(0, started + slot * 2.5 - Date.now()))
        await measure('emulator down 10 s', async () => {
          await cluster.emulator.suspend()
          await pause(10_000)
          await cluster.emulator.resume()
        })
      }

      const record = (status: Outcome['status']) => outcomes.push({ at: Date.now(), status, fault })
      const send = async (session: (typeof sessions)[number], request: () => Request) => {
        try {
          const response = await session.fetch(request())
          session.browser.store(response)
          return response
        } catch (error) {
          record((error as { code?: string }).code ?? 'network')
          return undefined
        }
      }
      const loop = async (session: (typeof sessions)[number]) => {
        for (let round = 0; Date.now() < deadline; round++) {
          const read = round % 3 === 2
          const response = await send(session, () =>
            read ? session.browser.request('/dashboard') : session.browser.post('/auth/test-counter'),
          )
          if (!response) {
            await pause(200)
            continue
          }
          // A redirect is named by where it goes: /login?error=… is a logout, and says why.
          const redirect = response.status === 302 ? location(response) : undefined
          record(
            redirect
              ? `302 ${redirect.pathname}${redirect.searchParams.has('error') ? `?error=${redirect.searchParams.get('error')}` : ''}`
              : response.status,
          )
          // Logged out: a 401 no_session from the counter, a redirect to /login from the page.
          if (response.status === 401 || redirect?.pathname === '/login')
            session.loggedOut ??= `${fault}: ${outcomes.at(-1)!.status}`
          if (!read && response.status === 200) session.acknowledged++
          if (response.status >= 500) await pause(200)
        }
      }

      await Promise.all([faults(), ...sessions.map(loop)])
      const elapsed = (Date.now() - started) / 1000

      // Every user is still signed in once the faults are over (a straggling 502/503 is retried)…
      for (const session of sessions) {
        for (let attempt = 0; attempt < 5; attempt++) {
          const page = await send(session, () => session.browser.request('/dashboard'))
          if (page && page.status < 500) {
            const where = page.status === 302 ? location(page) : undefined
            if (page.status !== 200)
              session.loggedOut ??= `after the run: ${page.status} ${where?.pathname ?? ''}${where?.search ?? ''}`
            break
          }
          await pause(1000)
        }
      }
      // …and every write the app acknowledged is in the database.
      const db = createDb(cluster.database.url)
      const storage = createPrismaSessionStorage({
        db,
        secrets: [testSessionSecret],
        secure: true,
        cookieName: '__Host-session',
      })
      let stored = 0
      let lost = 0
      for (const session of sessions) {
        const value = Number((await storage.getSession(session.browser.header())).get('counter') ?? 0)
        stored += value
        lost += Math.max(0, session.acknowledged - value)
      }
      await db.$disconnect()

      const rows = (
        ['baseline', 'instance SIGKILL', 'PostgreSQL restart', 'emulator down 10 s'] as Fault[]
      ).map((name) => {
        const mine = outcomes.filter((outcome) => outcome.fault === name)
        const times = restored.get(name)
        const lastError = Math.max(
          ...mine.filter((outcome) => outcome.status !== 200).map((outcome) => outcome.at),
          times?.restoredAt ?? 0,
        )
        return {
          fault: name,
          requests: mine.length,
          errors: errorClasses(mine),
          'outage s': times ? ((times.restoredAt - times.began) / 1000).toFixed(1) : '-',
          'recovered s after': times ? ((lastError - times.restoredAt) / 1000).toFixed(1) : '-',
        }
      })
      const acknowledged = sessions.reduce((sum, session) => sum + session.acknowledged, 0)
      // By design (test/security/faults.test.ts) a session ends when its access token has expired and Auth0
      // cannot refresh it; a user idle through the earlier faults can meet that during the emulator's outage.
      // Every other logout is wrong.
      const byDesign = (reason: string) => reason === 'emulator down 10 s: 302 /login?error=refresh_failed'
      const reasons = sessions.flatMap((session) => (session.loggedOut ? [session.loggedOut] : []))
      const wronglyLoggedOut = reasons.filter((reason) => !byDesign(reason))
      const loggedOut = `${wronglyLoggedOut.length} (+${reasons.length - wronglyLoggedOut.length} token expired while Auth0 was down)`
      console.info(
        `faults under load: ${users} users, ${outcomes.length} requests in ${elapsed.toFixed(1)} s; ` +
          `users logged out ${loggedOut}; session writes acknowledged ${acknowledged}, stored ${stored}, lost ${lost}`,
      )
      console.table(rows)
      if (reasons.length) console.info(`logged out: ${reasons.join(' | ')}`)
      const badGateway = (await cluster.nginx.accessLog()).filter((line) => line.startsWith('502 ')).length
      console.info(`nginx 502 answers in its access log: ${badGateway}`)
      // What the instances logged (library warnings carry an error code, never a token), counted by message.
      const logged = new Map<string, number>()
      for (const line of [...cluster.apps, ...crashed].flatMap((app) => app.output().split('\n')))
        if (/warn|error|unavailable|lost/i.test(line)) logged.set(line, (logged.get(line) ?? 0) + 1)
      console.info([...logged].map(([line, count]) => `${count}× ${line}`).join('\n') || 'no warnings logged')

      expect(wronglyLoggedOut).toEqual([])
      expect(lost).toBe(0)
      expect(acknowledged).toBeGreaterThan(0)
      for (const name of restored.keys())
        expect(rows.find((row) => row.fault === name)!.requests).toBeGreaterThan(0)
    },
  )
})
