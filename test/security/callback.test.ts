import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { completeLogin } from '../../dev/auth0-emulator/login'
import { testSessionSecret } from '../support/app-server'
import { location } from '../support/browser'
import { seededRandom, type SeededRandom } from '../support/random'
import { createPrismaSessionStorage } from '~/session-store.server'
import {
  beginLogin,
  Client,
  dashboardStatus,
  deliverCallback,
  expectLoginError,
  expectSafe,
  freshIp,
  otherClient,
  type SecretWatch,
  sessionCount,
  withStack,
  type Stack,
} from './support'

/** The login callback attacked over HTTP on the built app: every attempt ends on /login?error=…, no session. */
let stack: Stack
let watch: SecretWatch
withStack((running) => ({ stack, watch } = running))

/** The callback as the emulator sent it, with some fields replaced (form_post body). */
function tampered(
  callback: Awaited<ReturnType<typeof beginLogin>>['callback'],
  fields: Record<string, string>,
) {
  if (callback.method !== 'POST') throw new Error('expected form_post')
  const body = new URLSearchParams(callback.body)
  for (const [name, value] of Object.entries(fields)) body.set(name, value)
  watch.add(callback.body.get('code'), callback.body.get('state'))
  return { ...callback, body }
}

async function expectRejected(browser: Client, response: Response, code: string | RegExp) {
  expectLoginError(response, code)
  await expectSafe(watch, response)
  expect(browser.value('__session')).toBeUndefined()
  expect(await dashboardStatus(browser)).toBe(302)
}

