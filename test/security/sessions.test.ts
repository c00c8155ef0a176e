import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCookie } from '@remix-run/node'
import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testClient, testSessionSecret } from '../support/app-server'
import { location } from '../support/browser'
import { createPrismaSessionStorage } from '~/session-store.server'
import {
  Client,
  dashboardStatus,
  expectSafe,
  loggedIn,
  signedIn,
  login,
  type SecretWatch,
  withStack,
  type Stack,
} from './support'

/**
 * Session attacks on the built app. Logout tokens reach the app through a recording relay, so that a real one
 * can be replayed.
 */
let stack: Stack
let watch: SecretWatch
let relay: Server
let relayUrl = ''
const relayed: string[] = []

beforeAll(async () => {
  relay = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString()
    relayed.push(body)
    const answer = await fetch(`${stack.origin}/auth/backchannel-logout`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': req.headers['content-type'] ?? '' },
    })
    res.writeHead(answer.status).end(await answer.text())
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`
})
afterAll(() => relay?.close())
withStack(
  (running) => ({ stack, watch } = running),
  () => ({ backchannelLogoutUri: relayUrl }),
)

const storage = () =>
  createPrismaSessionStorage({ db: stack.db, secrets: [testSessionSecret], secure: false })

function withCookie(browser: Client, value: string): void {
  browser.cookies.set('__session', { value, sameSite: 'lax' })
}

describe('session cookie attacks', () => {
  it('treats a tampered cookie as logged out', async () => {
    const browser = await signedIn(stack)
    const value = browser.value('__session')!
    const flipped = value.slice(0, -3) + (value.at(-3) === 'A' ? 'B' : 'A') + value.slice(-2)
    withCookie(browser, flipped)
    expect(await dashboardStatus(browser)).toBe(302)
  })

  it('treats a forged cookie (attacker secret, or our id format with no row) as logged out', async () => {
    const row = await stack.db.session.findFirst()
    const forged = createCookie('__session', { secrets: ['attacker-secret'] })
    const unknown = createCookie('__session', { secrets: [testSessionSecret] })
    for (const header of [
      await forged.serialize(row?.id ?? 'x'),
      await unknown.serialize('a'.repeat(43)),
      await unknown.serialize({ user: { sub: 'auth0|alice' } }),
    ]) {
      const browser = new Client(stack.origin)
      browser.store(new Response(null, { headers: { 'Set-Cookie': header } }))
      expect(await dashboardStatus(browser)).toBe(302)
    }
  })

  it('gives a new session id at login (no fixation) and deletes the planted one', async () => {
    const planted = await storage().getSession()
    planted.set('theme', 'dark')
    const browser = new Client(stack.origin)
    browser.store(new Response(null, { headers: { 'Set-Cookie': await storage().commitSession(planted) } }))
    const before = browser.value('__session')
    const plantedId = (await storage().getSession(`__session=${before}`)).id
    expect(location(await login(browser)).pathname).toBe('/dashboard')
    expect(browser.value('__session')).not.toBe(before)
    expect(await stack.db.session.findUnique({ where: { id: plantedId } })).toBeNull()
    // the pre-login value moved into the new session
    expect((await storage().getSession(`__session=${browser.value('__session')}`)).get('theme')).toBe('dark')
  })

  it('refuses a cookie replayed after logout', async () => {
    const browser = await loggedIn(stack)
    const stolen = browser.value('__session')!
    const out = await browser.submit('/logout')
    expect(out.status).toBe(302)
    expect(location(out).pathname).toBe('/v2/logout')
    expect(browser.value('__session')).toBeUndefined()
    withCookie(browser, stolen)
    expect(await dashboardStatus(browser)).toBe(302)
  })

  it('ends expired sessions (absolute and idle deadline)', async () => {
    for (const field of ['expiresAt', 'idleExpiresAt'] as const) {
      const browser = await signedIn(stack)
      const id = (await storage().getSession(`__session=${browser.value('__session')}`)).id
      await stack.db.session.update({ where: { id }, data: { [field]: new Date(Date.now() - 1000) } })
      expect(await dashboardStatus(browser)).toBe(302)
      expect(await stack.db.session.findUnique({ where: { id } })).toBeNull()
    }
  })
})

describe('back-channel logout', () => {
  it('ends the session Auth0 logs out, and refuses a replayed logout token', async () => {
    const browser = await loggedIn(stack, 'bob@example.com')
    const bystander = await loggedIn(stack, 'carol@example.com')
    relayed.length = 0
    expect(await stack.emulator.control.backchannelLogout({ sub: 'auth0|bob' })).toBe(200)
    expect(await dashboardStatus(browser)).toBe(302)
    expect(await dashboardStatus(bystander)).toBe(200)
    expect(relayed).toHaveLength(1)
    const replay = await fetch(`${stack.origin}/auth/backchannel-logout`, {
      method: 'POST',
      body: relayed[0],
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    expect(replay.status).toBe(400)
  })

  it('refuses forged and malformed logout tokens', async () => {
    const browser = await signedIn(stack)
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({
      sub: 'auth0|alice',
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'logout+jwt' })
      .setIssuer(stack.emulator.issuer)
      .setAudience(testClient.clientId)
      .setIssuedAt()
      .setJti(crypto.randomUUID())
      .setExpirationTime('2m')
      .sign(privateKey)
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${forged.split('.')[1]}.`
    for (const body of [`logout_token=${forged}`, `logout_token=${none}`, 'logout_token=abc', '', 'x=1']) {
      const response = await fetch(`${stack.origin}/auth/backchannel-logout`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      })
      expect(response.status).toBe(400)
      await expectSafe(watch, response)
    }
    expect(await dashboardStatus(browser)).toBe(200)
  })
})

describe('session secret rotation', () => {
  it('keeps sessions signed with a secret kept second, ends them when it is dropped', async () => {
    const browser = await signedIn(stack)
    const newSecret = 'stack-test-rotated-session-secret-abcdef0123456789'
    await stack.restart({ SESSION_SECRET: `${newSecret},${testSessionSecret}` })
    expect(await dashboardStatus(browser)).toBe(200)
    await stack.restart({ SESSION_SECRET: newSecret })
    const response = await fetch(browser.request('/dashboard'), { redirect: 'manual' })
    expect(response.status).toBe(302)
    await expectSafe(watch, response)
    // a new login works with the new secret
    expect(location(await login(new Client(stack.origin))).pathname).toBe('/dashboard')
  })
})
