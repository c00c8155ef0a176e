import { timingSafeEqual } from 'node:crypto'
import { readCookies, serializeCookie, type CookieAttributes } from './secrets.server'
import type { Sealer } from './secrets.server'

/** What a login must remember between /authorize and the callback. */
export interface LoginTransaction {
  state: string
  nonce: string
  codeVerifier: string
  /** Exactly the redirect_uri sent to /authorize; the token request must repeat it. */
  redirectUri: string
  returnTo?: string
  organization?: string
  maxAge?: number
  acrValues?: string
  /** Started by `switchOrganization`: its failures go back to `returnTo` or to the login page, never elsewhere. */
  organizationSwitch?: boolean
  createdAt: number
}

const prefix = '__a0tx_'
const lifetimeSeconds = 10 * 60
/** Parallel logins (several tabs) each keep their own cookie; beyond this many the oldest are dropped. */
const maxParallel = 3
const heldName = '__a0cb'
const heldLifetimeSeconds = 120
/** The authorization response (RFC 6749 4.1.2, RFC 9207 `iss`); nothing else of a form_post body is kept. */
const heldParameterNames = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss']
/** Browsers drop a cookie over 4096 bytes silently; refuse instead, so the failure has a name. */
const maxCookieBytes = 4000

/**
 * One encrypted, short-lived cookie per login, named after its state. With form_post the callback is a cross-site
 * POST, which only carries `SameSite=None; Secure` cookies (browsers accept Secure on http://localhost).
 */
export class TransactionStore {
  constructor(
    private readonly sealer: Sealer,
    /** `now`: the authenticator's clock (`Auth0RemixServerOptions.now`). */
    private readonly options: { formPost: boolean; secure: boolean; now: () => number },
  ) {}

  private attributes(maxAge: number): CookieAttributes {
    const crossSite = this.options.formPost
    return {
      maxAge,
      path: '/',
      sameSite: crossSite ? 'None' : 'Lax',
      secure: crossSite || this.options.secure,
    }
  }

  private static cookieName(state: string): string {
    return prefix + state.slice(0, 16)
  }

  /** Set-Cookie values that start a login and expire the oldest pending ones beyond the limit. */
  async begin(request: Request, transaction: LoginTransaction): Promise<string[]> {
    const pending = await this.pending(request)
    const stale = pending
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(maxParallel - 1)
      .map((entry) => serializeCookie(entry.name, '', this.attributes(0)))
    const sealed = await this.sealer.seal(transaction)
    return [
      ...stale,
      serializeCookie(
        TransactionStore.cookieName(transaction.state),
        sealed,
        this.attributes(lifetimeSeconds),
      ),
    ]
  }

  /**
   * The transaction whose state matches the callback's, and the Set-Cookie that deletes it. A missing, expired,
   * undecryptable or mismatching cookie gives no transaction (the callback then fails with invalid_state).
   */
  async take(request: Request, state: string): Promise<{ transaction?: LoginTransaction; clear?: string }> {
    const name = TransactionStore.cookieName(state)
    const sealed = readCookies(request).get(name)
    if (!sealed) return {}
    const clear = serializeCookie(name, '', this.attributes(0))
    const transaction = await this.sealer.unseal<LoginTransaction>(sealed)
    const fresh = transaction && this.options.now() - transaction.createdAt < lifetimeSeconds * 1000
    if (!fresh || !sameString(transaction.state, state)) return { clear }
    return { transaction, clear }
  }

  /**
   * form_post delivers the callback as a cross-site POST, which carries no SameSite=Lax session cookie. The
   * response is held in a short-lived cookie and the browser is sent to the callback again with a GET (a top-level
   * navigation: Lax cookies flow), where the login completes with the pre-login session in hand. The code never
   * appears in a URL.
   */
  async hold(parameters: URLSearchParams): Promise<string | undefined> {
    const kept = new URLSearchParams([...parameters].filter(([name]) => heldParameterNames.includes(name)))
    const sealed = await this.sealer.seal({ parameters: kept.toString(), createdAt: this.options.now() })
    const cookie = serializeCookie(heldName, sealed, {
      maxAge: heldLifetimeSeconds,
      path: '/',
      sameSite: 'Lax',
      secure: this.options.secure,
    })
    return cookie.length <= maxCookieBytes ? cookie : undefined
  }

  /** True while a held callback waits for its GET (it should be taken within a second of being set). */
  holds(request: Request): boolean {
    return readCookies(request).has(heldName)
  }

  async takeHeld(request: Request): Promise<{ parameters?: URLSearchParams; clear?: string }> {
    const sealed = readCookies(request).get(heldName)
    if (!sealed) return {}
    const clear = serializeCookie(heldName, '', {
      maxAge: 0,
      path: '/',
      sameSite: 'Lax',
      secure: this.options.secure,
    })
    const held = await this.sealer.unseal<{ parameters: string; createdAt: number }>(sealed)
    if (!held || this.options.now() - held.createdAt > heldLifetimeSeconds * 1000) return { clear }
    return { parameters: new URLSearchParams(held.parameters), clear }
  }

  private async pending(request: Request): Promise<Array<{ name: string; createdAt: number }>> {
    const entries = [...readCookies(request)].filter(([name]) => name.startsWith(prefix)).slice(0, 20)
    return Promise.all(
      entries.map(async ([name, sealed]) => ({
        name,
        createdAt: (await this.sealer.unseal<LoginTransaction>(sealed))?.createdAt ?? 0,
      })),
    )
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
