import type { Context } from 'koa'

import { DEFAULT_TTL, type EmulatorTtl } from './config'
import type { Faults } from './faults'
import { readJson } from './http'
import { sendBackchannelLogout } from './logout'
import type { EmulatorState } from './state'

/** The test-control API under `/__emulator/` (dev and test only; see control.ts for the client). */
export async function handleControl(ctx: Context, state: EmulatorState): Promise<void> {
  const route = `${ctx.method} ${ctx.path.slice('/__emulator'.length)}`
  try {
    const body = ctx.method === 'POST' || ctx.method === 'PUT' ? await readJson(ctx.req) : {}
    ctx.body = await dispatch(route, body, state)
    if (ctx.body === undefined) {
      ctx.status = 404
      ctx.body = { error: 'not_found', error_description: `no control route ${route}` }
    }
  } catch (error) {
    ctx.status = error instanceof ControlError ? error.status : 500
    ctx.body = {
      error: 'control_error',
      error_description: error instanceof Error ? error.message : String(error),
    }
  }
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function dispatch(
  route: string,
  body: Record<string, unknown>,
  state: EmulatorState,
): Promise<unknown> {
  switch (route) {
    case 'GET /counters':
      return state.counters.snapshot()
    case 'POST /reset':
      state.counters.reset()
      state.faults.clear()
      state.clientAuthentications.length = 0
      return { ok: true }
    case 'GET /faults':
      return state.faults.active
    case 'POST /faults':
      state.faults.set(body as Faults)
      return state.faults.active
    case 'DELETE /faults':
      state.faults.clear()
      return { ok: true }
    case 'POST /rotate-keys': {
      const key = await state.keys.rotate({ keepOld: body.keepOld === true })
      state.replaceProvider()
      return { kid: key.kid }
    }
    case 'POST /ttl':
      state.ttl = { ...state.ttl, ...numbersOnly(body) }
      return state.ttl
    case 'POST /revoke-refresh-tokens': {
      const sub = requireString(body.sub, 'sub')
      const revoked = state.store.deleteWhere(
        (payload, model) => model === 'RefreshToken' && payload.accountId === sub,
      )
      return { revoked }
    }
    case 'POST /backchannel-logout':
      return { status: await backchannelLogout(state, body) }
    case 'GET /client-authentications':
      return state.clientAuthentications
    case 'GET /state':
      return describe(state)
    default:
      return undefined
  }
}

async function backchannelLogout(state: EmulatorState, body: Record<string, unknown>): Promise<number> {
  const sub = optionalString(body.sub, 'sub')
  const sid = optionalString(body.sid, 'sid')
  if (!sub && !sid) throw new ControlError(400, 'send sub, sid or both')
  const clientId = optionalString(body.clientId, 'clientId')
  const client = clientId
    ? state.findClient(clientId)
    : state.clients.find((candidate) => candidate.backchannelLogoutUri)
  if (!client?.backchannelLogoutUri) throw new ControlError(404, 'no client with a back-channel logout URI')
  return sendBackchannelLogout(state, client, { sub, sid })
}

function describe(state: EmulatorState) {
  const sessions = [...state.store.list('Session')].map(([, session]) => ({
    sub: session.accountId,
    clients: Object.entries(session.authorizations ?? {}).map(([clientId, { sid }]) => ({ clientId, sid })),
  }))
  return {
    issuer: state.issuer,
    users: state.users,
    clients: state.clients.map(({ clientSecret: _secret, ...client }) => client),
    apis: state.apis,
    organizations: state.organizations,
    ttl: state.ttl,
    sessions: sessions.filter((session) => session.sub),
  }
}

function numbersOnly(body: Record<string, unknown>): Partial<EmulatorTtl> {
  const ttl: Partial<Record<keyof EmulatorTtl, number>> = {}
  for (const [key, value] of Object.entries(body)) {
    if (!(key in DEFAULT_TTL)) throw new ControlError(400, `unknown ttl "${key}"`)
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new ControlError(400, `ttl.${key} must be a positive whole number of seconds`)
    }
    ttl[key as keyof EmulatorTtl] = value
  }
  return ttl
}

function requireString(value: unknown, name: string): string {
  const text = optionalString(value, name)
  if (!text) throw new ControlError(400, `${name} is required`)
  return text
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new ControlError(400, `${name} must be a string`)
  return value
}
