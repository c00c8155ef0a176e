import type { SessionStorage } from '@remix-run/node'
import { jwtVerify } from 'jose'
import type { Issuer } from './client.server'
import {
  isLogoutTokenReplayStore,
  isSessionRevocationStore,
  type LogoutTokenReplayStore,
  type SessionDenyList,
  type SessionRevocationStore,
} from './store'

const logoutEvent = 'http://schemas.openid.net/event/backchannel-logout'

/** Where the sessions a logout token names are ended. */
interface LogoutTargets {
  /** Server strategy: the store deletes the rows. */
  store?: SessionStorage
  /** Browser strategy: the sessions are listed as ended, for this long (the longest a cookie stays valid). */
  denyList?: SessionDenyList
  denyForMs: number
}

/**
 * OpenID Connect Back-Channel Logout 1.0, section 2.6: the RP validates the logout token and ends the sessions
 * it names. Answers 200 on success and 400 `invalid_request` otherwise (before anything else, so a forged token
 * is called invalid whatever the app can do), 501 for a valid token the app has no way to act on; never cached.
 */
export class BackchannelLogout {
  /** Logout tokens already used (jti → expiry), when the store cannot remember them for the whole cluster. */
  private readonly seen = new Map<string, number>()

  constructor(
    private readonly issuer: Issuer,
    private readonly clientID: string,
    private readonly clockToleranceSeconds: number,
    /** The authenticator's clock (`Auth0RemixServerOptions.now`). */
    private readonly now: () => number,
  ) {}

  async handle(request: Request, targets: LogoutTargets): Promise<Response> {
    if (request.method !== 'POST') return reply(405, 'invalid_request', 'POST only')
    const { store, denyList } = targets
    const rows: SessionRevocationStore | undefined =
      store && isSessionRevocationStore(store) ? store : undefined
    const form = await readForm(request)
    const token = form?.get('logout_token')
    if (!token) return reply(400, 'invalid_request', 'logout_token is required')
    let claims
    try {
      ;({ payload: claims } = await jwtVerify(token, this.issuer.jwks(), {
        issuer: this.issuer.url.href,
        audience: this.clientID,
        algorithms: ['RS256'],
        clockTolerance: this.clockToleranceSeconds,
        currentDate: new Date(this.now()),
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: '5 minutes',
      }))
    } catch {
      return reply(400, 'invalid_request', 'Invalid logout token')
    }
    const events = claims.events as Record<string, unknown> | undefined
    const sub = typeof claims.sub === 'string' ? claims.sub : undefined
    const sid = typeof claims.sid === 'string' ? claims.sid : undefined
    if (!events || typeof events[logoutEvent] !== 'object')
      return reply(400, 'invalid_request', 'Missing logout event')
    if ('nonce' in claims) return reply(400, 'invalid_request', 'A logout token must not carry a nonce')
    if (!sub && !sid) return reply(400, 'invalid_request', 'A logout token needs sub or sid')
    if (!rows && !denyList) return reply(501, 'not_supported', 'No store can end these sessions')
    const expiresAt = new Date((claims.exp ?? (claims.iat ?? 0) + 300) * 1000)
    const replays = ([store, denyList] as Array<object | undefined>).find(
      (candidate): candidate is LogoutTokenReplayStore => !!candidate && isLogoutTokenReplayStore(candidate),
    )
    const firstUse = replays
      ? await replays.useLogoutToken(claims.jti!, expiresAt)
      : this.firstUseInProcess(claims.jti!, expiresAt)
    if (!firstUse) {
      return reply(400, 'invalid_request', 'Logout token replayed')
    }
    await rows?.revokeSessions(sid ? { sid } : { sub })
    // Without a sid only the sessions that began before the token are ended: a later login must still work. `iat`
    // has whole seconds, so "before" is "before it arrived" (or its iat, should our clock be behind).
    const now = this.now()
    const deniedUntil = new Date(now + targets.denyForMs)
    await denyList?.denySessions(
      sid
        ? { sid, expiresAt: deniedUntil }
        : { sub, issuedBefore: new Date(Math.max(now, claims.iat! * 1000)), expiresAt: deniedUntil },
    )
    return new Response(null, { status: 200, headers: { 'Cache-Control': 'no-store' } })
  }

  private firstUseInProcess(jti: string, expiresAt: Date): boolean {
    const now = this.now()
    for (const [key, expiry] of this.seen) if (expiry < now) this.seen.delete(key)
    if (this.seen.has(jti)) return false
    this.seen.set(jti, expiresAt.getTime())
    return true
  }
}

async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  if (!(request.headers.get('Content-Type') ?? '').startsWith('application/x-www-form-urlencoded'))
    return undefined
  const body = await request.text().catch(() => '')
  return body.length > 16 * 1024 ? undefined : new URLSearchParams(body)
}

function reply(status: number, error: string, description: string): Response {
  return Response.json(
    { error, error_description: description },
    { status, headers: { 'Cache-Control': 'no-store' } },
  )
}
