import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openRedirectPayloads } from '../fixtures/open-redirect-payloads'
import { location } from '../support/browser'
import {
  Client,
  dashboardStatus,
  freshIp,
  loggedIn,
  signedIn,
  login,
  type SecretWatch,
  withStack,
  type Stack,
} from './support'

/** CSRF, open redirects, security headers and rate limits on the built app. */
let stack: Stack
let watch: SecretWatch
withStack((running) => ({ stack, watch } = running))

const evil = 'https://evil.example'

/** A POST as another site's page would send it: its Origin, or no Origin and Fetch Metadata only. */
async function crossSitePost(browser: Client, path: string, how: 'origin' | 'fetch-metadata', form = {}) {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    'X-Forwarded-For': browser.ip,
    // Lax cookies are not sent on a cross-site POST; send them anyway, as an older browser might.
    Cookie: browser.header(),
  }
  if (how === 'origin') headers.Origin = evil
  else headers['Sec-Fetch-Site'] = 'cross-site'
  return fetch(new URL(path, stack.origin), {
    method: 'POST',
    body: new URLSearchParams(form),
    headers,
    redirect: 'manual',
  })
}

/**
 * The server refuses a cross-origin write with a short 403 before Remix sees it (Remix's own check for page
 * actions threw an empty 500); resource routes would answer the app's own 403. Nothing happens either way.
 */
async function expectRefused(response: Response) {
  expect(response.status).toBe(403)
  expect(await response.text()).toBe('Forbidden: cross-origin request')
  expect(response.headers.getSetCookie()).toEqual([])
}

describe('CSRF', () => {
  it('logout: GET asks, a same-origin POST logs out', async () => {
    const browser = await loggedIn(stack)
    const page = await browser.get('/logout')
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<form[^>]*method="post"/)
    expect(await dashboardStatus(browser)).toBe(200)
    const out = await browser.submit('/logout')
    expect(location(out).pathname).toBe('/v2/logout')
    expect(await dashboardStatus(browser)).toBe(302)
  })

  it('has one logout endpoint: /auth/logout is gone (the catch-all page: 404, and 405 to a POST)', async () => {
    const browser = await signedIn(stack)
    expect((await browser.get('/auth/logout')).status).toBe(404)
    expect((await browser.submit('/auth/logout')).status).toBe(405)
    expect(await dashboardStatus(browser)).toBe(200)
  })

  it.each(['origin', 'fetch-metadata'] as const)(
    'refuses a cross-site logout (%s) and keeps the session',
    async (how) => {
      const browser = await signedIn(stack)
      const response = await crossSitePost(browser, '/logout', how)
      expect(watch.found(await response.clone().text())).toEqual([])
      await expectRefused(response)
      expect(await dashboardStatus(browser)).toBe(200)
    },
  )

  it('refuses a cross-site login start (login CSRF)', async () => {
    const browser = new Client(stack.origin)
    for (const how of ['origin', 'fetch-metadata'] as const) {
      const response = await crossSitePost(browser, '/auth/auth0', how)
      expect(response.status).toBe(403)
      expect(response.headers.getSetCookie()).toEqual([])
    }
  })

  it('refuses cross-site POSTs on every route with an action', async () => {
    // Cross-site by design: the form_post callback (state-bound) and the back-channel (signed logout token).
    const exempt = new Set(['/auth/callback', '/auth/backchannel-logout'])
    const routes = readdirSync('app/routes')
      .filter((file) =>
        /export (const|async function|function) action\b/.test(readFileSync(`app/routes/${file}`, 'utf8')),
      )
      .map((file) => ({
        path:
          '/' +
          file
            .replace(/\.tsx?$/, '')
            .replace(/^_index$/, '')
            .replace(/\./g, '/'),
        page: file.endsWith('.tsx'),
      }))
      .filter((route) => !route.path.includes('$') && !exempt.has(route.path))
    expect(routes.map((route) => route.path)).toEqual(expect.arrayContaining(['/auth/auth0', '/logout']))
    const browser = await signedIn(stack)
    for (const route of routes) {
      for (const how of ['origin', 'fetch-metadata'] as const) {
        const response = await crossSitePost(browser, route.path, how, { intent: 'revoke-others' })
        expect(response.status, `${how} POST ${route.path} (page: ${route.page})`).toBe(403)
        await expectRefused(response)
      }
    }
    expect(await dashboardStatus(browser)).toBe(200)
  })

  it('refuses cross-origin writes of every method and spelling of a page path with 403, not 500', async () => {
    const browser = await signedIn(stack)
    const attempts = [
      ['POST', '/dashboard'],
      ['POST', '/Dashboard/'],
      ['POST', '/dashboard.data'],
      ['PUT', '/dashboard'],
      ['PATCH', '/login'],
      ['DELETE', '/dashboard'],
      ['POST', '/no-such-page'],
    ] as const
    for (const [method, path] of attempts) {
      const response = await fetch(new URL(path, stack.origin), {
        method,
        body: 'intent=revoke-others',
        headers: {
          Origin: evil,
          Cookie: browser.header(),
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Forwarded-For': browser.ip,
        },
        redirect: 'manual',
      })
      expect(response.status, `${method} ${path}`).toBe(403)
      await expectRefused(response)
    }
    expect(stack.output()).not.toMatch(/does not match `origin` header/)
    expect(await dashboardStatus(browser)).toBe(200)
  })

  it("still takes Auth0's cross-site form_post on the callback and its server POST on the back-channel", async () => {
    for (const path of ['/auth/callback', '/AUTH/CALLBACK/', '/auth/backchannel-logout']) {
      const response = await fetch(new URL(path, stack.origin), {
        method: 'POST',
        body: 'state=nope&code=nope',
        headers: {
          Origin: stack.emulator.origin,
          'Sec-Fetch-Site': 'cross-site',
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Forwarded-For': freshIp(),
        },
        redirect: 'manual',
      })
      // the route's own answer (a redirect or its 400), not the server's refusal
      expect(response.status, path).not.toBe(403)
      expect(response.status, path).toBeLessThan(500)
    }
  })
})

