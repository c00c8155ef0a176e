import type { ActionFunctionArgs } from '@remix-run/node'
import { authenticator } from '~/auth.server'

/** OpenID Back-Channel Logout: Auth0 posts a signed logout token here when a user's IdP session ends. */
export const action = ({ request }: ActionFunctionArgs) => authenticator.handleBackchannelLogout(request)
