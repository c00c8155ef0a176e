import { createMemorySessionStorage } from '@remix-run/node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { AppBrowser, location, responseOf } from '../support/browser'
import {
  appOrigin,
  clientId,
  clientSecret,
  login,
  sessionSecret,
  startHarness,
  type Harness,
} from '../support/auth-harness'
import { clientKeyPair, privateKeyJwtClient, type ClientKeyPair } from '../support/client-keys'
import { Auth0RemixServer, ConfigurationError, type ClientDetails } from '~/lib/auth0'

// private_key_jwt (RFC 7523) against the emulator's private_key_jwt application: every call that authenticates
// the client (code, refresh, revocation) signs an assertion, and no secret ever goes over the wire.

const harnesses: Harness[] = []
afterAll(() => Promise.all(harnesses.map((harness) => harness.close())))

function keyDetails(key: ClientKeyPair, emulatorOrigin: string): ClientDetails {
  return {
    domain: emulatorOrigin,
    clientID: clientId,
    clientAssertionSigningKey: key.privateKeyPem,
    clientAssertionSigningAlg: key.alg,
  }
}

/** An emulator with the key's public half registered; the authenticator signs with `signWith` (default: it). */
async function keyHarness(key: ClientKeyPair, signWith = key): Promise<Harness> {
  const harness = await startHarness({ emulator: { clients: [privateKeyJwtClient([key])] } })
  harnesses.push(harness)
  const auth = new Auth0RemixServer({
    clientDetails: keyDetails(signWith, harness.emulator.origin),
    callbackURL: `${appOrigin}/auth/callback`,
    refreshTokenRotationEnabled: true,
    failedLoginRedirect: '/login',
    session: { store: harness.storage, key: 'user' },
    secrets: [sessionSecret],
    logger: { warn: () => undefined },
    now: harness.clock.now,
  })
  return { ...harness, auth }
}

