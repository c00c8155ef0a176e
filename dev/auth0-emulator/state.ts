import { randomBytes } from 'node:crypto'

import {
  DEFAULT_DPOP,
  mergeRefreshTokens,
  subjectOf,
  type EmulatorApi,
  type EmulatorClient,
  type EmulatorOrganization,
  type EmulatorTtl,
  type EmulatorUser,
  type DPoPSettings,
  type RefreshTokenSettings,
} from './config'
import { FaultState } from './faults'
import type { KeyRing } from './keys'
import type { MemoryStore } from './store'
import { TokenTamperer } from './tamper'

/** What one authorization request asked for beyond OIDC, remembered per grant (one grant per login). */
export interface AuthorizationContext {
  audience?: string
  organization?: EmulatorOrganization
  connection?: string
  invitation?: string
}

export interface CounterSnapshot {
  endpoints: Record<string, number>
  grants: Record<string, number>
}

export class Counters {
  #endpoints: Record<string, number> = {}
  #grants: Record<string, number> = {}

  countEndpoint(path: string): void {
    this.#endpoints[path] = (this.#endpoints[path] ?? 0) + 1
  }

  countGrant(grantType: string): void {
    this.#grants[grantType] = (this.#grants[grantType] ?? 0) + 1
  }

  snapshot(): CounterSnapshot {
    return { endpoints: { ...this.#endpoints }, grants: { ...this.#grants } }
  }

  reset(): void {
    this.#endpoints = {}
    this.#grants = {}
  }
}

/**
 * How a client authenticated one token, revocation or PAR request, read from the request as sent (so a test can
 * prove that no secret went over the wire, whatever oidc-provider then made of it).
 */
export interface ClientAuthRecord {
  endpoint: string
  clientId: string | null
  method: 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt' | 'none'
  clientSecretSent: boolean
  /** The `alg` of a client_assertion's header. */
  assertionAlg?: string
  status?: number
}

export interface EmulatorStateInit {
  issuer: string
  clients: EmulatorClient[]
  users: EmulatorUser[]
  apis: EmulatorApi[]
  organizations: EmulatorOrganization[]
  ttl: EmulatorTtl
  store: MemoryStore
  /** Emulator-wide refresh token settings; a client's own `refreshTokens` override them. */
  refreshTokens: RefreshTokenSettings
  keys: KeyRing
  quiet: boolean
  /** Whether the PAR endpoint exists (and is in discovery). */
  pushedAuthorizationRequests: boolean
  /** Whether private_key_jwt is an accepted client authentication method. */
  privateKeyJwt: boolean
  dpop?: Partial<DPoPSettings>
}

/** Everything the emulator knows at run time; the Provider's configuration reads it on every request. */
export class EmulatorState {
  readonly issuer: string
  readonly origin: string
  readonly clients: EmulatorClient[]
  readonly users: EmulatorUser[]
  readonly apis: EmulatorApi[]
  readonly organizations: EmulatorOrganization[]
  ttl: EmulatorTtl
  readonly store: MemoryStore
  readonly refreshTokens: RefreshTokenSettings
  readonly keys: KeyRing
  readonly quiet: boolean
  readonly pushedAuthorizationRequests: boolean
  readonly privateKeyJwt: boolean
  /** Every authenticated request's client authentication, oldest first (cleared by the reset control route). */
  readonly clientAuthentications: ClientAuthRecord[] = []
  readonly faults = new FaultState()
  readonly counters = new Counters()
  readonly tamperer: TokenTamperer
  readonly authorizations = new Map<string, AuthorizationContext>()
  /** JWT access token jti → an opaque twin that /userinfo accepts (Auth0 JWTs carry `<issuer>userinfo`). */
  readonly userinfoTwins = new Map<string, string>()
  /** Stable across Provider rebuilds so IdP sessions survive key rotation. */
  readonly cookieKeys = [randomBytes(32).toString('base64url')]
  /** `updated_at` of every user: Auth0 sends an ISO date. */
  readonly startedAt = new Date().toISOString()
  readonly dpop: DPoPSettings
  /** oidc-provider derives its stateless DPoP nonces from this; one per emulator run. */
  readonly dpopNonceSecret = randomBytes(32)
  /** Set by the server: swaps in a Provider built for the current keys. */
  replaceProvider: () => void = () => {}

  constructor(init: EmulatorStateInit) {
    this.issuer = init.issuer
    this.origin = init.issuer.replace(/\/$/, '')
    this.clients = init.clients
    this.users = [...init.users]
    this.apis = init.apis
    this.organizations = init.organizations
    this.ttl = init.ttl
    this.store = init.store
    this.refreshTokens = init.refreshTokens
    this.store.reuseIntervalFor = (clientId) =>
      this.refreshTokensOf(typeof clientId === 'string' ? clientId : undefined).reuseIntervalSeconds
    this.keys = init.keys
    this.quiet = init.quiet
    this.pushedAuthorizationRequests = init.pushedAuthorizationRequests
    this.privateKeyJwt = init.privateKeyJwt
    // An unset variable (undefined) keeps the default rather than replacing it.
    const given = Object.entries(init.dpop ?? {}).filter(([, value]) => value !== undefined)
    this.dpop = { ...DEFAULT_DPOP, ...Object.fromEntries(given) }
    this.tamperer = new TokenTamperer(init.keys)
  }

  findUserByEmail(email: string): EmulatorUser | undefined {
    const wanted = email.trim().toLowerCase()
    return this.users.find((user) => user.email.toLowerCase() === wanted)
  }

  findUserBySubject(sub: string): EmulatorUser | undefined {
    return this.users.find((user) => subjectOf(user) === sub)
  }

  /** Auth0 accepts an organization's id or its name in `organization`. */
  findOrganization(idOrName: string): EmulatorOrganization | undefined {
    const wanted = idOrName.toLowerCase()
    return this.organizations.find((org) => org.id === idOrName || org.name.toLowerCase() === wanted)
  }

  isMember(organization: EmulatorOrganization, sub: string): boolean {
    return !organization.members || organization.members.some((id) => `auth0|${id}` === sub)
  }

  /** The organizations that list this user (open ones, without `members`, are not anyone's memberships). */
  membershipsOf(sub: string): EmulatorOrganization[] {
    return this.organizations.filter((org) => org.members?.some((id) => `auth0|${id}` === sub))
  }

  findClient(clientId: string): EmulatorClient | undefined {
    return this.clients.find((client) => client.clientId === clientId)
  }

  refreshTokensOf(clientId: string | undefined): RefreshTokenSettings {
    const client = clientId === undefined ? undefined : this.findClient(clientId)
    return mergeRefreshTokens(this.refreshTokens, client?.refreshTokens)
  }

  findApi(identifier: string): EmulatorApi | undefined {
    return this.apis.find((api) => api.identifier === identifier)
  }

  avatarUrl(user: EmulatorUser): string {
    return `${this.issuer}avatars/${encodeURIComponent(user.id)}.svg`
  }

  log(message: string): void {
    if (!this.quiet) console.log(`[auth0-emulator] ${message}`)
  }
}