describe('open redirects', () => {
  const payloads = openRedirectPayloads.filter((payload) => payload !== '')

  it(`never leaves the app after login for ${payloads.length} returnTo payloads`, async () => {
    const leaks: string[] = []
    const queue = [...payloads]
    const worker = async () => {
      for (let payload = queue.shift(); payload !== undefined; payload = queue.shift()) {
        const browser = new Client(stack.origin)
        const done = await login(browser, { returnTo: payload })
        const target = new URL(done.headers.get('Location') ?? '', stack.origin)
        if (done.status !== 302 || target.origin !== stack.origin) leaks.push(`${payload} → ${target.href}`)
      }
    }
    await Promise.all(Array.from({ length: 4 }, worker))
    expect(leaks).toEqual([])
  })

  it('keeps a same-origin returnTo', async () => {
    const done = await login(new Client(stack.origin), { returnTo: '/dashboard?tab=1' })
    expect(done.headers.get('Location')).toBe('/dashboard?tab=1')
  })

  it('renders no payload into the login page', async () => {
    const browser = new Client(stack.origin)
    for (const payload of payloads) {
      const page = await browser.get(`/login?returnTo=${encodeURIComponent(payload)}`)
      const html = await page.text()
      const values = [...html.matchAll(/name="returnTo" value="([^"]*)"/g)].map((match) => match[1])
      for (const value of values) expect(value, payload).not.toMatch(/evil|javascript|data:/i)
    }
  })

  it('sends logout only back to the app', async () => {
    for (const payload of payloads.slice(0, 12)) {
      const browser = await signedIn(stack)
      const out = await browser.submit(`/logout?returnTo=${encodeURIComponent(payload)}`, {
        returnTo: payload,
      })
      const returnTo = location(out).searchParams.get('returnTo')!
      expect(new URL(returnTo).origin, payload).toBe(stack.origin)
    }
  })
})

