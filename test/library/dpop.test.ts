import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMemorySessionStorage } from '@remix-run/node'
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDb, type Db } from '~/db.server'
import { DPoPRequestError, SessionStrategy, type Auth0RemixServer } from '~/lib/auth0'
import { createPrismaSessionStorage } from '~/session-store.server'
import { AppBrowser, location } from '../support/browser'
import { createTestClock } from '../support/clock'
import { createAuthenticator, login, startHarness, type Harness } from '../support/auth-harness'
import { createTestDatabase, type Engine, type TestDatabase } from '../sessions/databases'

const API = 'http://localhost:3000/api'

/**
 * A resource server over real HTTP: the library's `verifyDPoPRequest` with a jti store, answering 401 with the
 * DPoP challenge. It records what it was sent, so a test can replay a captured request.
 */
class ResourceServer {
  private server?: Server
  readonly seen: Array<{ authorization?: string; dpop?: string }> = []
  readonly jtis = new Set<string>()
  /** When set, every request is answered `use_dpop_nonce` (a server that keeps asking). */
  alwaysDemandNonce = false
  url = ''

  constructor(private readonly auth: () => Auth0RemixServer) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, headers, body }) => {
        res.writeHead(status, headers)
        res.end(JSON.stringify(body))
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/api/protected`
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server!.close(() => resolve()))
  }

  private async handle(req: IncomingMessage) {
    this.seen.push({ authorization: req.headers.authorization, dpop: req.headers.dpop as string | undefined })
    if (this.alwaysDemandNonce) {
      return {
        status: 401,
        headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': `n-${this.seen.length}` },
        body: { error: 'use_dpop_nonce' },
      }
    }
    const request = new Request(new URL(req.url!, this.url), {
      method: req.method,
      headers: req.headers as Record<string, string>,
    })
    try {
      const claims = await this.auth().verifyDPoPRequest(request, {
        audience: API,
        useProofJti: async (jti) => !this.jtis.has(jti) && !!this.jtis.add(jti),
      })
      return { status: 200, headers: {}, body: { sub: claims.sub } }
    } catch (error) {
      if (!(error instanceof DPoPRequestError)) throw error
      return { status: 401, headers: { 'WWW-Authenticate': error.challenge }, body: { error: error.error } }
    }
  }
}

async function newHandle() {
  const keyPair = await oauth.generateKeyPair('ES256')
  return oauth.DPoP({}, keyPair)
}

describe('DPoP (useDPoP) against the emulator', () => {
  let harness: Harness
  const api = new ResourceServer(() => harness.auth)

  beforeAll(async () => {
    // The library's clock stays put here: proofs carry real time, and the API judges them by that clock.
    harness = await startHarness({ audience: API, auth: { useDPoP: true } })
    await api.start()
  })
  afterAll(async () => {
    await api.close()
    await harness.close()
  })
  beforeEach(async () => {
    await harness.emulator.control.reset()
    api.seen.length = 0
    api.alwaysDemandNonce = false
  })

  async function loggedIn() {
    const browser = new AppBrowser()
    const landed = await login(harness, browser)
    expect(location(landed).pathname).toBe('/dashboard')
    return browser
  }

  it('logs in with a DPoP-bound access token (token_type DPoP, cnf.jkt of the session key)', async () => {
    const browser = await loggedIn()
    const token = await harness.auth.getAccessToken(browser.request('/'))
    const jkt = (decodeJwt(token).cnf as { jkt?: string } | undefined)?.jkt
    expect(jkt).toMatch(/^[\w-]{43}$/)
    // the proof the library sends to the API is signed by that very key
    const response = await harness.auth.fetchWithAccessToken(browser.request('/'), api.url)
    expect(response.status).toBe(200)
    const proof = api.seen[0]!.dpop!
    expect(api.seen[0]!.authorization).toBe(`DPoP ${token}`)
    expect(await calculateJwkThumbprint(decodeProtectedHeader(proof).jwk as JWK)).toBe(jkt)
    expect(decodeJwt(proof)).toMatchObject({ htm: 'GET', htu: api.url })
  })

  it('refreshes with a proof: the new access token is bound to the same key', async () => {
    const browser = await loggedIn()
    const before = decodeJwt(await harness.auth.getAccessToken(browser.request('/'))).cnf
    await harness.auth.getAccessToken(browser.request('/'), { refresh: true })
    const counters = await harness.emulator.control.counters()
    expect(counters.grants.refresh_token).toBe(1)
    const after = await harness.auth.getAccessToken(browser.request('/'))
    expect(decodeJwt(after).cnf).toEqual(before)
    expect((await harness.auth.fetchWithAccessToken(browser.request('/'), api.url)).status).toBe(200)
  })

  it('a stolen access token is refused without the key: no proof, Bearer, another key, a replayed proof', async () => {
    const browser = await loggedIn()
    expect((await harness.auth.fetchWithAccessToken(browser.request('/'), api.url)).status).toBe(200)
    const { authorization, dpop } = api.seen[0]!
    const token = authorization!.slice('DPoP '.length)

    const noProof = await fetch(api.url, { headers: { Authorization: `DPoP ${token}` } })
    expect(noProof.status).toBe(401)
    expect(noProof.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)

    const bearer = await fetch(api.url, { headers: { Authorization: `Bearer ${token}` } })
    expect(bearer.status).toBe(401)
    expect(bearer.headers.get('WWW-Authenticate')).toMatch(/^DPoP error="invalid_token"/)

    const otherKey = await oauth
      .protectedResourceRequest(token, 'GET', new URL(api.url), new Headers(), null, {
        DPoP: await newHandle(),
        [oauth.allowInsecureRequests]: true,
      })
      .catch((error: oauth.WWWAuthenticateChallengeError) => error.response)
    expect(otherKey.status).toBe(401)

    const replayed = await fetch(api.url, { headers: { Authorization: `DPoP ${token}`, DPoP: dpop! } })
    expect(replayed.status).toBe(401)
    expect(await replayed.json()).toEqual({ error: 'invalid_dpop_proof' })
  })

  it('refuses a proof made for another method or URL, or for another token', async () => {
    const browser = await loggedIn()
    const token = await harness.auth.getAccessToken(browser.request('/'))
    const request = (url: string, method: string, proof: string) =>
      harness.auth.verifyDPoPRequest(
        new Request(url, { method, headers: { Authorization: `DPoP ${token}`, DPoP: proof } }),
        { audience: API, useProofJti: async () => true },
      )
    // A genuine proof from the library, captured at the API.
    await harness.auth.fetchWithAccessToken(browser.request('/'), api.url)
    const proof = api.seen[0]!.dpop!
    await expect(request(api.url, 'POST', proof)).rejects.toMatchObject({ error: 'invalid_dpop_proof' })
    await expect(request(api.url.replace('protected', 'other'), 'GET', proof)).rejects.toMatchObject({
      error: 'invalid_dpop_proof',
    })
    await expect(request(api.url, 'GET', proof)).resolves.toMatchObject({ sub: 'auth0|alice' })
    // the same proof for another bound token of the same user (ath differs)
    const second = new AppBrowser()
    await login(harness, second)
    const otherToken = await harness.auth.getAccessToken(second.request('/'))
    await expect(
      harness.auth.verifyDPoPRequest(
        new Request(api.url, { headers: { Authorization: `DPoP ${otherToken}`, DPoP: proof } }),
        { audience: API, useProofJti: async () => true },
      ),
    ).rejects.toMatchObject({ error: 'invalid_dpop_proof' })
  })

  it('refuses a stale proof (iat outside the window)', async () => {
    const browser = await loggedIn()
    await harness.auth.fetchWithAccessToken(browser.request('/'), api.url)
    const { authorization, dpop } = api.seen[0]!
    // An API instance whose clock is five minutes on: the token is still valid, the proof is not.
    const later = createTestClock()
    later.advance(5 * 60_000)
    const apiLater = createAuthenticator(harness.emulator, harness.storage, {
      audience: API,
      clock: later,
      auth: { useDPoP: true },
    })
    await expect(
      apiLater.verifyDPoPRequest(
        new Request(api.url, { headers: { Authorization: authorization!, DPoP: dpop! } }),
        { audience: API, useProofJti: async () => true },
      ),
    ).rejects.toMatchObject({ error: 'invalid_dpop_proof' })
  })

  it("retries a resource server's use_dpop_nonce once, with a new proof that carries the nonce, and stops", async () => {
    const browser = await loggedIn()
    api.alwaysDemandNonce = true
    const response = await harness.auth.fetchWithAccessToken(browser.request('/'), api.url)
    expect(response.status).toBe(401)
    expect(api.seen).toHaveLength(2)
    const [first, second] = api.seen.map((seen) => decodeJwt(seen.dpop!))
    expect(first!.nonce).toBeUndefined()
    expect(second!.nonce).toBe('n-1')
    expect(second!.jti).not.toBe(first!.jti)
    // no refresh was spent on it
    expect((await harness.emulator.control.counters()).grants.refresh_token ?? 0).toBe(0)
  })

  it('stops after one nonce retry when Auth0 keeps asking: no loop, the current token keeps serving', async () => {
    const browser = await loggedIn()
    await harness.emulator.control.setFaults({ dpopNonce: {} })
    const token = await harness.auth.getAccessToken(browser.request('/'), { refresh: true })
    const { grants } = await harness.emulator.control.counters()
    expect(grants.refresh_token).toBe(2)
    expect(grants['refresh_token:use_dpop_nonce']).toBe(2)
    expect(decodeJwt(token).cnf).toBeTruthy()
    expect(await harness.auth.getUserOrNull(browser.request('/'))).not.toBeNull()
    await harness.emulator.control.clearFaults()
  })

  it('a login whose token request keeps being asked for a nonce fails with an error code', async () => {
    await harness.emulator.control.setFaults({ dpopNonce: {} })
    const browser = new AppBrowser()
    const landed = await login(harness, browser)
    expect(location(landed).pathname).toBe('/login')
    expect(location(landed).searchParams.get('error')).toBe('auth0_down')
    expect((await harness.emulator.control.counters()).grants.authorization_code).toBe(2)
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
    await harness.emulator.control.clearFaults()
  })
})

describe('DPoP key storage', () => {
  let database: TestDatabase
  let db: Db
  let harness: Harness
  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    db = createDb(database.url)
    const storage = createPrismaSessionStorage({
      db,
      secrets: ['dpop-store-test-secret-0123456789'],
      secure: false,
    })
    harness = await startHarness({ storage, audience: API, auth: { useDPoP: true } })
  })
  afterAll(async () => {
    await harness?.close()
    await db?.$disconnect()
    await database?.drop()
  })

  it('keeps the private key sealed in the session row, and nowhere in the cookie', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    const [row] = await db.session.findMany()
    const data = JSON.parse(row!.data) as { user: { dpopKey: string } }
    // a JWE (dir, A256GCM): five parts, the key's JWK members never in clear
    expect(data.user.dpopKey.split('.')).toHaveLength(5)
    expect(row!.data).not.toMatch(/"(d|kty|crv)"\s*:/)
    expect(decodeProtectedHeader(data.user.dpopKey)).toMatchObject({ alg: 'dir', enc: 'A256GCM' })
    const cookie = browser.header()
    expect(cookie).not.toContain(data.user.dpopKey.slice(0, 40))
    expect(cookie.length).toBeLessThan(200)
  })
})

describe('DPoP with nonces required: the refresh storm', () => {
  let harness: Harness
  beforeAll(async () => {
    harness = await startHarness({
      audience: API,
      emulator: { ttl: { accessToken: 60 }, dpop: { requireNonce: true } },
      auth: { useDPoP: true },
    })
  })
  afterAll(() => harness.close())

  it('50 concurrent requests make one refresh grant: one nonce challenge, one success', async () => {
    const browser = new AppBrowser()
    await login(harness, browser)
    // Another instance of the app (no nonce cached yet) on the same sessions: its first proof has no nonce.
    const other = createAuthenticator(harness.emulator, harness.storage, {
      audience: API,
      clock: harness.clock,
      auth: { useDPoP: true },
    })
    await harness.emulator.control.reset()
    harness.clock.advance(31_000)
    const results = await Promise.all(
      Array.from({ length: 50 }, () => other.getSessionInfo(browser.request('/dashboard'))),
    )
    const { grants } = await harness.emulator.control.counters()
    expect(grants['refresh_token:use_dpop_nonce']).toBe(1)
    expect(grants.refresh_token).toBe(2)
    expect(new Set(results.map((info) => info.accessTokenExpiresAt)).size).toBe(1)
    expect(results[0]!.lastRefreshedAt).not.toBeNull()
  })
})

describe.each<Engine>(['sqlite', 'postgresql'])(
  'DPoP with nonces required: a storm over two instances on the Prisma store (%s)',
  (engine) => {
    let database: TestDatabase
    let db: Db
    let harness: Harness
    beforeAll(async () => {
      database = await createTestDatabase(engine)
      db = createDb(database.url)
      const storage = createPrismaSessionStorage({
        db,
        secrets: ['dpop-storm-secret-0123456789abcdef'],
        secure: false,
      })
      harness = await startHarness({
        storage,
        audience: API,
        emulator: { ttl: { accessToken: 60 }, dpop: { requireNonce: true } },
        auth: { useDPoP: true },
      })
    })
    afterAll(async () => {
      await harness?.close()
      await db?.$disconnect()
      await database?.drop()
    })

    it('one refresh grant for the cluster (the lease), its nonce challenge included', async () => {
      const browser = new AppBrowser()
      await login(harness, browser)
      // Two more instances with no nonce cached: whichever takes the lease is challenged once, the other waits.
      const instances = [1, 2].map(() =>
        createAuthenticator(harness.emulator, harness.storage, {
          audience: API,
          clock: harness.clock,
          auth: { useDPoP: true },
        }),
      )
      await harness.emulator.control.reset()
      harness.clock.advance(31_000)
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, index) =>
          instances[index % 2]!.getSessionInfo(browser.request('/dashboard')),
        ),
      )
      const { grants } = await harness.emulator.control.counters()
      expect(grants['refresh_token:use_dpop_nonce']).toBe(1)
      expect(grants.refresh_token).toBe(2)
      expect(new Set(results.map((info) => info.accessTokenExpiresAt)).size).toBe(1)
    })
  },
)

describe('DPoP misconfiguration and downgrades', () => {
  let harness: Harness
  beforeAll(async () => {
    // A tenant without DPoP: it ignores the proof and answers with a Bearer token.
    harness = await startHarness({
      audience: API,
      emulator: { dpop: { enabled: false } },
      auth: { useDPoP: true },
    })
  })
  afterAll(() => harness.close())

  it('refuses a Bearer answer to a DPoP token request: an error code, no session', async () => {
    const browser = new AppBrowser()
    const landed = await login(harness, browser)
    expect(location(landed).pathname).toBe('/login')
    expect(location(landed).searchParams.get('error')).toBe('token_exchange_failed')
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
  })

  it('refuses useDPoP with the Browser strategy or without a session at start-up', () => {
    const storage = createMemorySessionStorage()
    expect(() =>
      createAuthenticator(harness.emulator, storage, {
        strategy: SessionStrategy.Browser,
        auth: { useDPoP: true },
      }),
    ).toThrow(/useDPoP needs session.strategy SessionStrategy.Server/)
    expect(() =>
      createAuthenticator(harness.emulator, storage, { auth: { useDPoP: true, session: undefined } }),
    ).toThrow(/useDPoP/)
  })

  it('ends a session from before DPoP was turned on (a Bearer token and no key): the user logs in again', async () => {
    const plain = createAuthenticator(harness.emulator, harness.storage, { audience: API })
    const browser = new AppBrowser()
    const landed = await login({ ...harness, auth: plain }, browser)
    expect(location(landed).pathname).toBe('/dashboard')
    expect(await plain.getUserOrNull(browser.request('/'))).not.toBeNull()
    expect(await harness.auth.getUserOrNull(browser.request('/'))).toBeNull()
  })
})