describe('private_key_jwt', () => {
  let key: ClientKeyPair
  let harness: Harness
  beforeAll(async () => {
    key = await clientKeyPair('RS256')
    harness = await keyHarness(key)
  })
  beforeEach(() => harness.emulator.control.reset())

  it('logs in, refreshes and revokes at logout with signed assertions; no secret is ever sent', async () => {
    const browser = new AppBrowser()
    expect(location(await login(harness, browser)).pathname).toBe('/dashboard')
    const before = await harness.auth.getAccessToken(browser.request('/dashboard'))
    const refreshed = await harness.auth.getAccessToken(browser.request('/dashboard'), { refresh: true })
    expect(refreshed).not.toBe(before)
    await responseOf(() => harness.auth.logout(browser.post('/logout')))

    const calls = await harness.emulator.control.clientAuthentications()
    expect(calls.map((call) => [call.endpoint, call.status])).toEqual([
      ['/oauth/token', 200],
      ['/oauth/token', 200],
      ['/oauth/revoke', 200],
    ])
    for (const call of calls) {
      expect(call).toMatchObject({
        method: 'private_key_jwt',
        clientSecretSent: false,
        assertionAlg: 'RS256',
      })
    }
    // The revocation really happened: the refresh token is gone at Auth0.
    const counters = await harness.emulator.control.counters()
    expect(counters.grants.refresh_token).toBe(1)
  })

  it('the emulator refuses a client secret for this application (it has none)', async () => {
    const response = await fetch(`${harness.emulator.origin}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: clientId,
        client_secret: clientSecret,
      }),
    })
    expect(response.status).toBe(401)
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client')
  })

  it('checkConfiguration passes: the tenant accepts private_key_jwt and the key imports', async () => {
    await expect(harness.auth.checkConfiguration()).resolves.toBeUndefined()
  })

  it('takes a one-line PEM with literal \\n (as containers pass it)', async () => {
    const oneLine = key.privateKeyPem.trim().replaceAll('\n', '\\n')
    expect(oneLine).not.toContain('\n')
    const auth = new Auth0RemixServer({
      clientDetails: { ...keyDetails(key, harness.emulator.origin), clientAssertionSigningKey: oneLine },
      callbackURL: `${appOrigin}/auth/callback`,
      failedLoginRedirect: '/login',
      session: { store: harness.storage, key: 'user' },
      secrets: [sessionSecret],
      logger: { warn: () => undefined },
    })
    expect(location(await login({ ...harness, auth }, new AppBrowser())).pathname).toBe('/dashboard')
  })
})

describe('private_key_jwt algorithms', () => {
  it.each(['RS256', 'PS256', 'ES256'] as const)('%s: a login signs its assertion with it', async (alg) => {
    const key = await clientKeyPair(alg)
    const harness = await keyHarness(key)
    expect(location(await login(harness, new AppBrowser())).pathname).toBe('/dashboard')
    const [call] = await harness.emulator.control.clientAuthentications()
    expect(call).toMatchObject({
      method: 'private_key_jwt',
      assertionAlg: alg,
      clientSecretSent: false,
      status: 200,
    })
  })
})

describe('a key Auth0 does not know', () => {
  it('is refused (invalid_client): the login ends on /login?error=invalid_client with no session', async () => {
    const registered = await clientKeyPair('RS256')
    const other = await clientKeyPair('RS256')
    const harness = await keyHarness(registered, other)
    const browser = new AppBrowser()
    const response = await login(harness, browser)
    expect(response.status).toBe(302)
    expect(location(response).pathname).toBe('/login')
    expect(location(response).searchParams.get('error')).toBe('invalid_client')
    expect(browser.value('__session')).toBeUndefined()
    expect(await harness.auth.getUserOrNull(browser.request('/dashboard'))).toBeNull()
    const [call] = await harness.emulator.control.clientAuthentications()
    expect(call).toMatchObject({ endpoint: '/oauth/token', method: 'private_key_jwt', status: 401 })
  })
})

describe('configuration errors', () => {
  const base = {
    callbackURL: `${appOrigin}/auth/callback`,
    failedLoginRedirect: '/login',
    session: { store: createMemorySessionStorage({ cookie: { secrets: [sessionSecret] } }) },
  }
  let key: ClientKeyPair
  beforeAll(async () => {
    key = await clientKeyPair('ES256')
  })

  it('the constructor wants exactly one of clientSecret and clientAssertionSigningKey', () => {
    const both = {
      domain: 'tenant.example',
      clientID: 'c',
      clientSecret: 's',
      clientAssertionSigningKey: 'k',
    }
    const neither = { domain: 'tenant.example', clientID: 'c' }
    for (const clientDetails of [both, neither]) {
      expect(() => new Auth0RemixServer({ ...base, clientDetails, secrets: [sessionSecret] })).toThrow(
        /exactly one of clientDetails\.clientSecret and clientDetails\.clientAssertionSigningKey/,
      )
    }
  })

  it('a signing key needs secrets for the transaction cookie', () => {
    const clientDetails = {
      domain: 'tenant.example',
      clientID: 'c',
      clientAssertionSigningKey: key.privateKeyPem,
    }
    expect(() => new Auth0RemixServer({ ...base, clientDetails })).toThrow(/secrets is required/)
  })

  it('an unknown algorithm is refused', () => {
    const clientDetails = {
      domain: 'tenant.example',
      clientID: 'c',
      clientAssertionSigningKey: key.privateKeyPem,
      clientAssertionSigningAlg: 'HS256' as 'RS256',
    }
    expect(() => new Auth0RemixServer({ ...base, clientDetails, secrets: [sessionSecret] })).toThrow(
      /clientAssertionSigningAlg must be one of RS256, PS256, ES256/,
    )
  })

  it('checkConfiguration: a key that does not import (or not for its alg) names the option, never the key', async () => {
    const harness = await startHarness({ emulator: { clients: [privateKeyJwtClient([key])] } })
    harnesses.push(harness)
    for (const [pem, alg] of [
      ['not a pem', 'RS256'],
      [key.privateKeyPem, 'RS256'],
    ] as const) {
      const auth = new Auth0RemixServer({
        ...base,
        clientDetails: {
          domain: harness.emulator.origin,
          clientID: clientId,
          clientAssertionSigningKey: pem,
          clientAssertionSigningAlg: alg,
        },
        secrets: [sessionSecret],
      })
      const error = await auth.checkConfiguration().then(
        () => undefined,
        (thrown: unknown) => thrown,
      )
      expect(error).toBeInstanceOf(ConfigurationError)
      expect((error as ConfigurationError).option).toBe('clientDetails.clientAssertionSigningKey')
      expect((error as Error).message).not.toContain('PRIVATE KEY')
    }
  })

  it('checkConfiguration: a tenant without private_key_jwt is a configuration error', async () => {
    const harness = await startHarness({
      emulator: { privateKeyJwt: false, clients: [privateKeyJwtClient([])] },
    })
    harnesses.push(harness)
    const auth = new Auth0RemixServer({
      ...base,
      clientDetails: keyDetails(key, harness.emulator.origin),
      secrets: [sessionSecret],
    })
    await expect(auth.checkConfiguration()).rejects.toThrow(
      /clientAssertionSigningKey is set, but .* does not accept private_key_jwt/,
    )
  })
})
