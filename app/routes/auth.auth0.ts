import type { ActionFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { authenticator } from '~/auth.server'
import { env } from '~/env.server'
import { assertSameOrigin } from '~/lib/auth0'
import { enforceRateLimit } from '~/rate-limit.server'

export const loader = () => redirect('/login')

export async function action({ request, context }: ActionFunctionArgs) {
  await enforceRateLimit(context, 'auth')
  // Login CSRF: another site must not be able to start (and steer) a login in the user's browser.
  assertSameOrigin(request, env.APP_ORIGIN)
  const form = await request.formData().catch(() => null)
  if (!form) throw new Response('Bad Request', { status: 400, headers: { 'Cache-Control': 'no-store' } })
  const text = (name: string) => {
    const value = form.get(name)
    return typeof value === 'string' && value.length > 0 && value.length < 256 ? value : undefined
  }
  return authenticator.authorize(request, {
    returnTo: text('returnTo'),
    forceSignup: text('screen') === 'signup',
    connection: text('connection'),
    organization: text('organization'),
    invitation: text('invitation'),
    // Step-up: requireAuth() sends the user here with the age and class the page needs.
    maxAge: /^\d{1,7}$/.test(text('maxAge') ?? '') ? Number(text('maxAge')) : undefined,
    acrValues: text('acr'),
  })
}
