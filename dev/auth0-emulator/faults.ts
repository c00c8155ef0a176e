/** Endpoints whose responses can be replaced or delayed. */
export type FaultEndpoint = 'token' | 'userinfo' | 'jwks' | 'revoke' | 'par'

/** `times` counts the next matching responses; without it the fault stays until cleared. */
export type EndpointFault = { status: number; times?: number } | { delayMs: number; times?: number }

export type IdTokenTamper =
  | 'foreign-key'
  | 'unknown-kid'
  | 'alg-none'
  | 'hs256-public-key'
  | 'wrong-aud'
  | 'wrong-iss'
  | 'wrong-azp'
  | 'wrong-nonce'
  | 'expired'
  | 'future-iat'
  | 'missing-org'
  | 'wrong-org'

export type AccessTokenTamper = 'wrong-aud' | 'expired'

export interface Faults {
  token?: EndpointFault
  userinfo?: EndpointFault
  jwks?: EndpointFault
  revoke?: EndpointFault
  /** The pushed authorization request endpoint (RFC 9126). */
  par?: EndpointFault
  /** Replaces the ID token of the next token responses. */
  idToken?: { tamper: IdTokenTamper; times?: number }
  /** Replaces the JWT access token of the next token responses (opaque ones are left alone). */
  accessToken?: { tamper: AccessTokenTamper; times?: number }
  /** The next token requests are answered `use_dpop_nonce` with a fresh nonce, whatever their proof says. */
  dpopNonce?: { times?: number }
}

export const FAULT_PATHS: Record<FaultEndpoint, string> = {
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  revoke: '/oauth/revoke',
  par: '/oauth/par',
}

/** The active faults; each `take*` uses up one of a fault's `times`. */
export class FaultState {
  #faults: Faults = {}

  set(faults: Faults): void {
    this.#faults = { ...this.#faults, ...structuredClone(faults) }
  }

  clear(): void {
    this.#faults = {}
  }

  get active(): Faults {
    return structuredClone(this.#faults)
  }

  takeEndpointFault(endpoint: FaultEndpoint): EndpointFault | undefined {
    return this.#take(endpoint)
  }

  takeIdTokenTamper(): IdTokenTamper | undefined {
    return this.#take('idToken')?.tamper
  }

  takeAccessTokenTamper(): AccessTokenTamper | undefined {
    return this.#take('accessToken')?.tamper
  }

  takeDpopNonce(): boolean {
    return this.#take('dpopNonce') !== undefined
  }

  #take<K extends keyof Faults>(key: K): Faults[K] | undefined {
    const fault = this.#faults[key]
    if (!fault) return undefined
    if (fault.times !== undefined) {
      if (fault.times <= 1) delete this.#faults[key]
      else fault.times -= 1
    }
    return fault
  }
}
