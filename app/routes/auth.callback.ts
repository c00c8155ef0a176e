import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node'
import { authenticator } from '~/auth.server'
import { enforceRateLimit } from '~/rate-limit.server'

async function finishLogin(request: Request) {
  await enforceRateLimit(request, 'auth')
  return authenticator.handleCallback(request, {
    onSuccessRedirect: '/dashboard',
    onFailureRedirect: '/login',
  })
}

// GET: response_mode=query, and the second leg of form_post (see the library's README).
export const loader = ({ request }: LoaderFunctionArgs) => finishLogin(request)

// POST: response_mode=form_post, a cross-site POST from Auth0.
export const action = ({ request }: ActionFunctionArgs) => finishLogin(request)
