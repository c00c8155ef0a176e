import { chromium } from '@playwright/test'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpLogin, type RunningApp } from '../support/app-server'
import { AppBrowser, location } from '../support/browser'
import { chromiumExecutablePath } from '../support/chromium'
import { startProxyCluster, type ProxyCluster } from './cluster'
import { localTlsFiles, spkiHash } from './tls'

/**
 * Issue 13 item 3: nginx terminating TLS (a local CA) in front of three app instances on one PostgreSQL,
 * APP_DOMAIN=https://localhost:<port>, TRUST_PROXY=true, the emulator on loopback.
 */
describe('three instances behind a TLS proxy', () => {
  const tls = localTlsFiles(process.env.PROXY_TEST_TLS_DIR!)
  let cluster: ProxyCluster
  let nginx: ProxyCluster['nginx']
  let apps: RunningApp[]
  let emulator: ProxyCluster['emulator']

  /** A user of their own (own loopback address and cookie jar) whose browser records every Set-Cookie line. */
  function user(address: string) {
    return { fetch: cluster.user(address).fetch, browser: new RecordingBrowser(cluster.origin) }
  }

  beforeAll(async () => {
    cluster = await startProxyCluster()
    ;({ nginx, apps, emulator } = cluster)
  })

  afterAll(() => cluster?.stop())

  it('sets a __Host- session cookie (Secure, Path=/, no Domain), Secure transaction cookies, and HSTS', async () => {
    const { fetch, browser } = user('127.0.0.11')
    const page = await fetch(browser.request('/login'))
    expect(page.status).toBe(200)
    expect(page.headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d{7,}/)
    const done = await httpLogin({ origin: nginx.origin }, browser, { fetch })
    expect(location(done).pathname).toBe('/dashboard')

    const session = browser.setCookies.filter((line) => /^__Host-session=[^;]/.test(line))
    expect(session).toHaveLength(1)
    expect(session[0]).toMatch(/; Secure(;|$)/i)
    expect(session[0]).toMatch(/; Path=\/(;|$)/i)
    expect(session[0]).toMatch(/; HttpOnly(;|$)/i)
    expect(session[0]).not.toMatch(/; Domain=/i)
    expect(browser.setCookies.filter((line) => /^__session[=.]/.test(line))).toEqual([])
    const transactions = browser.setCookies.filter((line) => /^__a0(tx_|cb)/.test(line))
    expect(transactions.length).toBeGreaterThanOrEqual(2)
    for (const line of transactions) expect(line).toMatch(/; Secure(;|$)/i)

    const dashboard = await fetch(browser.request('/dashboard'))
    expect(dashboard.status).toBe(200)
    expect(dashboard.headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d{7,}/)
    expect(dashboard.headers.get('Cache-Control')).toMatch(/no-store/)
  })

  it('logs in and out in Chromium through the proxy, trusting only the local CA', async () => {
    const launch = (args: string[]) =>
      chromium.launch({
        executablePath: chromiumExecutablePath(),
        args: ['--disable-background-networking', '--disable-component-update', '--no-first-run', ...args],
      })
    // Without the certificate's key pinned, Chromium refuses the local CA: the trust below is real.
    const untrusting = await launch([])
    try {
      const page = await (await untrusting.newContext({ ignoreHTTPSErrors: false })).newPage()
      await expect(page.goto(`${nginx.origin}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/)
    } finally {
      await untrusting.close()
    }

    const browser = await launch([`--ignore-certificate-errors-spki-list=${await spkiHash(tls.certFile)}`])
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: false })
      const page = await context.newPage()
      await page.goto(`${nginx.origin}/login`)
      await page.getByRole('button', { name: 'Continue', exact: true }).click()
      await page.getByRole('button', { name: /^Alice Liddell/ }).click()
      await page.waitForURL(`${nginx.origin}/dashboard`)
      expect(await page.getByRole('main').getByText('alice@example.com', { exact: true }).count()).toBe(1)

      const cookies = await context.cookies(nginx.origin)
      const session = cookies.find((cookie) => cookie.name === '__Host-session')
      expect(session).toMatchObject({ secure: true, httpOnly: true, path: '/', sameSite: 'Lax' })
      expect(session!.domain).toBe('localhost')
      expect(cookies.map((cookie) => cookie.name).filter((name) => /^__a0/.test(name))).toEqual([])

      await page.goto(`${nginx.origin}/logout`)
      await page.getByRole('main').getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(`${nginx.origin}/`)
      expect((await context.cookies(nginx.origin)).map((cookie) => cookie.name)).not.toContain(
        '__Host-session',
      )
      await page.goto(`${nginx.origin}/dashboard`)
      expect(new URL(page.url()).pathname).toBe('/login')
    } finally {
      await browser.close()
    }
  })

  it("ends a user's sessions on every instance with one back-channel logout to one instance", async () => {
    const alice = [user('127.0.0.21'), user('127.0.0.22')]
    const bob = user('127.0.0.23')
    for (const { fetch, browser } of alice) await httpLogin({ origin: nginx.origin }, browser, { fetch })
    await httpLogin({ origin: nginx.origin }, bob.browser, { fetch: bob.fetch, email: 'bob@example.com' })

    const dashboardOn = (app: RunningApp, session: { browser: AppBrowser }) =>
      fetch(`${app.origin}/dashboard`, { headers: { Cookie: session.browser.header() }, redirect: 'manual' })
    for (const app of apps)
      for (const session of [...alice, bob]) expect((await dashboardOn(app, session)).status).toBe(200)

    expect(await emulator.control.backchannelLogout({ sub: 'auth0|alice' })).toBe(200)

    for (const app of apps) {
      for (const session of alice) {
        const response = await dashboardOn(app, session)
        expect(response.status, app.origin).toBe(302)
        expect(location(response).pathname).toBe('/login')
      }
      expect((await dashboardOn(app, bob)).status, app.origin).toBe(200)
    }
  })

  it('makes exactly one token call for a refresh storm split across the three instances', async () => {
    const { fetch, browser } = user('127.0.0.31')
    // The refreshed token must not be due again before the storm ends (2 cores, three instances, other loads).
    await emulator.control.setTtl({ accessToken: 30 })
    await httpLogin({ origin: nginx.origin }, browser, { fetch })
    await new Promise((resolve) => setTimeout(resolve, 15_200)) // past half the lifetime: a refresh is due
    await emulator.control.reset()
    const before = (await nginx.accessLog()).length
    const started = Date.now()
    const responses = await Promise.all(
      Array.from({ length: 45 }, () =>
        globalThis.fetch(`${nginx.origin}/dashboard`, {
          headers: { Cookie: browser.header() },
          redirect: 'manual',
        }),
      ),
    )
    console.info(`refresh storm: 45 requests in ${Date.now() - started} ms`)
    expect(responses.map((response) => response.status).filter((status) => status !== 200)).toEqual([])
    expect((await emulator.control.counters()).grants.refresh_token).toBe(1)
    const upstreams = new Set((await nginx.accessLog()).slice(before).map((line) => line.split(' ')[1]))
    expect(upstreams.size).toBe(3)
  })

  it('shares one login budget across the three instances', async () => {
    const { fetch, browser } = user('127.0.0.41')
    const before = (await nginx.accessLog()).length
    const statuses: number[] = []
    for (let i = 0; i < 121; i++) statuses.push((await fetch(browser.request('/login'))).status)
    expect(statuses.slice(0, 120).every((status) => status === 200)).toBe(true)
    expect(statuses[120]).toBe(429)
    const upstreams = new Set((await nginx.accessLog()).slice(before).map((line) => line.split(' ')[1]))
    expect(upstreams.size).toBe(3)
    // another client is unaffected
    const other = user('127.0.0.42')
    expect((await other.fetch(other.browser.request('/login'))).status).toBe(200)
  })
})

/** An AppBrowser that also keeps every Set-Cookie line it saw, attributes included. */
class RecordingBrowser extends AppBrowser {
  readonly setCookies: string[] = []

  override store(response: Response): Response {
    this.setCookies.push(...response.headers.getSetCookie())
    return super.store(response)
  }
}
