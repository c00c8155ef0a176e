import { redirect } from '@remix-run/node'
import * as oauth from 'oauth4webapi'
import { credentialsFrom, type OAuthClient, type TokenSet } from './client.server'
import type { DPoPKeys } from './dpop.server'
import { AuthError, AuthErrorCode, safeErrorCode } from './errors'
import { defaultAbsoluteSessionLifetimeSeconds, type AuthorizeOptions, type ClientDetails } from './options'
import { safeRedirect } from './origins'
import type { AuthSession } from './session.server'
import type { TokenVerifier } from './tokens.server'
import type { LoginTransaction, TransactionStore } from './transaction.server'
import { claimsToKeep, userFromClaims, type IdTokenClaims, type UserProfile } from './session.server'

interface LoginFlowOptions {
  client: OAuthClient
  transactions: TransactionStore
  verifier: TokenVerifier
  clientDetails: ClientDetails
  callbackURL: string
  absoluteSessionLifetimeSeconds?: number
  refreshTokenLifetimeSeconds?: number
  /** `useDPoP`: each login gets its own key pair, made before the code exchange. */
  dpop?: DPoPKeys
  /** The authenticator's clock (`Auth0RemixServerOptions.now`). */
  now: () => number
}

const defaultScope = 'openid profile email offline_access'

/**
 * The login itself: the /authorize redirect (state, nonce, PKCE S256 in a transaction cookie) and the callback
 * (state check, code exchange, ID token validation). Sessions are the caller's business.
 */
export class LoginFlow {
  constructor(private readonly options: LoginFlowOptions) {}

