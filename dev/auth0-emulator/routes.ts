import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Context, Middleware, Next } from 'koa'
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  jwtVerify,
} from 'jose'
import type Provider from 'oidc-provider'
import type { KoaContextWithOIDC } from 'oidc-provider'

import { handleControl } from './control-routes'
import { FAULT_PATHS, type FaultEndpoint } from './faults'
import { readBody } from './http'
import { handleInteraction } from './interactions'
import { v2Logout } from './logout'
import type { ClientAuthRecord, EmulatorState } from './state'
import { avatarSvg } from './views'

/**
 * What the emulator adds around oidc-provider: its own pages and control API, counters, faults, and the
 * Auth0 request/response details oidc-provider has no option for.
 */
export function emulatorRoutes(state: EmulatorState, provider: Provider): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.path.startsWith('/__emulator/')) return handleControl(ctx, state)
    state.counters.countEndpoint(counterKey(ctx.path))

    if (ctx.path.startsWith('/u/login/')) return handleInteraction(ctx, state, provider)
    if (ctx.path === '/v2/logout' && ctx.method === 'GET') return v2Logout(ctx, state, provider)
    if (ctx.path.startsWith('/avatars/')) return serveAvatar(ctx, state)

    const isToken = ctx.path === FAULT_PATHS.token && ctx.method === 'POST'
    if (isToken) await prepareTokenRequest(ctx, state)
    if (isToken && state.faults.takeDpopNonce()) return demandDpopNonce(ctx, state)
    const revoked =
      ctx.path === FAULT_PATHS.revoke && ctx.method === 'POST'
        ? await revocationTarget(ctx, state)
        : undefined
    const authRecord = await recordClientAuth(ctx, state)
    if (await injectEndpointFault(ctx, state)) return
    if (ctx.path === FAULT_PATHS.userinfo) await useUserinfoTwin(ctx, state)

    await next()
    if (authRecord) authRecord.status = ctx.status

    if (isToken && ctx.status === 200) await finishTokenResponse(ctx, state)
    if (isToken) countDpopNonceChallenge(ctx, state)
    if (revoked && ctx.status === 200) revokeEveryRefreshTokenOf(state, revoked)
  }
}

/** Paths with ids in them are counted under one name. */
function counterKey(path: string): string {
  if (path.startsWith('/u/login/')) return path.endsWith('/signup') ? '/u/signup' : '/u/login'
  if (path.startsWith('/authorize/')) return '/authorize/resume'
  if (path.startsWith('/avatars/')) return '/avatars'
  return path
}

/**
 * Counts the grant type and maps Auth0's `audience` to RFC 8707 `resource`, which is what oidc-provider's
 * refresh grant takes. The body is handed on pre-parsed (oidc-provider reads `req.body` then).
 */
async function prepareTokenRequest(ctx: Context, state: EmulatorState): Promise<void> {
  const params = new URLSearchParams(await readBody(ctx.req))
  state.counters.countGrant(params.get('grant_type') ?? 'unknown')
  const audience = params.get('audience')
  if (audience !== null) {
    if (!params.has('resource')) params.set('resource', audience)
    params.delete('audience')
  }
  Object.assign(ctx.req, { body: Object.fromEntries(params) })
}

const AUTHENTICATED_PATHS = new Set([FAULT_PATHS.token, FAULT_PATHS.revoke, FAULT_PATHS.par])

/**
 * Notes how the client authenticated a token, revocation or PAR request, from the request as sent. The body is
 * read here only when no earlier step did (PAR), and handed on pre-parsed like the others.
 */
async function recordClientAuth(ctx: Context, state: EmulatorState): Promise<ClientAuthRecord | undefined> {
  if (ctx.method !== 'POST' || !AUTHENTICATED_PATHS.has(ctx.path)) return undefined
  const req = ctx.req as typeof ctx.req & { body?: Record<string, string> }
  req.body ??= Object.fromEntries(new URLSearchParams(await readBody(ctx.req)))
  const body = req.body
  const basic = /^basic /i.test(ctx.get('authorization'))
  const assertion = body.client_assertion_type === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
  let assertionAlg: string | undefined
  try {
    if (assertion && body.client_assertion)
      assertionAlg = String(decodeProtectedHeader(body.client_assertion).alg)
  } catch {
    // A malformed assertion: oidc-provider refuses it with invalid_client.
  }
  const record: ClientAuthRecord = {
    endpoint: ctx.path,
    clientId: body.client_id ?? null,
    method: assertion
      ? 'private_key_jwt'
      : basic
        ? 'client_secret_basic'
        : body.client_secret
          ? 'client_secret_post'
          : 'none',
    clientSecretSent: basic || body.client_secret !== undefined,
    ...(assertionAlg ? { assertionAlg } : {}),
  }
  state.clientAuthentications.push(record)
  return record
}

/** The `dpopNonce` fault: a server that keeps asking for a new nonce (RFC 9449 §8), as a broken one would. */
function demandDpopNonce(ctx: Context, state: EmulatorState): void {
  ctx.status = 400
  ctx.set('DPoP-Nonce', randomBytes(16).toString('base64url'))
  ctx.set('Cache-Control', 'no-store')
  ctx.body = {
    error: 'use_dpop_nonce',
    error_description: 'fault injected by the Auth0 emulator (dpopNonce)',
  }
  countDpopNonceChallenge(ctx, state)
}

/** Nonce challenges are counted apart (`<grant>:use_dpop_nonce`): a retry after one is not a second grant. */
function countDpopNonceChallenge(ctx: Context, state: EmulatorState): void {
  const body = ctx.body as { error?: unknown } | undefined
  if (ctx.status !== 400 || body?.error !== 'use_dpop_nonce') return
  const grantType = (ctx.req as { body?: Record<string, string> }).body?.grant_type ?? 'unknown'
  state.counters.countGrant(`${grantType}:use_dpop_nonce`)
}

