import { AccessTokens } from './access-token.server'
import { BackchannelLogout } from './backchannel.server'
import { Issuer, OAuthClient } from './client.server'
import { DPoPKeys } from './dpop.server'
import { ConfigurationError, warnTo, type Warn } from './errors'
import { LoginFlow } from './login.server'
import {
  clientAssertionSigningAlgs,
  defaultAbsoluteSessionLifetimeSeconds,
  SessionStrategy,
  type Auth0RemixServerOptions,
} from './options'
import { OrganizationSwitching } from './organization.server'
import { isSecureContext } from './origins'
import { TokenRefresher } from './refresh.server'
import { RequestSessions } from './request-session.server'
import { Sealer } from './secrets.server'
import { SessionManager } from './session.server'
import { TokenVerifier } from './tokens.server'
import { TransactionStore } from './transaction.server'

/** The parts of one `Auth0RemixServer`, built once from its options; each is handed only what it calls. */
export interface Steps {
  issuer: Issuer
  client: OAuthClient
  verifier: TokenVerifier
  login: LoginFlow
  sessions: SessionManager | null
  requests: RequestSessions
  tokens: AccessTokens
  organizations: OrganizationSwitching
  backchannel: BackchannelLogout
  appOrigin: string
  /** The one clock of this instance (`options.now`), handed to every part that reads the time. */
  now: () => number
  warn: Warn
  /** How long a deny-list entry must last: as long as the longest session it could end. */
  denyForMs: number
}

/** Checks the options that need no network and builds the steps from them (the facade's constructor). */
export function configure(options: Auth0RemixServerOptions): Steps {
  const { clientDetails } = options
  for (const name of ['domain', 'clientID'] as const) {
    if (!clientDetails?.[name]) throw new TypeError(`Auth0RemixServer: clientDetails.${name} is required`)
  }
  checkClientAuthentication(options)
  const callback = new URL(options.callbackURL)
  const appOrigin = callback.origin
  const timeoutMs = options.timeoutMs ?? 5000
  const clockToleranceSeconds = options.clockToleranceSeconds ?? 30
  const now = options.now ?? Date.now
  const warn = warnTo(options.logger ?? console)
  const issuer = new Issuer({ domain: clientDetails.domain, timeoutMs, now })
  const client = new OAuthClient(issuer, {
    ...clientDetails,
    pushedAuthorizationRequests: options.pushedAuthorizationRequests,
    clockToleranceSeconds,
    now,
  })
  const verifier = new TokenVerifier({
    issuer,
    clientID: clientDetails.clientID,
    audience: clientDetails.audience,
    clockToleranceSeconds,
    now,
  })
  const secrets = options.secrets?.length ? options.secrets : [clientDetails.clientSecret!]
  let dpop: DPoPKeys | undefined
  if (options.useDPoP) {
    if ((options.session?.strategy ?? SessionStrategy.Browser) !== SessionStrategy.Server) {
      // Without a session the key would have to travel to the app, in a cookie or elsewhere: refused outright.
      throw new TypeError(
        'Auth0RemixServer: useDPoP needs session.strategy SessionStrategy.Server (the DPoP private key is kept ' +
          'in the server-side session, never in a cookie or outside the library)',
      )
    }
    dpop = new DPoPKeys(new Sealer(secrets, 'dpop key'), client.metadata)
  }
  const formPost = clientDetails.usePost !== false && isSecureContext(callback)
  if (clientDetails.usePost !== false && !formPost) {
    // form_post needs a SameSite=None cookie, which must be Secure: on plain http (a LAN address, a container
    // name) the browser drops it and every login would end in invalid_state.
    ;(options.logger ?? console).warn(
      `[auth0-remix-server] form_post needs https (or localhost); ${callback.origin} uses response_mode=query`,
    )
  }
  const login = new LoginFlow({
    client: client,
    transactions: new TransactionStore(new Sealer(secrets, 'login transaction'), {
      formPost,
      secure: callback.protocol === 'https:',
      now,
    }),
    verifier: verifier,
    clientDetails: { ...clientDetails, usePost: formPost },
    callbackURL: options.callbackURL,
    absoluteSessionLifetimeSeconds: options.absoluteSessionLifetimeSeconds,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds,
    dpop,
    now,
  })
  const sessions = options.session
    ? new SessionManager({
        store: options.session.store,
        key: options.session.key ?? 'user',
        strategy: options.session.strategy ?? SessionStrategy.Browser,
      })
    : null
  const refresher = sessions
    ? new TokenRefresher({
        client: client,
        sessions: sessions,
        verifier: verifier,
        credentialsCallback: options.credentialsCallback,
        warn: warn,
        leaseTtlMs: options.refreshLease?.ttlMs ?? 15_000,
        leaseWaitMs: options.refreshLease?.waitMs ?? 10_000,
        rotation: options.refreshTokenRotationEnabled,
        dpop,
        now,
      })
    : null
  const requests = new RequestSessions({
    sessions: sessions,
    refresher,
    login: login,
    denyList: options.session?.denyList,
    dpop: Boolean(dpop),
    refreshLeewaySeconds: options.refreshLeewaySeconds,
    loginURL: options.loginURL,
    logger: options.logger ?? console,
    warn: warn,
    now,
  })
  const tokens = new AccessTokens({
    requests: requests,
    refresher,
    client: client,
    audience: clientDetails.audience,
    dpop,
    profileCache: options,
    warn: warn,
    now,
  })
  const organizations = new OrganizationSwitching({
    appOrigin: appOrigin,
    login: login,
    requests: requests,
    sessions: sessions,
    loginURL: options.loginURL,
  })
  const denyForMs = (options.absoluteSessionLifetimeSeconds ?? defaultAbsoluteSessionLifetimeSeconds) * 1000
  const backchannel = new BackchannelLogout(issuer, clientDetails.clientID, clockToleranceSeconds, now)
  return {
    issuer,
    client,
    verifier,
    login,
    sessions,
    requests,
    tokens,
    organizations,
    backchannel,
    appOrigin,
    now,
    warn,
    denyForMs,
  }
}

