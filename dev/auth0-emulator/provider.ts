import { decodeJwt } from 'jose'
import Provider, {
  errors,
  type AccessToken,
  type ClientCredentials,
  type ClientMetadata,
  type Configuration,
  type FindAccount,
  type KoaContextWithOIDC,
} from 'oidc-provider'

import { ORGANIZATIONS_CLAIM, subjectOf, type EmulatorClient, type EmulatorUser } from './config'
import { emulatorRoutes } from './routes'
import type { AuthorizationContext, EmulatorState } from './state'
import { errorPage, loggedOutPage, logoutConfirmPage } from './views'

export const ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  revocation: '/oauth/revoke',
  pushed_authorization_request: '/oauth/par',
  end_session: '/oidc/logout',
  jwks: '/.well-known/jwks.json',
} as const

/**
 * A Provider for the current keys. Everything stateful lives in `state`, so a new Provider can replace the
 * old one (key rotation) without losing sessions or tokens.
 */
export function buildProvider(state: EmulatorState): Provider {
  const provider = new Provider(state.issuer, configuration(state))
  // Auth0 puts `sid` in every ID token; oidc-provider only for clients registered for session-bound logout.
  Object.defineProperty(provider.Client.prototype, 'includeSid', { value: () => true })
  provider.on('server_error', (_ctx: unknown, error: Error) => state.log(`server error: ${error.stack}`))
  provider.on('backchannel.error', (_ctx: unknown, error: Error, client: { backchannelLogoutUri?: string }) =>
    state.log(`back-channel logout to ${client.backchannelLogoutUri} failed: ${error.message}`),
  )
  provider.use(emulatorRoutes(state, provider))
  return provider
}

