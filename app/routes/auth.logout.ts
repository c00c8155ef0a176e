import type { ActionFunctionArgs } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { authenticator } from '~/auth.server'

/**
 * Logout as a resource route: the library's own same-origin check answers a cross-site POST with a clean 403.
 * (Remix aborts a cross-origin POST to a page route such as /logout itself, with a bare 500.)
 */
export const loader = () => redirect('/logout')

export const action = ({ request }: ActionFunctionArgs) => authenticator.logout(request)