describe('security headers', () => {
  const scriptNonces = (html: string) =>
    [...html.matchAll(/<script\b[^>]*>/g)].map((tag) => /\snonce="([^"]+)"/.exec(tag[0])?.[1] ?? null)

  it('sends a per-request CSP nonce that every script carries', async () => {
    const browser = await signedIn(stack)
    const seen = new Set<string>()
    for (const path of ['/', '/login', '/dashboard', '/logout', '/no-such-page']) {
      const response = await browser.get(path)
      const csp = response.headers.get('Content-Security-Policy') ?? ''
      const nonce = /'nonce-([^']+)'/.exec(csp)?.[1]
      expect(nonce, path).toBeTruthy()
      expect(seen.has(nonce!)).toBe(false)
      seen.add(nonce!)
      const nonces = scriptNonces(await response.text())
      expect(nonces.length, path).toBeGreaterThan(0)
      expect(
        nonces.every((value) => value === nonce),
        path,
      ).toBe(true)
      expect(csp).toContain("frame-ancestors 'none'")
      expect(csp).toContain("object-src 'none'")
      expect(csp).toContain("base-uri 'none'")
      expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff')
      expect(response.headers.get('Referrer-Policy')).toBe('strict-origin-when-cross-origin')
      expect(response.headers.get('X-Frame-Options')).toBe('DENY')
      expect(response.headers.get('X-Powered-By')).toBeNull()
      expect(response.headers.get('Strict-Transport-Security')).toBeNull()
    }
  })

  it('marks authenticated responses no-store (documents and data requests)', async () => {
    const browser = await signedIn(stack)
    for (const path of ['/dashboard', '/dashboard.data', '/', '/_root.data', '/logout']) {
      const response = await browser.get(path)
      expect(response.status, path).toBeLessThan(400)
      expect(response.headers.get('Cache-Control'), path).toMatch(/no-store/)
    }
    const anonymous = await new Client(stack.origin).get('/')
    expect(anonymous.headers.get('Cache-Control') ?? '').not.toMatch(/private/)
  })
})

describe('rate limits', () => {
  it('answers 429 with Retry-After per client IP on /login and /auth/auth0, other IPs unaffected', async () => {
    const attacker = new Client(stack.origin)
    const statuses: number[] = []
    for (let i = 0; i < 121; i++) {
      const response = await attacker.get('/login')
      await response.body?.cancel()
      statuses.push(response.status)
    }
    expect(statuses.slice(0, 120).every((status) => status === 200)).toBe(true)
    const limited = await attacker.get('/login')
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(limited.headers.get('Cache-Control')).toMatch(/no-store/)
    // prepending addresses does not escape the bucket: only the proxy's own entry counts
    const spoofed = await fetch(`${stack.origin}/login`, {
      headers: { 'X-Forwarded-For': `${freshIp()}, ${attacker.ip}` },
    })
    expect(spoofed.status).toBe(429)
    expect((await new Client(stack.origin).get('/login')).status).toBe(200)

    const starter = new Client(stack.origin)
    const starts: number[] = []
    for (let i = 0; i < 61; i++) starts.push((await starter.submit('/auth/auth0')).status)
    expect(starts.slice(0, 60).every((status) => status === 302)).toBe(true)
    expect(starts[60]).toBe(429)
    expect((await new Client(stack.origin).submit('/auth/auth0')).status).toBe(302)
  })
})

describe('HSTS', () => {
  it('is sent only when APP_DOMAIN is https', async () => {
    await stack.restart({ APP_DOMAIN: 'https://app.example.test' })
    const response = await new Client(stack.origin).get('/login')
    expect(response.headers.get('Strict-Transport-Security')).toMatch(/max-age=\d{7,}/)
    // the login form posts from https://app.example.test: the transaction cookie is Secure
    const started = await fetch(`${stack.origin}/auth/auth0`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams(),
      headers: { Origin: 'https://app.example.test', 'X-Forwarded-For': freshIp() },
    })
    expect(started.status).toBe(302)
    expect(started.headers.getSetCookie().every((cookie) => /;\s*Secure/i.test(cookie))).toBe(true)
    // a page from the plain-http origin is now cross-origin
    expect((await new Client(stack.origin).submit('/auth/auth0')).status).toBe(403)
  })
})
