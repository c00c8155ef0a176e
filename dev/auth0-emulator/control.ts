import type { EmulatorTtl } from './config'
import type { Faults } from './faults'
import type { ClientAuthRecord, CounterSnapshot } from './state'

export type { AccessTokenTamper, EndpointFault, FaultEndpoint, Faults, IdTokenTamper } from './faults'
export type { ClientAuthRecord, CounterSnapshot } from './state'

/** Typed client for the emulator's `/__emulator/` API; works against an emulator in another process. */
export class EmulatorControl {
  constructor(readonly origin: string) {}

  /** Calls per endpoint path and per token `grant_type` since start or the last reset. */
  counters(): Promise<CounterSnapshot> {
    return this.#call('GET', '/counters')
  }

  /** Clears counters and faults. */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset')
  }

  /** Adds to (or replaces per key) the active faults. */
  async setFaults(faults: Faults): Promise<void> {
    await this.#call('POST', '/faults', faults)
  }

  async clearFaults(): Promise<void> {
    await this.#call('DELETE', '/faults')
  }

  /** A new signing key becomes current; the old one stays in the JWKS only with `keepOld`. */
  async rotateKeys({ keepOld = false }: { keepOld?: boolean } = {}): Promise<{ kid: string }> {
    return this.#call('POST', '/rotate-keys', { keepOld })
  }

  /** Lifetimes (seconds) for tokens and sessions issued from now on. */
  async setTtl(ttl: Partial<EmulatorTtl>): Promise<EmulatorTtl> {
    return this.#call('POST', '/ttl', ttl)
  }

  /** Deletes every refresh token of the user (`auth0|…`): their next refresh fails with invalid_grant. */
  async revokeRefreshTokens(sub: string): Promise<{ revoked: number }> {
    return this.#call('POST', '/revoke-refresh-tokens', { sub })
  }

  /** Sends a logout token to the client's back-channel logout URI; resolves to the app's HTTP status. */
  async backchannelLogout(target: { sub?: string; sid?: string; clientId?: string }): Promise<number> {
    const { status } = await this.#call<{ status: number }>('POST', '/backchannel-logout', target)
    return status
  }

  /**
   * How each token, revocation and PAR request since start or the last reset authenticated its client, as sent:
   * proves, e.g., that a private_key_jwt client never sent a secret.
   */
  clientAuthentications(): Promise<ClientAuthRecord[]> {
    return this.#call('GET', '/client-authentications')
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.origin}/__emulator${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const payload = (await response.json()) as T & { error_description?: string }
    if (!response.ok) {
      throw new Error(
        `emulator control ${method} ${path}: ${response.status} ${payload.error_description ?? ''}`,
      )
    }
    return payload
  }
}
