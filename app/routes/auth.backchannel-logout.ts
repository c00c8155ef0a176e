import type { ActionFunctionArgs } from '@remix-run/node'
import { authenticator } from '~/auth.server'
import { enforceRateLimit } from '~/rate-limit.server'

/** OpenID Back-Channel Logout: Auth0 posts a signed logout token here when a user's IdP session ends. */
export async function action({ request, context }: ActionFunctionArgs) {
  await enforceRateLimit(context, 'backchannel')
  return authenticator.handleBackchannelLogout(request)
}
