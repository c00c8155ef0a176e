import { redirect } from '@remix-run/node'
import { AuthError, AuthErrorCode, safeErrorCode } from './errors'
import type { CallbackResult, LoginFlow, OrganizationSwitch } from './login.server'
import { assertSameOriginPost } from './logout.server'
import type { HandleCallbackOptions } from './options'
import { safeRedirect, withQuery } from './origins'
import type { RequestSessions } from './request-session.server'
import type { SessionManager } from './session.server'

/** Auth0's answers to prompt=none that an interactive login would resolve (OIDC Core 3.1.2.6). */
const interactionNeeded = new Set(['login_required', 'interaction_required', 'consent_required'])

interface OrganizationSwitchingOptions {
  appOrigin: string
  login: LoginFlow
  requests: RequestSessions
  sessions: SessionManager | null
  loginURL?: string
}

/** Moving the signed-in user to another of their organizations: a silent login whose callback keeps the user. */
export class OrganizationSwitching {
  constructor(private readonly options: OrganizationSwitchingOptions) {}

  /** Starts the switch (see `Auth0RemixServer.switchOrganization`); always throws a response. */
  async start(request: Request, organization: string, options: { returnTo?: string | null }): Promise<never> {
    const { requests, login, loginURL } = this.options
    assertSameOriginPost(request, this.options.appOrigin)
    if (typeof organization !== 'string' || !/^[\w-]{1,100}$/.test(organization)) {
      throw new Response('Bad Request: organization', {
        status: 400,
        headers: { 'Cache-Control': 'no-store' },
      })
    }
    const returnTo = safeRedirect(options.returnTo, '') || undefined
    const { auth } = await requests.resolve(request)
    if (!auth) {
      // Nobody to switch: an ordinary login into that organization, coming back to the same page.
      const query: Record<string, string> = { organization }
      if (returnTo) query.returnTo = returnTo
      throw redirect(withQuery(loginURL ?? '/login', query))
    }
    const started = await login.start(
      request,
      { silentAuth: true, organization, returnTo },
      { organizationSwitch: true },
    )
    // Reading the session may have refreshed it (Browser strategy: a new cookie that must not be lost).
    requests.applyHeaders(request, request, started.headers)
    throw started
  }

  /** Auth0's session may belong to someone else by now (another tab): a switch never changes the user. */
  async assertSameUser(
    request: Request,
    result: CallbackResult & { organizationSwitch?: OrganizationSwitch },
  ): Promise<void> {
    const { sessions } = this.options
    const current = sessions ? (await sessions.load(request)).auth : null
    if (!current || current.sub === result.session.sub) return
    throw Object.assign(
      new AuthError(AuthErrorCode.accountMismatch, 'The switch came back for another user'),
      {
        setCookies: result.setCookies,
        organizationSwitch: result.organizationSwitch,
      },
    )
  }

  /** Where a failed switch goes: the login page when Auth0 needs the user, else back with `?error=`. */
  failureTarget(switched: OrganizationSwitch, code: string, options: HandleCallbackOptions): string {
    const returnTo = switched.returnTo ?? options.onSuccessRedirect
    if (interactionNeeded.has(code)) {
      return withQuery(this.options.loginURL ?? '/login', {
        error: code,
        organization: switched.organization,
        returnTo,
      })
    }
    return withQuery(returnTo, { error: safeErrorCode(code) })
  }
}