async function injectEndpointFault(ctx: Context, state: EmulatorState): Promise<boolean> {
  const endpoint = (Object.keys(FAULT_PATHS) as FaultEndpoint[]).find(
    (name) => FAULT_PATHS[name] === ctx.path,
  )
  const fault = endpoint && state.faults.takeEndpointFault(endpoint)
  if (!fault) return false
  if ('delayMs' in fault) {
    await sleep(fault.delayMs)
    return false
  }
  ctx.status = fault.status
  ctx.body = {
    error: 'server_error',
    error_description: `fault injected by the Auth0 emulator (${endpoint})`,
  }
  return true
}

/** Auth0 JWT access tokens work at /userinfo; oidc-provider's don't, so their opaque twin is used instead. */
async function useUserinfoTwin(ctx: Context, state: EmulatorState): Promise<void> {
  const [scheme, token] = (ctx.get('authorization') || ' ').split(' ')
  const kind = scheme?.toLowerCase()
  if ((kind !== 'bearer' && kind !== 'dpop') || !token || token.split('.').length !== 3) return
  try {
    const twin = state.userinfoTwins.get(String(decodeJwt(token).jti))
    if (!twin) return
    const { payload } = await jwtVerify(token, createLocalJWKSet(state.keys.publicJwks), {
      issuer: state.issuer,
      audience: `${state.issuer}userinfo`,
    })
    const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt
    // A bound JWT is only good with the DPoP scheme and a proof of its key (the twin itself is not bound).
    if (jkt !== undefined || kind === 'dpop') {
      if (kind !== 'dpop' || typeof jkt !== 'string' || !(await validUserinfoProof(ctx, state, token, jkt)))
        return
      delete ctx.req.headers.dpop
    }
    ctx.req.headers.authorization = `Bearer ${twin}`
  } catch {
    // Not a valid emulator JWT: oidc-provider answers invalid_token for it.
  }
}

/** RFC 9449 §4.3 and §7 for /userinfo, which sees the twin instead of the JWT the proof's `ath` is about. */
async function validUserinfoProof(
  ctx: Context,
  state: EmulatorState,
  token: string,
  jkt: string,
): Promise<boolean> {
  const proof = ctx.get('dpop')
  if (!proof) return false
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ['ES256', 'Ed25519', 'EdDSA'],
  })
  const htu = typeof payload.htu === 'string' ? URL.parse(payload.htu) : null
  return (
    (await calculateJwkThumbprint(protectedHeader.jwk!)) === jkt &&
    payload.ath === createHash('sha256').update(token).digest('base64url') &&
    payload.htm === ctx.method &&
    htu !== null &&
    `${htu.origin}${htu.pathname}` === `${state.origin}${ctx.path}` &&
    typeof payload.iat === 'number' &&
    Math.abs(Date.now() / 1000 - payload.iat) <= 300
  )
}

/** The user and application of the refresh token a revocation request names, read before it is deleted. */
async function revocationTarget(
  ctx: Context,
  state: EmulatorState,
): Promise<{ accountId: unknown; clientId: unknown } | undefined> {
  const params = new URLSearchParams(await readBody(ctx.req))
  Object.assign(ctx.req, { body: Object.fromEntries(params) })
  const payload = state.store.get('RefreshToken', params.get('token') ?? '')
  return payload ? { accountId: payload.accountId, clientId: payload.clientId } : undefined
}

/**
 * oidc-provider revokes the token's own grant (one login here). With "Refresh Token Revocation Deletes Grant",
 * Auth0 ends every refresh token of that user and application: the user's other devices too.
 */
function revokeEveryRefreshTokenOf(state: EmulatorState, target: { accountId: unknown; clientId: unknown }) {
  const clientId = typeof target.clientId === 'string' ? target.clientId : undefined
  if (!state.refreshTokensOf(clientId).revocationDeletesGrant) return
  state.store.deleteWhere(
    (payload, model) =>
      model === 'RefreshToken' && payload.accountId === target.accountId && payload.clientId === clientId,
  )
}

/**
 * Auth0 answers with every granted scope and, without rotation, sends no refresh token on a refresh; then any
 * token faults apply.
 */
async function finishTokenResponse(ctx: Context, state: EmulatorState): Promise<void> {
  const body = ctx.body as Record<string, unknown> | undefined
  if (!body || typeof body !== 'object') return
  const { oidc } = ctx as unknown as KoaContextWithOIDC
  if (oidc?.params?.grant_type === 'refresh_token' && !state.refreshTokensOf(oidc.client?.clientId).rotation)
    delete body.refresh_token
  if (typeof body.access_token === 'string' && body.access_token.split('.').length === 3) {
    const { scope } = decodeJwt(body.access_token)
    if (typeof scope === 'string') body.scope = scope
  }
  if (typeof body.id_token === 'string') {
    const tamper = state.faults.takeIdTokenTamper()
    if (tamper) body.id_token = await state.tamperer.idToken(body.id_token, tamper)
  }
  if (typeof body.access_token === 'string') {
    const tamper = state.faults.takeAccessTokenTamper()
    if (tamper) body.access_token = await state.tamperer.accessToken(body.access_token, tamper)
  }
}

function serveAvatar(ctx: Context, state: EmulatorState): void {
  const id = decodeURIComponent(ctx.path.slice('/avatars/'.length).replace(/\.svg$/, ''))
  const user = state.users.find((candidate) => candidate.id === id)
  if (!user) {
    ctx.status = 404
    return
  }
  ctx.type = 'image/svg+xml'
  ctx.set('cache-control', 'public, max-age=3600')
  ctx.body = avatarSvg(user)
}
