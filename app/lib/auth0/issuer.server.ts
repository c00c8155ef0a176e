import * as oauth from 'oauth4webapi'
import { createRemoteJWKSet } from 'jose'
import { AuthError, AuthErrorCode } from './errors'
import { isLoopbackHost } from './origins'

interface IssuerOptions {
  /** `tenant.us.auth0.com`, `https://tenant.us.auth0.com` or, for the local emulator, `http://127.0.0.1:3334`. */
  domain: string
  /** Milliseconds before a call to Auth0 is abandoned. */
  timeoutMs: number
  /** How long discovery metadata is trusted before it is fetched again. */
  metadataMaxAgeMs?: number
  /** The authenticator's clock (`Auth0RemixServerOptions.now`). */
  now: () => number
}

/** Auth0's issuer is the tenant origin with a trailing slash; plain http is allowed only on loopback. */
export function issuerFromDomain(domain: string): URL {
  const withScheme = /^https?:\/\//i.test(domain) ? domain : `https://${domain}`
  const url = new URL(withScheme)
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(`Auth0 domain must use https (got ${url.origin})`)
  }
  return new URL(`${url.origin}/`)
}

/**
 * The authorization server's metadata (discovery, cached) and its key set (jose's remote JWKS: cached, refetched
 * once on an unknown `kid`, so key rotation needs no restart).
 */
export class Issuer {
  readonly url: URL
  readonly insecure: boolean
  private metadata?: { value: oauth.AuthorizationServer; fetchedAt: number }
  private pending?: Promise<oauth.AuthorizationServer>
  private keySet?: ReturnType<typeof createRemoteJWKSet>

  constructor(private readonly options: IssuerOptions) {
    this.url = issuerFromDomain(options.domain)
    this.insecure = this.url.protocol === 'http:'
  }

  /** Options every oauth4webapi HTTP call gets: a timeout, and http permission for a loopback emulator. */
  httpOptions(): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean } {
    return {
      signal: AbortSignal.timeout(this.options.timeoutMs),
      [oauth.allowInsecureRequests]: this.insecure,
    }
  }

  async authorizationServer(): Promise<oauth.AuthorizationServer> {
    const maxAge = this.options.metadataMaxAgeMs ?? 60 * 60 * 1000
    if (this.metadata && this.options.now() - this.metadata.fetchedAt < maxAge) return this.metadata.value
    this.pending ??= this.discover().finally(() => (this.pending = undefined))
    try {
      return await this.pending
    } catch (error) {
      // A stale copy beats an outage: Auth0's metadata hardly ever changes.
      if (this.metadata) return this.metadata.value
      throw error
    }
  }

  /** jose times its key-set cache and refetch cooldown with the real clock (it takes no clock of ours). */
  jwks(): ReturnType<typeof createRemoteJWKSet> {
    this.keySet ??= createRemoteJWKSet(new URL('.well-known/jwks.json', this.url), {
      timeoutDuration: this.options.timeoutMs,
      // An unknown kid refetches the key set at most this often (key rotation vs. random-kid floods).
      cooldownDuration: 5_000,
      cacheMaxAge: 10 * 60_000,
    })
    return this.keySet
  }

  private async discover(): Promise<oauth.AuthorizationServer> {
    try {
      const response = await oauth.discoveryRequest(this.url, { ...this.httpOptions(), algorithm: 'oidc' })
      const value = await oauth.processDiscoveryResponse(this.url, response)
      this.metadata = { value, fetchedAt: this.options.now() }
      return value
    } catch (error) {
      throw new AuthError(AuthErrorCode.auth0Down, 'Auth0 discovery failed', { cause: error })
    }
  }
}
