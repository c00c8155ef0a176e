import { randomBytes } from 'node:crypto'
import type { Context } from 'koa'
import type Provider from 'oidc-provider'

import { subjectOf, type EmulatorUser } from './config'
import { readForm } from './http'
import type { EmulatorState } from './state'
import { errorPage, loginPage, signupPage } from './views'

const INTERACTION_PATH = /^\/u\/login\/([\w-]+)(\/signup)?$/

/**
 * Auth0's Universal Login at `/u/login/<uid>` (sign-up at `/u/login/<uid>/signup`, inside the path of
 * oidc-provider's interaction cookie). No passwords: picking or typing a known email logs that user in.
 */
export async function handleInteraction(
  ctx: Context,
  state: EmulatorState,
  provider: Provider,
): Promise<void> {
  const match = INTERACTION_PATH.exec(ctx.path)
  const details = match
    ? await provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined)
    : undefined
  if (!match || !details || details.uid !== match[1]) {
    return renderPage(
      ctx,
      400,
      errorPage('invalid_request', 'This login page has expired. Start again from the app.'),
    )
  }
  if (details.prompt.name !== 'login') {
    return renderPage(
      ctx,
      400,
      errorPage('unsupported_interaction', `No page for the "${details.prompt.name}" prompt.`),
    )
  }

  const params = details.params as Record<string, string | undefined>
  const base = `/u/login/${details.uid}`
  const signup =
    Boolean(match[2]) ||
    (ctx.method === 'GET' && params.screen_hint === 'signup' && ctx.query.screen !== 'login')
  const pageContext = {
    connection: params.connection,
    organization: params.organization ? state.findOrganization(params.organization) : undefined,
  }
  const loginView = { ...pageContext, action: base, signupHref: `${base}/signup`, users: state.users }
  const signupView = { ...pageContext, action: `${base}/signup`, loginHref: `${base}?screen=login` }

  if (ctx.method === 'GET') {
    return renderPage(ctx, 200, signup ? signupPage(signupView) : loginPage(loginView))
  }
  if (ctx.method !== 'POST') return renderPage(ctx, 405, errorPage('method_not_allowed'))

  const form = await readForm(ctx.req)
  const email = form.get('email')?.trim() ?? ''
  let user: EmulatorUser
  if (signup) {
    const name = form.get('name')?.trim() ?? ''
    if (!email.includes('@')) {
      return renderPage(
        ctx,
        400,
        signupPage({ ...signupView, email, name, error: 'Enter a valid email address.' }),
      )
    }
    if (state.findUserByEmail(email)) {
      return renderPage(
        ctx,
        400,
        signupPage({ ...signupView, email, name, error: 'The user already exists.' }),
      )
    }
    user = createUser(email, name)
    state.users.push(user)
  } else {
    const found = state.findUserByEmail(email)
    if (!found) {
      return renderPage(
        ctx,
        400,
        loginPage({ ...loginView, email, error: 'Wrong email: no such test user.' }),
      )
    }
    user = found
  }

  const acr = params.acr_values?.split(' ')[0]
  const returnTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    { login: { accountId: subjectOf(user), amr: ['pwd'], ...(acr ? { acr } : {}) } },
    { mergeWithLastSubmission: false },
  )
  ctx.redirect(returnTo)
  ctx.status = 303
}

function createUser(email: string, name: string): EmulatorUser {
  const localPart = email.split('@')[0] ?? email
  return {
    id: `signup-${randomBytes(6).toString('hex')}`,
    email,
    emailVerified: false,
    name: name || localPart,
    nickname: localPart,
  }
}

function renderPage(ctx: Context, status: number, html: string): void {
  ctx.status = status
  ctx.type = 'html'
  ctx.body = html
}
