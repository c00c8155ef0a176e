import type { ActionFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { authenticator } from '~/auth.server'
import { env } from '~/env.server'
import { assertSameOrigin } from '~/lib/auth0'
import { enforceRateLimit } from '~/rate-limit.server'

export const loader = () => redirect('/dashboard')

/** The dashboard's "Switch to …" buttons: a silent re-login into another of the user's organizations. */
export async function action({ request, context }: ActionFunctionArgs) {
  await enforceRateLimit(context, 'auth')
  // Before the body is read: another site must not be able to move the user into another organization.
  assertSameOrigin(request, env.APP_ORIGIN)
  const form = await request.formData().catch(() => null)
  const organization = form?.get('organization')
  const returnTo = form?.get('returnTo')
  return authenticator.switchOrganization(request, typeof organization === 'string' ? organization : '', {
    returnTo: typeof returnTo === 'string' ? returnTo : '/dashboard',
  })
}