describe('callback attacks', () => {
  it('rejects a callback without state (GET and form_post)', async () => {
    const before = await sessionCount(stack)
    const browser = new Client(stack.origin)
    await expectRejected(browser, await browser.get('/auth/callback?code=abc'), 'missing_state')
    const posted = await deliverCallback(browser, {
      method: 'POST',
      url: `${stack.origin}/auth/callback`,
      body: new URLSearchParams({ code: 'abc' }),
    })
    await expectRejected(browser, posted, 'missing_state')
    expect(await sessionCount(stack)).toBe(before)
  })

  it('rejects a wrong state', async () => {
    const before = await sessionCount(stack)
    const browser = new Client(stack.origin)
    const { callback } = await beginLogin(browser)
    const response = await deliverCallback(
      browser,
      tampered(callback, { state: randomBytes(32).toString('base64url') }),
    )
    await expectRejected(browser, response, 'invalid_state')
    expect(await sessionCount(stack)).toBe(before)
  })

  it('rejects a state from another browser (login CSRF)', async () => {
    const attacker = new Client(stack.origin)
    const victim = new Client(stack.origin)
    const { callback } = await beginLogin(attacker, { email: 'bob@example.com' })
    await expectRejected(victim, await deliverCallback(victim, callback), 'invalid_state')
  })

  it('rejects a replayed callback (state used once) and a replayed code (invalid_grant)', async () => {
    const browser = new Client(stack.origin)
    const { callback } = await beginLogin(browser)
    const transactionCookies = [...browser.cookies].filter(([name]) => name.startsWith('__a0tx_'))
    expect(location(await deliverCallback(browser, callback)).pathname).toBe('/dashboard')
    await watch.harvest()
    const before = await sessionCount(stack)
    // the same browser again: its transaction cookie is gone
    const again = await deliverCallback(browser, callback)
    expectLoginError(again, 'invalid_state')
    // a thief who copied the transaction cookie: the code itself is single-use at Auth0
    const thief = new Client(stack.origin)
    for (const [name, cookie] of transactionCookies) thief.cookies.set(name, cookie)
    await expectRejected(thief, await deliverCallback(thief, callback), 'invalid_grant')
    expect(await sessionCount(stack)).toBe(before)
  })

  it('rejects a code issued to another client', async () => {
    const before = await sessionCount(stack)
    const browser = new Client(stack.origin)
    const started = await browser.submit('/auth/auth0')
    const authorizeUrl = location(started)
    authorizeUrl.searchParams.set('client_id', otherClient.clientId)
    const callback = await completeLogin(authorizeUrl.href, { email: 'alice@example.com' })
    expect(callback.method === 'POST' && callback.body.get('code')).toBeTruthy()
    await expectRejected(
      browser,
      await deliverCallback(browser, callback),
      /^(invalid_grant|token_exchange_failed)$/,
    )
    expect(await sessionCount(stack)).toBe(before)
  })

  it.each(['access_denied', 'login_required'])(
    'shows the IdP error %s on /login and keeps the pre-login session',
    async (error) => {
      // a visitor with an anonymous session (e.g. a cart), planted through the app's own session store
      const storage = createPrismaSessionStorage({
        db: stack.db,
        secrets: [testSessionSecret],
        secure: false,
      })
      const anonymous = await storage.getSession()
      anonymous.set('cart', ['book'])
      const browser = new Client(stack.origin)
      browser.store(new Response(null, { headers: { 'Set-Cookie': await storage.commitSession(anonymous) } }))
      const sessionCookie = browser.value('__session')
      const { callback } = await beginLogin(browser)
      const response = await deliverCallback(
        browser,
        tampered(callback, { error, error_description: 'The user said no <script>alert(1)</script>' }),
      )
      // the code is dropped: only state and the error travel
      expectLoginError(response, error)
      expect(browser.value('__session')).toBe(sessionCookie)
      const kept = await storage.getSession(browser.request('/').headers.get('Cookie'))
      expect(kept.get('cart')).toEqual(['book'])
      expect(kept.get('user')).toBeUndefined()
      const page = await browser.get(location(response).pathname + location(response).search)
      expect(page.status).toBe(200)
      const html = await expectSafe(watch, page)
      expect(html).not.toContain('<script>alert(1)</script>')
      expect(html).not.toContain('The user said no')
    },
  )

  it('survives huge, malformed and duplicate parameters', async () => {
    const before = await sessionCount(stack)
    const browser = new Client(stack.origin)
    const { callback } = await beginLogin(browser)
    const state = callback.method === 'POST' ? callback.body.get('state')! : ''
    const queries = [
      `code=${'a'.repeat(8000)}&state=${'b'.repeat(8000)}`,
      'code=%E0%A4%A&state=%ZZ%00',
      `state=${encodeURIComponent(state)}&state=other&code=x&code=y`,
      'state[]=a&state[b]=c&code={"$ne":null}',
      `state=${encodeURIComponent(state)}&error=${'x'.repeat(5000)}`,
      'error=access_denied&error_description=%0d%0aSet-Cookie:%20pwned=1',
      'state=%F0%9F%92%A9&code=..%2F..%2Fetc%2Fpasswd',
    ]
    for (const query of queries) {
      const response = await browser.get(`/auth/callback?${query}`)
      await expectSafe(watch, response)
      expect([302, 400, 414, 431]).toContain(response.status)
      if (response.status === 302) expect(location(response).pathname).toBe('/login')
      expect(response.headers.get('Set-Cookie') ?? '').not.toContain('pwned')
    }
    const bodies: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', `state=${encodeURIComponent(state)}&code=${'c'.repeat(70_000)}`],
      ['application/x-www-form-urlencoded', `state=${encodeURIComponent(state)}&state=x&code=1&code=2`],
      ['application/json', JSON.stringify({ state, code: 'x' })],
      [
        'multipart/form-data; boundary=zz',
        '--zz\r\nContent-Disposition: form-data; name="state"\r\n\r\nx\r\n--zz--',
      ],
      ['application/x-www-form-urlencoded', '%%%&&&===;;;'],
    ]
    for (const [type, body] of bodies) {
      const response = await browser.send('/auth/callback', {
        method: 'POST',
        body,
        crossSite: true,
        headers: { 'Content-Type': type, Origin: 'null' },
      })
      await expectSafe(watch, response)
      expect([302, 303, 400, 413]).toContain(response.status)
    }
    // anything held by those POSTs ends on an error too
    const bounce = await browser.get('/auth/callback')
    expectLoginError(bounce, /^[a-z_]+$/)
    expect(await dashboardStatus(browser)).toBe(302)
    expect(await sessionCount(stack)).toBe(before)
  })
})

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const
const paramNames = [
  'code',
  'state',
  'error',
  'error_description',
  'iss',
  'session_state',
  'returnTo',
  '_data',
]
const cookieNames = ['__session', '__a0tx_', '__a0cb', '__session.1', 'x']
const contentTypes = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-16',
  'multipart/form-data; boundary=zz',
  'multipart/form-data',
  'application/json',
  'text/plain',
  '',
]
// Resource routes: Remix aborts a cross-origin POST to a page route (or a `.data` URL) itself, with a bare 500
// before any app code runs (see docs/security.md); csrf.test.ts covers those.
const paths = [
  '/auth/callback',
  '/auth/callback',
  '/auth/callback',
  '/auth/auth0',
  '/auth/backchannel-logout',
]

/** Random junk of every shape the parsers might trip on. */
function randomValue(random: SeededRandom): string {
  switch (random.int(9)) {
    case 0:
      return random.bytes(random.int(64)).toString('base64url')
    case 1:
      return 'A'.repeat(random.int(6000))
    case 2:
      return '%' + random.bytes(2).toString('hex').slice(0, 3) + '%E0%A4%A%zz'
    case 3:
      return '\u0000\u202e𝕏"\'<script>alert(1)</script>'
    case 4:
      return JSON.stringify({ $ne: null, __proto__: { admin: true } })
    case 5:
      return '../../../../etc/passwd'
    case 6:
      return 'access_denied'
    case 7:
      return random.bytes(6).toString('hex').repeat(3)
    default:
      return ''
  }
}

/** Cookie values must be legal header text; junk in every other respect. */
function randomCookieValue(random: SeededRandom): string {
  switch (random.int(6)) {
    case 0:
      return random.bytes(40).toString('base64url')
    case 1:
      return `s%3A${random.bytes(32).toString('base64url')}.${random.bytes(32).toString('base64')}`
    case 2:
      return 'eyJ' + random.bytes(200).toString('base64url')
    case 3:
      return '%E0%A4%A'
    case 4:
      return 'x'.repeat(3000)
    default:
      return '""'
  }
}

