import type { ActionFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { authenticator } from '~/auth.server'
import { enforceRateLimit } from '~/rate-limit.server'

export const loader = () => redirect('/login')

export async function action({ request }: ActionFunctionArgs) {
  enforceRateLimit(request, 'auth')
  const form = await request.formData()
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
