import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import {
  DEFAULT_APIS,
  DEFAULT_CLIENT,
  DEFAULT_ORGANIZATIONS,
  DEFAULT_PORT,
  DEFAULT_REFRESH_TOKENS,
  DEFAULT_TTL,
  DEFAULT_USERS,
  mergeRefreshTokens,
  type EmulatorOptions,
} from './config'
import { EmulatorControl } from './control'
import { KeyRing } from './keys'
import { buildProvider } from './provider'
import { EmulatorState } from './state'
import { MemoryStore } from './store'

export type {
  ClientAuthMethod,
  EmulatorApi,
  EmulatorClient,
  EmulatorOptions,
  EmulatorOrganization,
  EmulatorTtl,
  EmulatorUser,
  RefreshTokenSettings,
  DPoPSettings,
} from './config'

export interface RunningEmulator {
  /** With the trailing slash, like Auth0's. */
  issuer: string
  /** Without a trailing slash. */
  origin: string
  port: number
  control: EmulatorControl
  /** An outage: stops listening and drops every connection, keeping all state (sessions, refresh tokens). */
  suspend(): Promise<void>
  /** Ends the outage: listens on the same port again. */
  resume(): Promise<void>
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1'
  let handler: Handler = (_req, res) => {
    res.statusCode = 503
    res.end()
  }
  const server = createServer((req, res) => handler(req, res))
  // The issuer carries the real port, so the socket is bound before the Provider exists.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  const state = new EmulatorState({
    issuer: `${origin}/`,
    clients: options.clients ?? [DEFAULT_CLIENT],
    users: options.users ?? DEFAULT_USERS,
    apis: options.apis ?? DEFAULT_APIS,
    organizations: options.organizations ?? DEFAULT_ORGANIZATIONS,
    ttl: { ...DEFAULT_TTL, ...options.ttl },
    store: new MemoryStore(),
    refreshTokens: mergeRefreshTokens(DEFAULT_REFRESH_TOKENS, options.refreshTokens),
    keys: await KeyRing.create(),
    quiet: options.quiet ?? false,
    pushedAuthorizationRequests: options.pushedAuthorizationRequests ?? true,
    privateKeyJwt: options.privateKeyJwt ?? true,
    dpop: options.dpop,
  })
  state.replaceProvider = () => {
    handler = buildProvider(state).callback()
  }
  state.replaceProvider()

  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()))
      server.closeAllConnections()
    })
  return {
    issuer: state.issuer,
    origin,
    port,
    control: new EmulatorControl(origin),
    suspend: close,
    resume: () => new Promise<void>((resolve) => server.listen(port, host, resolve)),
    close,
  }
}