function randomInput(random: SeededRandom, origin: string): { url: string; init: RequestInit } {
  const { pick } = random
  const method = pick(methods)
  const query = new URLSearchParams()
  const fields = new URLSearchParams()
  for (let i = random.int(5); i > 0; i--) query.append(pick(paramNames), randomValue(random))
  for (let i = random.int(5); i > 0; i--) fields.append(pick(paramNames), randomValue(random))
  const headers = new Headers({ 'X-Forwarded-For': freshIp() })
  const cookies = Array.from({ length: random.int(4) }, () => {
    const name = pick(cookieNames)
    return `${name === '__a0tx_' ? name + random.bytes(8).toString('hex') : name}=${randomCookieValue(random)}`
  })
  if (cookies.length) headers.set('Cookie', cookies.join('; '))
  if (random.chance(0.5)) headers.set('Origin', pick(['null', origin, 'https://evil.example']))
  if (random.chance(0.3)) headers.set('Sec-Fetch-Site', pick(['cross-site', 'same-origin', 'none']))
  let body: string | undefined
  if (method !== 'GET' && method !== 'HEAD' && random.chance(0.9)) {
    const type = pick(contentTypes)
    if (type) headers.set('Content-Type', type)
    const bodies = [
      () => fields.toString(),
      () => `--zz\r\nContent-Disposition: form-data; name="code"\r\n\r\n${randomValue(random)}\r\n--zz`,
      () => JSON.stringify(Object.fromEntries(fields)),
      () => random.bytes(random.int(2048)).toString('latin1'),
    ]
    body = pick(bodies)()
  }
  const search = query.toString()
  return { url: `${origin}${pick(paths)}${search ? `?${search}` : ''}`, init: { method, headers, body } }
}

function describeInput(url: string, init: RequestInit): string {
  const headers = [...new Headers(init.headers)].map(([name, value]) => `${name}: ${value.slice(0, 80)}`)
  return `${init.method} ${url.slice(0, 160)} [${headers.join(' | ')}] body ${String(init.body ?? '').length} B`
}

describe('callback fuzzing', () => {
  // A few thousand inputs, bounded in time: on a busy 2-core CI machine the time limit ends it first.
  const seconds = Number(process.env.SECURITY_FUZZ_SECONDS ?? 20)
  const target = Number(process.env.SECURITY_FUZZ_INPUTS ?? 3000)

  it(
    `answers up to ${target} random inputs within ${seconds} s without a 5xx`,
    { timeout: seconds * 1000 + 30_000 },
    async () => {
      const before = await sessionCount(stack)
      const statuses = new Map<number, number>()
      const failures: string[] = []
      const deadline = Date.now() + seconds * 1000
      // One seeded sequence of inputs: FUZZ_SEED=<seed> replays them (the order across workers may differ).
      const random = seededRandom()
      let inputs = 0
      const worker = async () => {
        while (Date.now() < deadline && inputs < target) {
          const { url, init } = randomInput(random, stack.origin)
          inputs++
          try {
            const response = await fetch(url, {
              ...init,
              redirect: 'manual',
              signal: AbortSignal.timeout(10_000),
            })
            const text = await response.text()
            statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
            if (response.status >= 500) failures.push(`${describeInput(url, init)} → ${response.status}`)
            // nginx refuses upstream responses whose headers outgrow its 8 KB buffer (502 to the user).
            const headerBytes = [...response.headers].reduce(
              (sum, [k, v]) => sum + k.length + v.length + 4,
              0,
            )
            if (headerBytes > 8192)
              failures.push(`${describeInput(url, init)} → ${headerBytes} B of response headers`)
            const leaked = watch.found(text)
            if (leaked.length)
              failures.push(`${init.method} ${url.slice(0, 200)} leaked ${leaked.join(', ')}`)
          } catch (error) {
            failures.push(`${describeInput(url, init)} → ${(error as Error).message}`)
          }
        }
      }
      await Promise.all(Array.from({ length: 8 }, worker))
      console.info(
        `callback fuzz (FUZZ_SEED=${random.seed}): ${inputs} inputs in ${((Date.now() - deadline) / 1000 + seconds).toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      )
      if (failures.length)
        console.error(
          stack
            .output()
            .split('\n')
            .filter((line) => /error/i.test(line))
            .slice(0, 10)
            .join('\n'),
        )
      expect(failures.slice(0, 20), `replay with FUZZ_SEED=${random.seed}`).toEqual([])
      expect(inputs).toBeGreaterThan(500)
      expect(await sessionCount(stack)).toBe(before)
      const health = await fetch(`${stack.origin}/healthz`)
      expect(health.status).toBe(200)
      // and a real login still works afterwards
      const browser = new Client(stack.origin)
      const { callback } = await beginLogin(browser)
      expect(location(await deliverCallback(browser, callback)).pathname).toBe('/dashboard')
    },
  )
})