/** Exactly one client authentication; a signing key cannot stand in for the transaction-cookie secrets. */
export function checkClientAuthentication(options: Auth0RemixServerOptions): void {
  const { clientSecret, clientAssertionSigningKey, clientAssertionSigningAlg } = options.clientDetails
  if (Boolean(clientSecret) === Boolean(clientAssertionSigningKey)) {
    throw new TypeError(
      'Auth0RemixServer: give exactly one of clientDetails.clientSecret and clientDetails.clientAssertionSigningKey',
    )
  }
  if (clientAssertionSigningKey && !options.secrets?.length) {
    throw new TypeError(
      'Auth0RemixServer: secrets is required with clientDetails.clientAssertionSigningKey (without a client secret there is nothing to derive the login-transaction cookie secret from)',
    )
  }
  if (
    clientAssertionSigningAlg !== undefined &&
    !(clientAssertionSigningAlgs as readonly string[]).includes(clientAssertionSigningAlg)
  ) {
    throw new TypeError(
      `Auth0RemixServer: clientDetails.clientAssertionSigningAlg must be one of ${clientAssertionSigningAlgs.join(', ')}`,
    )
  }
}

/** The options against the tenant's discovery document (see `Auth0RemixServer.checkConfiguration`). */
export async function checkConfiguration(
  issuer: Issuer,
  client: OAuthClient,
  options: Pick<Auth0RemixServerOptions, 'pushedAuthorizationRequests'>,
): Promise<void> {
  const as = await issuer.authorizationServer()
  if (options.pushedAuthorizationRequests && !as.pushed_authorization_request_endpoint) {
    throw new ConfigurationError(
      'pushedAuthorizationRequests',
      `pushedAuthorizationRequests is on, but ${issuer.url.origin} offers no pushed_authorization_request_endpoint (enable PAR for the tenant)`,
    )
  }
  if (client.usesPrivateKeyJwt) {
    const methods = as.token_endpoint_auth_methods_supported
    if (!methods?.includes('private_key_jwt')) {
      throw new ConfigurationError(
        'clientDetails.clientAssertionSigningKey',
        `clientDetails.clientAssertionSigningKey is set, but ${issuer.url.origin} does not accept private_key_jwt (token_endpoint_auth_methods_supported: ${methods?.join(', ') ?? 'none'})`,
      )
    }
    await client.clientAuth()
  }
}
