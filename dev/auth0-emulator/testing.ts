/** Helpers shared by the emulator's own tests. */
import * as oauth from 'oauth4webapi'

import { DEFAULT_CLIENT, type EmulatorOptions } from './config'
import { completeLogin, CookieJar, type CallbackRequest } from './login'
import { startEmulator, type RunningEmulator } from './server'

export const CLIENT = DEFAULT_CLIENT
export const REDIRECT_URI = CLIENT.redirectUris[0]!
export const API = 'http://localhost:3000/api'
const insecure = { [oauth.allowInsecureRequests]: true }

export interface TestOp {
  emulator: RunningEmulator
  as: oauth.AuthorizationServer
  client: oauth.Client
  auth: oauth.ClientAuth
}

export async function startTestOp(options: EmulatorOptions = {}): Promise<TestOp> {
  const emulator = await startEmulator({ port: 0, quiet: !process.env.EMULATOR_DEBUG, ...options })
  const issuer = new URL(emulator.issuer)
  const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
  return {
    emulator,
    as,
    client: { client_id: CLIENT.clientId },
    auth: oauth.ClientSecretPost(CLIENT.clientSecret),
  }
}

export interface Authorization {
  url: string
  state: string
  nonce: string
  verifier: string
}

export async function authorization(op: TestOp, params: Record<string, string> = {}): Promise<Authorization> {
  const state = oauth.generateRandomState()
  const nonce = oauth.generateRandomNonce()
  const verifier = oauth.generateRandomCodeVerifier()
  const url = new URL(op.as.authorization_endpoint!)
  const all = {
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    state,
    nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...params,
  }
  for (const [key, value] of Object.entries(all)) url.searchParams.set(key, value)
  return { url: url.href, state, nonce, verifier }
}

export function callbackParams(callback: CallbackRequest): URLSearchParams {
  return callback.method === 'POST' ? callback.body : new URL(callback.url).searchParams
}

/** Logs in, exchanges the code with oauth4webapi (which checks iss, aud, nonce, exp) and returns the tokens. */
export async function loginAndExchange(
  op: TestOp,
  params: Record<string, string> = {},
  options: { email?: string; jar?: CookieJar } = {},
): Promise<oauth.TokenEndpointResponse> {
  const auth = await authorization(op, params)
  const callback = await completeLogin(auth.url, {
    email: options.email ?? 'alice@example.com',
    jar: options.jar,
  })
  return exchange(op, auth, callback)
}

export async function exchange(
  op: TestOp,
  auth: Authorization,
  callback: CallbackRequest,
): Promise<oauth.TokenEndpointResponse> {
  const params = oauth.validateAuthResponse(op.as, op.client, callbackParams(callback), auth.state)
  const response = await oauth.authorizationCodeGrantRequest(
    op.as,
    op.client,
    op.auth,
    params,
    REDIRECT_URI,
    auth.verifier,
    insecure,
  )
  return oauth.processAuthorizationCodeResponse(op.as, op.client, response, { expectedNonce: auth.nonce })
}

/** A raw token endpoint call with client_secret_post, for asserting error responses. */
export async function tokenRequest(
  op: TestOp,
  params: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(op.as.token_endpoint!, {
    method: 'POST',
    body: new URLSearchParams({ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, ...params }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

export function refresh(op: TestOp, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(op, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra })
}

/** Follows redirects inside the emulator with cookies, like a browser; stops at the page or at the app. */
export async function openPage(
  url: string,
  jar = new CookieJar(),
): Promise<{ url: string; status: number; html: string }> {
  let current = url
  for (let step = 0; step < 10; step++) {
    const cookie = jar.header(current)
    const response = await fetch(current, { redirect: 'manual', headers: cookie ? { cookie } : {} })
    jar.store(response)
    const location = response.headers.get('location')
    if (!location) return { url: current, status: response.status, html: await response.text() }
    const next = new URL(location, current)
    if (next.origin !== new URL(url).origin) return { url: next.href, status: response.status, html: '' }
    current = next.href
  }
  throw new Error(`too many redirects from ${url}`)
}