  /** The redirect to Auth0's /authorize, with the transaction cookie. */
  async start(
    request: Request,
    options: AuthorizeOptions,
    flags: { organizationSwitch?: boolean } = {},
  ): Promise<Response> {
    if (options.silentAuth && options.forceLogin) {
      throw new TypeError('authorize(): silentAuth cannot be combined with forceLogin')
    }
    const { clientDetails } = this.options
    const redirectUri = new URL(this.options.callbackURL)
    for (const [name, value] of Object.entries(options.callbackParams ?? {}))
      redirectUri.searchParams.set(name, value)
    const transaction: LoginTransaction = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      codeVerifier: oauth.generateRandomCodeVerifier(),
      redirectUri: redirectUri.href,
      returnTo: options.returnTo ? safeRedirect(options.returnTo, '') || undefined : undefined,
      organization: options.organization ?? clientDetails.organization,
      maxAge: options.maxAge,
      acrValues: options.acrValues,
      organizationSwitch: flags.organizationSwitch || undefined,
      createdAt: this.options.now(),
    }
    // prompt=none shows no page at all, so a sign-up hint would be meaningless next to it.
    const prompt = options.silentAuth ? 'none' : options.forceLogin ? 'login' : undefined
    const url = await this.options.client.authorizationUrl({
      client_id: clientDetails.clientID,
      response_type: 'code',
      redirect_uri: transaction.redirectUri,
      response_mode: clientDetails.usePost === false ? 'query' : 'form_post',
      scope: options.scope ?? clientDetails.scope ?? defaultScope,
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(transaction.codeVerifier),
      code_challenge_method: 'S256',
      audience: options.audience ?? clientDetails.audience,
      organization: transaction.organization,
      invitation: options.invitation,
      connection: options.connection,
      prompt,
      screen_hint: options.forceSignup && !options.silentAuth ? 'signup' : undefined,
      max_age: options.maxAge === undefined ? undefined : String(options.maxAge),
      acr_values: options.acrValues,
      login_hint: options.loginHint,
    })
    const headers = new Headers()
    for (const cookie of await this.options.transactions.begin(request, transaction))
      headers.append('Set-Cookie', cookie)
    return redirect(url.href, { headers })
  }

  /** See `TransactionStore.hold`: turns the cross-site form_post into a same-site GET of the callback. */
  async holdFormPost(request: Request): Promise<Response> {
    const parameters = await formPostParameters(request)
    const url = new URL(request.url)
    // The query is kept for `callbackParams`; bounded so that the response stays within what proxies accept.
    const target = url.pathname + url.search
    const held = target.length <= maxCallbackUrlLength && (await this.options.transactions.hold(parameters))
    if (!held) throw new AuthError(AuthErrorCode.invalidRequest, 'The callback is too large to hold')
    const headers = new Headers({ 'Cache-Control': 'no-store', 'Set-Cookie': held })
    return redirect(target, { status: 303, headers })
  }

  /** A form_post answer was held but its GET never reached `handleCallback` (see `holdFormPost`). */
  unfinishedFormPost(request: Request): boolean {
    return this.options.transactions.holds(request)
  }

  /**
   * The callback without any session handling: for apps that store credentials themselves. Throws an
   * `AuthError` (with `setCookies` that clear the transaction cookie) on failure.
   */
  async complete(request: Request): Promise<CallbackResult & { organizationSwitch?: OrganizationSwitch }> {
    const setCookies: string[] = []
    let organizationSwitch: OrganizationSwitch | undefined
    try {
      const parameters = await this.callbackParameters(request, setCookies)
      const state = parameters.get('state')
      if (!state) {
        const error = parameters.get('error')
        throw new AuthError(
          error ? safeErrorCode(error) : AuthErrorCode.missingState,
          'The callback has no state',
        )
      }
      const { transaction, clear } = await this.options.transactions.take(request, state)
      if (clear) setCookies.push(clear)
      if (!transaction)
        throw new AuthError(AuthErrorCode.invalidState, 'No login transaction matches this state')
      // Only a transaction of ours (its state matched) can say where a failed switch goes back to.
      if (transaction.organizationSwitch && transaction.organization)
        organizationSwitch = { organization: transaction.organization, returnTo: transaction.returnTo }
      const key = await this.options.dpop?.create()
      const tokens = await this.options.client.exchangeCode(parameters, transaction, key?.handle)
      const session = await this.sessionFromTokens(tokens, transaction)
      if (key) session.dpopKey = key.sealed
      const user = userFromClaims(session.claims)
      return { session, user, returnTo: transaction.returnTo, setCookies, organizationSwitch }
    } catch (error) {
      const failure =
        error instanceof AuthError ? error : new AuthError(AuthErrorCode.unknown, 'Login failed')
      throw Object.assign(failure, { setCookies, organizationSwitch })
    }
  }

  /** The authorization response: the query (response_mode=query), a held form_post, or a form body. */
  private async callbackParameters(request: Request, setCookies: string[]): Promise<URLSearchParams> {
    if (request.method === 'POST') return formPostParameters(request)
    const query = new URL(request.url).searchParams
    const held = await this.options.transactions.takeHeld(request)
    if (held.clear) setCookies.push(held.clear)
    if (query.has('state') || query.has('code') || query.has('error') || !held.parameters) return query
    return held.parameters
  }

  private async sessionFromTokens(tokens: TokenSet, transaction: LoginTransaction): Promise<AuthSession> {
    const idToken = tokens.response.id_token
    if (!idToken || !tokens.idTokenClaims) throw new AuthError(AuthErrorCode.idTokenInvalid, 'No ID token')
    const claims = claimsToKeep(
      await this.options.verifier.verifyIdToken(idToken, {
        nonce: transaction.nonce,
        maxAgeSeconds: transaction.maxAge,
      }),
    )
    if (transaction.organization && !organizationMatches(claims, transaction.organization)) {
      throw new AuthError(AuthErrorCode.orgMismatch, 'The ID token is for another organization')
    }
    if (transaction.acrValues && claims.acr === undefined) {
      throw new AuthError(AuthErrorCode.idTokenInvalid, 'The ID token lacks the requested acr')
    }
    const now = this.options.now()
    // A session cannot outlive the refresh token that keeps it alive (Auth0's absolute refresh-token lifetime).
    const refreshTokenLifetime = Number(tokens.response.refresh_token_expires_in ?? Infinity)
    const lifetime =
      Math.min(
        this.options.absoluteSessionLifetimeSeconds ?? defaultAbsoluteSessionLifetimeSeconds,
        this.options.refreshTokenLifetimeSeconds ?? Infinity,
        Number.isFinite(refreshTokenLifetime) && refreshTokenLifetime > 0 ? refreshTokenLifetime : Infinity,
      ) * 1000
    return {
      sub: claims.sub,
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
      claims,
      credentials: credentialsFrom(tokens.response, undefined, now),
      issuedAt: now,
      authenticatedAt: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : now,
      expiresAt: now + lifetime,
    }
  }
}

export interface CallbackResult {
  session: AuthSession
  user: UserProfile
  returnTo?: string
  /** Clears the login-transaction cookie. */
  setCookies: string[]
}

/** What the callback of a `switchOrganization` login needs to know about it. */
export interface OrganizationSwitch {
  organization: string
  returnTo?: string
}

const maxCallbackBodyBytes = 64 * 1024
const maxCallbackUrlLength = 2048

/** A form_post body, bounded: the callback is reachable by anyone and must never be a cheap way to load us. */
async function formPostParameters(request: Request): Promise<URLSearchParams> {
  const length = Number(request.headers.get('Content-Length') ?? 0)
  const type = request.headers.get('Content-Type') ?? ''
  if (length > maxCallbackBodyBytes || !type.startsWith('application/x-www-form-urlencoded')) {
    throw new AuthError(AuthErrorCode.invalidRequest, 'Unexpected callback body')
  }
  const body = await request.text().catch(() => '')
  if (body.length > maxCallbackBodyBytes)
    throw new AuthError(AuthErrorCode.invalidRequest, 'Callback body too large')
  return new URLSearchParams(body)
}

function organizationMatches(claims: IdTokenClaims, organization: string): boolean {
  return organization.startsWith('org_')
    ? claims.org_id === organization
    : claims.org_name === organization.toLowerCase()
}
