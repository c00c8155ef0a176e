import { exportJWK, generateKeyPair } from 'jose'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { DEFAULT_CLIENT, type EmulatorClient } from './config'
import { completeLogin } from './login'
import { callbackParams, CLIENT, REDIRECT_URI, startTestOp, type TestOp } from './testing'

// The emulator's PAR endpoint (RFC 9126), per-client "Require PAR", private_key_jwt applications (RFC 7523) and
// its record of how each request authenticated its client.

const insecure = { [oauth.allowInsecureRequests]: true }
const ops: TestOp[] = []
afterAll(() => Promise.all(ops.map((op) => op.emulator.close())))

async function op(options: Parameters<typeof startTestOp>[0] = {}): Promise<TestOp> {
  const started = await startTestOp(options)
  ops.push(started)
  return started
}

async function pkceParameters() {
  const verifier = oauth.generateRandomCodeVerifier()
  return {
    verifier,
    parameters: new URLSearchParams({
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid offline_access',
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }),
  }
}

async function push(test: TestOp, parameters: URLSearchParams, auth = test.auth, client = test.client) {
  const response = await oauth.pushedAuthorizationRequest(test.as, client, auth, parameters, insecure)
  return oauth.processPushedAuthorizationResponse(test.as, client, response)
}

describe('discovery', () => {
  it('offers the PAR endpoint and private_key_jwt by default', async () => {
    const test = await op()
    expect(test.as.pushed_authorization_request_endpoint).toBe(`${test.emulator.origin}/oauth/par`)
    expect(test.as.token_endpoint_auth_methods_supported).toContain('private_key_jwt')
    expect(test.as.token_endpoint_auth_methods_supported).toContain('client_secret_post')
  })

  it('pushedAuthorizationRequests: false and privateKeyJwt: false take both away', async () => {
    const test = await op({ pushedAuthorizationRequests: false, privateKeyJwt: false })
    expect(test.as.pushed_authorization_request_endpoint).toBeUndefined()
    expect(test.as.token_endpoint_auth_methods_supported).not.toContain('private_key_jwt')
    const response = await fetch(`${test.emulator.origin}/oauth/par`, { method: 'POST' })
    expect(response.status).toBe(404)
  })
})

describe('pushed authorization requests', () => {
  let test: TestOp
  beforeAll(async () => {
    test = await op({
      clients: [
        DEFAULT_CLIENT,
        { ...DEFAULT_CLIENT, clientId: 'par-required', requirePushedAuthorizationRequests: true },
      ],
    })
  })

  it('a pushed request logs in with only client_id and request_uri in the browser', async () => {
    const { parameters, verifier } = await pkceParameters()
    const { request_uri, expires_in } = await push(test, parameters)
    expect(request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:/)
    expect(expires_in).toBeGreaterThan(0)
    const url = new URL(test.as.authorization_endpoint!)
    url.searchParams.set('client_id', CLIENT.clientId)
    url.searchParams.set('request_uri', request_uri)
    const callback = await completeLogin(url.href, { email: 'alice@example.com' })
    const params = oauth.validateAuthResponse(
      test.as,
      test.client,
      callbackParams(callback),
      parameters.get('state')!,
    )
    const response = await oauth.authorizationCodeGrantRequest(
      test.as,
      test.client,
      test.auth,
      params,
      REDIRECT_URI,
      verifier,
      insecure,
    )
    const tokens = await oauth.processAuthorizationCodeResponse(test.as, test.client, response, {
      expectedNonce: parameters.get('nonce')!,
    })
    // Auth0 issues a refresh token for offline_access; the pushed scope keeps it.
    expect(tokens.refresh_token).toEqual(expect.any(String))
  })

  it('a push with a wrong secret is refused with invalid_client', async () => {
    const { parameters } = await pkceParameters()
    await expect(push(test, parameters, oauth.ClientSecretPost('wrong-secret'))).rejects.toMatchObject({
      error: 'invalid_client',
    })
  })

  it('a client that requires PAR refuses a plain authorize request, and accepts a pushed one', async () => {
    const { parameters } = await pkceParameters()
    const plain = new URL(test.as.authorization_endpoint!)
    for (const [name, value] of parameters) plain.searchParams.set(name, value)
    plain.searchParams.set('client_id', 'par-required')
    // The redirect_uri is registered, so the refusal goes back to the app (RFC 6749 §4.1.2.1).
    const refused = await fetch(plain, { redirect: 'manual' })
    expect(refused.status).toBe(303)
    const error = new URL(refused.headers.get('location')!).searchParams
    expect(error.get('error')).toBe('invalid_request')
    expect(error.get('error_description')).toMatch(/Pushed Authorization Request must be used/)

    const { request_uri } = await push(test, parameters, test.auth, { client_id: 'par-required' })
    const url = new URL(test.as.authorization_endpoint!)
    url.searchParams.set('client_id', 'par-required')
    url.searchParams.set('request_uri', request_uri)
    const callback = await completeLogin(url.href, { email: 'alice@example.com' })
    expect(callbackParams(callback).get('code')).toEqual(expect.any(String))
  })

  it('a PAR fault answers with the injected status', async () => {
    await test.emulator.control.setFaults({ par: { status: 503, times: 1 } })
    const { parameters } = await pkceParameters()
    const response = await oauth.pushedAuthorizationRequest(
      test.as,
      test.client,
      test.auth,
      parameters,
      insecure,
    )
    expect(response.status).toBe(503)
  })
})

