import { chromium } from '@playwright/test'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpLogin, type RunningApp } from '../support/app-server'
import { AppBrowser, location } from '../support/browser'
import { chromiumExecutablePath } from '../support/chromium'
import { startProxyCluster, type ProxyCluster } from './cluster'
import { localTlsFiles, spkiHash } from './tls'

/**
 * Issue 13 item 3: nginx terminating TLS (a local CA) in front of three app instances on one PostgreSQL,
 * APP_DOMAIN=https://localhost:<port>, TRUST_PROXY=<nginx's address>, the emulator on loopback.
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
    const done = await httpLogin(browser, { fetch })
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
    for (const { fetch, browser } of alice) await httpLogin(browser, { fetch })
    await httpLogin(bob.browser, { fetch: bob.fetch, email: 'bob@example.com' })

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
    await httpLogin(browser, { fetch })
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

  it('believes X-Forwarded-For and -Proto only from the proxy', async () => {
    const hsts = /^max-age=\d{7,}/
    // Straight to an instance, every request claiming another client: the claims are ignored, one bucket fills.
    const direct = cluster.user('127.0.0.51')
    const statuses: number[] = []
    for (let i = 0; i < 121; i++) {
      const response = await direct.fetch(
        new Request(`${apps[2]!.origin}/login`, {
          headers: { 'X-Forwarded-For': `203.0.113.${i}`, 'X-Forwarded-Proto': 'http' },
        }),
      )
      statuses.push(response.status)
      // A forged scheme changes nothing either: the app's https-ness comes from APP_DOMAIN.
      if (i === 0) expect(response.headers.get('Strict-Transport-Security')).toMatch(hsts)
    }
    expect(statuses.slice(0, 120).every((status) => status === 200)).toBe(true)
    expect(statuses[120]).toBe(429)
    // Through the proxy, a client's own X-Forwarded-For is ignored too: nginx appends the real address, which counts.
    const proxied = cluster.user('127.0.0.52')
    const viaProxy: number[] = []
    for (let i = 0; i < 121; i++) {
      const request = proxied.browser.request('/login', { headers: { 'X-Forwarded-For': `198.51.100.${i}` } })
      viaProxy.push((await proxied.fetch(request)).status)
    }
    expect(viaProxy.slice(0, 120).every((status) => status === 200)).toBe(true)
    expect(viaProxy[120]).toBe(429)
  })

  it('keeps connections clean after early answers: 0 × 502 through nginx', async () => {
    const before = (await nginx.accessLog()).length
    const { fetch, browser } = user('127.0.0.61')
    // Another client whose `auth` budget is spent: its login starts are refused (429) before their body is read.
    const limited = user('127.0.0.62')
    for (let i = 0; i < 60; i++) await limited.fetch(limited.browser.post('/auth/auth0'))
    const body = (bytes: number) => new URLSearchParams({ filler: 'x'.repeat(bytes) })
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' }
    const early: Array<{ name: string; request: () => Request }> = [
      {
        name: 'callback, 200 KB',
        request: () =>
          browser.request('/auth/callback', {
            method: 'POST',
            body: body(200_000),
            headers: form,
            crossSite: true,
          }),
      },
      {
        name: 'callback, 30 KB',
        request: () =>
          browser.request('/auth/callback', {
            method: 'POST',
            body: body(30_000),
            headers: form,
            crossSite: true,
          }),
      },
      {
        name: 'wrong type',
        request: () =>
          browser.request('/auth/callback', {
            method: 'POST',
            body: '{"code":"x"}',
            headers: { 'Content-Type': 'application/json' },
            crossSite: true,
          }),
      },
      {
        name: 'rate limited, 100 KB',
        request: () =>
          limited.browser.request('/auth/auth0', { method: 'POST', body: body(100_000), headers: form }),
      },
      {
        name: 'cross-origin, 100 KB',
        request: () =>
          browser.request('/dashboard', {
            method: 'POST',
            body: body(100_000),
            headers: { ...form, Origin: 'https://evil.example' },
          }),
      },
      {
        name: 'over nginx limit, 2 MB',
        request: () =>
          browser.request('/auth/callback', {
            method: 'POST',
            body: body(2_000_000),
            headers: form,
            crossSite: true,
          }),
      },
    ]
    const answers = new Map<string, Set<number>>()
    let followUps = 0
    for (let round = 0; round < 10; round++) {
      for (const { name, request } of early) {
        // The follow-ups go over the same client connection (keep-alive) as the early answer.
        const client = name.startsWith('rate limited') ? limited : { fetch, browser }
        const status = (await client.fetch(request())).status
        answers.set(name, (answers.get(name) ?? new Set()).add(status))
        for (const path of ['/healthz', '/login']) {
          expect((await client.fetch(client.browser.request(path))).status, `${path} after ${name}`).toBe(200)
          followUps++
        }
      }
    }
    const seen = Object.fromEntries([...answers].map(([name, statuses]) => [name, [...statuses]]))
    console.info(`early answers through nginx: ${JSON.stringify(seen)}; ${followUps} follow-up requests`)
    expect(seen['rate limited, 100 KB']).toEqual([429])
    expect(seen['cross-origin, 100 KB']).toEqual([403])
    expect(seen['over nginx limit, 2 MB']).toEqual([413])
    for (const statuses of Object.values(seen))
      for (const status of statuses) expect(status).toBeLessThan(500)
    const badGateway = (await nginx.accessLog()).slice(before).filter((line) => line.startsWith('502 '))
    expect(badGateway).toEqual([])
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