function configuration(state: EmulatorState): Configuration {
  return {
    clients: state.clients.map(clientMetadata),
    jwks: state.keys.jwks,
    adapter: state.store.adapterFactory(),
    cookies: { keys: state.cookieKeys },
    routes: ROUTES,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    acrValues: [
      'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
      'http://schemas.openid.net/pape/policies/2007/06/phishing-resistant',
    ],
    claims: {
      acr: null,
      openid: ['sub', 'org_id', 'org_name', ORGANIZATIONS_CLAIM],
      profile: ['name', 'nickname', 'given_name', 'family_name', 'picture', 'updated_at'],
      email: ['email', 'email_verified'],
    },
    // Auth0 ID tokens carry the profile and email claims even when an access token is issued too.
    conformIdTokenClaims: false,
    clientAuthMethods: [
      'client_secret_basic',
      'client_secret_post',
      ...(state.privateKeyJwt ? (['private_key_jwt'] as const) : []),
    ],
    responseTypes: ['code'],
    // Auth0 makes PKCE optional for confidential clients; oidc-provider only offers S256 when it is used.
    pkce: { required: () => false },
    // Auth0's per-application "Rotation" setting (off for a new application).
    rotateRefreshToken: (ctx) => state.refreshTokensOf(ctx.oidc.client?.clientId).rotation,
    findAccount: findAccount(state),
    loadExistingGrant: (ctx) => grantForThisRequest(state, ctx),
    extraParams: {
      audience: null,
      connection: null,
      invitation: null,
      screen_hint: null,
      organization: (_ctx, value) => {
        if (typeof value === 'string' && !state.findOrganization(value)) {
          throw new errors.InvalidRequest(
            `parameter organization is invalid: no organization found for "${value}"`,
          )
        }
      },
      scope: keepOfflineAccess,
    },
    interactions: { url: (_ctx, interaction) => `/u/login/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      // RFC 9126; a client's `require_pushed_authorization_requests` refuses plain /authorize requests.
      pushedAuthorizationRequests: { enabled: state.pushedAuthorizationRequests },
      backchannelLogout: { enabled: true },
      dPoP: {
        enabled: state.dpop.enabled,
        nonceSecret: state.dpopNonceSecret,
        requireNonce: () => state.dpop.requireNonce,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html'
          ctx.body = logoutConfirmPage(form)
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html'
          ctx.body = loggedOutPage()
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, _client, oneOf) => defaultResource(state, ctx, oneOf),
        useGrantedResource: (_ctx, model) => Boolean(authorizationOf(state, model.grantId)?.audience),
        getResourceServerInfo: (_ctx, indicator) => {
          const api = state.findApi(indicator)
          if (!api) throw new errors.AccessDenied(`Service not found: ${indicator}`)
          return {
            scope: api.scopes.join(' '),
            audience: api.identifier,
            accessTokenTTL: state.ttl.accessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          }
        },
      },
    },
    formats: { customizers: { jwt: (ctx, token, jwt) => auth0AccessToken(state, ctx, token, jwt) } },
    ttl: {
      AccessToken: () => state.ttl.accessToken,
      AuthorizationCode: () => state.ttl.authorizationCode,
      IdToken: () => state.ttl.idToken,
      Interaction: () => 3600,
      Session: () => state.ttl.session,
      Grant: () => state.ttl.refreshToken,
      RefreshToken: (_ctx, token) => {
        const absoluteLeft = state.ttl.refreshToken - token.totalLifetime()
        return Math.max(1, Math.min(state.ttl.refreshTokenIdle, absoluteLeft))
      },
    },
    // oidc-provider's SSRF guard refuses loopback, which is exactly where the app's back-channel URI lives.
    fetch: (url, init) => {
      const { dispatcher: _guard, ...options } = (init ?? {}) as RequestInit & { dispatcher?: unknown }
      return fetch(url, options)
    },
    renderError: (ctx, out) => {
      ctx.type = 'html'
      ctx.body = errorPage(out.error, out.error_description)
    },
  }
}

function clientMetadata(client: EmulatorClient): ClientMetadata {
  const method = client.tokenEndpointAuthMethod ?? 'client_secret_post'
  return {
    client_id: client.clientId,
    // A private_key_jwt application has no secret: nothing a leaked secret could authenticate.
    ...(method === 'private_key_jwt' ? { jwks: client.jwks } : { client_secret: client.clientSecret }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.logoutUrls,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: method,
    ...(client.requirePushedAuthorizationRequests ? { require_pushed_authorization_requests: true } : {}),
    // Auth0 ID tokens always carry auth_time.
    require_auth_time: true,
    ...(client.dpopBoundAccessTokens ? { dpop_bound_access_tokens: true } : {}),
    ...(client.backchannelLogoutUri
      ? { backchannel_logout_uri: client.backchannelLogoutUri, backchannel_logout_session_required: true }
      : {}),
  }
}

export function profileClaims(state: EmulatorState, user: EmulatorUser) {
  return {
    sub: subjectOf(user),
    name: user.name,
    nickname: user.nickname ?? user.email.split('@')[0],
    given_name: user.givenName,
    family_name: user.familyName,
    picture: state.avatarUrl(user),
    // Auth0 sends an ISO date here, not the epoch seconds of OIDC Core.
    updated_at: state.startedAt,
    email: user.email,
    email_verified: user.emailVerified,
  }
}

function findAccount(state: EmulatorState): FindAccount {
  return async (ctx, sub, token) => {
    const user = state.findUserBySubject(sub)
    if (!user) return undefined
    const grantId = (token && 'grantId' in token ? token.grantId : undefined) ?? ctx.oidc.entities.Grant?.jti
    const organization = authorizationOf(state, grantId)?.organization
    const memberships = state.membershipsOf(sub).map((org) => ({
      id: org.id,
      name: org.name.toLowerCase(),
      ...(org.displayName ? { display_name: org.displayName } : {}),
    }))
    return {
      accountId: sub,
      claims: () => ({
        ...profileClaims(state, user),
        ...(organization ? { org_id: organization.id, org_name: organization.name.toLowerCase() } : {}),
        ...(memberships.length ? { [ORGANIZATIONS_CLAIM]: memberships } : {}),
      }),
    }
  }
}

function authorizationOf(state: EmulatorState, grantId: unknown): AuthorizationContext | undefined {
  return typeof grantId === 'string' ? state.authorizations.get(grantId) : undefined
}

const stringParam = (value: unknown) => (typeof value === 'string' && value ? value : undefined)

/**
 * Consent is never asked (Auth0 skips it for first-party apps): every authorization gets a fresh grant with
 * what it requested, which also keeps each login's refresh token family and organization apart.
 */
async function grantForThisRequest(state: EmulatorState, ctx: KoaContextWithOIDC) {
  const { oidc } = ctx
  const accountId = oidc.session?.accountId
  if (!accountId || !oidc.client) return undefined
  const organization = stringParam(oidc.params?.organization)
  const org = organization ? state.findOrganization(organization) : undefined
  // Auth0 adds an invited user to the organization; anyone else must already be a member, whether the login was
  // interactive (checked when it resumes) or silent (prompt=none answers at once).
  if (org && !stringParam(oidc.params?.invitation) && !state.isMember(org, accountId)) {
    throw new errors.AccessDenied(`user ${accountId} is not part of the ${org.id} organization`)
  }
  const grant = new oidc.provider.Grant({ accountId, clientId: oidc.client.clientId })
  grant.addOIDCScope(oidc.requestParamOIDCScopes)
  grant.addOIDCClaims(oidc.requestParamClaims)
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    grant.addResourceScope(
      indicator,
      [...oidc.requestParamScopes].filter((scope) => server.scopes.has(scope)),
    )
  }
  const grantId = await grant.save()
  state.authorizations.set(grantId, {
    audience: stringParam(oidc.params?.audience),
    organization: org,
    connection: stringParam(oidc.params?.connection),
    invitation: stringParam(oidc.params?.invitation),
  })
  return grant
}

/**
 * Every login is authorized for all configured APIs (Auth0's multi-resource refresh tokens); `audience` comes
 * first and decides the access token of the code exchange.
 */
function defaultResource(state: EmulatorState, ctx: KoaContextWithOIDC, oneOf?: readonly string[]) {
  if (oneOf) {
    const audience = authorizationOf(state, ctx.oidc.entities.Grant?.jti)?.audience
    return audience && oneOf.includes(audience) ? audience : (undefined as unknown as string)
  }
  const audience = stringParam(ctx.oidc.params?.audience)
  const others = state.apis.map((api) => api.identifier).filter((identifier) => identifier !== audience)
  return audience ? [audience, ...others] : others
}

/**
 * oidc-provider drops `offline_access` unless `prompt=consent` (OIDC Core 11); Auth0 issues a refresh token
 * for it anyway. Validators run after oidc-provider's scope checks, so the scope is restored here.
 */
function keepOfflineAccess(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx
  // A pushed request (RFC 9126) brings its parameters in the stored request object, not in the query.
  const pushed = (oidc.entities as { PushedAuthorizationRequest?: { request?: string } })
    .PushedAuthorizationRequest?.request
  const raw = pushed
    ? decodeJwt(pushed).scope
    : ctx.method === 'POST'
      ? (oidc.body as Record<string, unknown> | undefined)?.scope
      : ctx.query.scope
  const requested = typeof raw === 'string' ? raw.split(' ') : []
  const scope = stringParam(oidc.params?.scope)?.split(' ') ?? []
  if (requested.includes('offline_access') && !scope.includes('offline_access')) {
    if (oidc.client?.grantTypeAllowed('refresh_token')) {
      oidc.params!.scope = [...scope, 'offline_access'].join(' ')
    }
  }
}

type JwtStructure = { header?: Record<string, unknown>; payload: Record<string, unknown> }

/**
 * Auth0's access token shape: typ JWT, azp, every granted scope (OIDC ones too) and, when openid was
 * requested, `<issuer>userinfo` in aud.
 */
async function auth0AccessToken(
  state: EmulatorState,
  ctx: KoaContextWithOIDC,
  token: AccessToken | ClientCredentials,
  jwt: JwtStructure,
) {
  const { payload } = jwt
  jwt.header = { typ: 'JWT' }
  payload.azp = payload.client_id
  delete payload.client_id
  const { Grant: grant, AuthorizationCode: code, RefreshToken: refreshToken } = ctx.oidc.entities
  const requested = ctx.oidc.params?.scope ? ctx.oidc.requestParamScopes : (code ?? refreshToken)?.scopes
  const oidcScope = grant && requested ? grant.getOIDCScopeFiltered(requested) : ''
  payload.scope = [oidcScope, payload.scope].filter(Boolean).join(' ')
  if (!oidcScope.split(' ').includes('openid') || !('accountId' in token) || !ctx.oidc.client) return
  payload.aud = [...[payload.aud].flat(), `${state.issuer}userinfo`]
  const twin = new ctx.oidc.provider.AccessToken({
    accountId: token.accountId,
    client: ctx.oidc.client,
    grantId: token.grantId,
    gty: token.gty,
    scope: oidcScope,
    claims: token.claims,
    sid: token.sid,
    sessionUid: token.sessionUid,
  })
  state.userinfoTwins.set(String(payload.jti), await twin.save())
}