describe('private_key_jwt clients and the client-authentication record', () => {
  let test: TestOp
  let privateKey: CryptoKey
  const keyClient = (jwk: Record<string, unknown>): EmulatorClient => ({
    clientId: 'pkjwt-client',
    redirectUris: [REDIRECT_URI],
    logoutUrls: [],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [{ ...jwk, alg: 'ES256', use: 'sig' }] },
  })
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256')
    privateKey = pair.privateKey
    test = await op({ clients: [DEFAULT_CLIENT, keyClient(await exportJWK(pair.publicKey))] })
  })

  it('accepts an assertion signed with the registered key and records it (no secret sent)', async () => {
    await test.emulator.control.reset()
    const { parameters } = await pkceParameters()
    await push(test, parameters, oauth.PrivateKeyJwt(privateKey), { client_id: 'pkjwt-client' })
    expect(await test.emulator.control.clientAuthentications()).toEqual([
      {
        endpoint: '/oauth/par',
        clientId: 'pkjwt-client',
        method: 'private_key_jwt',
        clientSecretSent: false,
        assertionAlg: 'ES256',
        status: 201,
      },
    ])
  })

  it('refuses an assertion signed with another key, and a secret', async () => {
    const other = await generateKeyPair('ES256')
    const { parameters } = await pkceParameters()
    const client = { client_id: 'pkjwt-client' }
    await expect(push(test, parameters, oauth.PrivateKeyJwt(other.privateKey), client)).rejects.toMatchObject(
      {
        error: 'invalid_client',
      },
    )
    await expect(push(test, parameters, oauth.ClientSecretPost('anything'), client)).rejects.toMatchObject({
      error: 'invalid_client',
    })
  })

  it('records secrets as sent, in the body or in Basic, and reset clears the record', async () => {
    await test.emulator.control.reset()
    const { parameters } = await pkceParameters()
    await push(test, parameters)
    await push(test, parameters, oauth.ClientSecretBasic(CLIENT.clientSecret))
    const records = await test.emulator.control.clientAuthentications()
    expect(
      records.map(({ method, clientSecretSent, status }) => ({ method, clientSecretSent, status })),
    ).toEqual([
      { method: 'client_secret_post', clientSecretSent: true, status: 201 },
      { method: 'client_secret_basic', clientSecretSent: true, status: 201 },
    ])
    await test.emulator.control.reset()
    expect(await test.emulator.control.clientAuthentications()).toEqual([])
  })
})
