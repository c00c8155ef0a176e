// The migration guide's logout: POST from the app's own pages only; deletes the session, revokes the refresh token.
import type { ActionFunctionArgs } from '@remix-run/node'
import { authenticator } from '../auth.server'

export const action = ({ request }: ActionFunctionArgs) => authenticator.logout(request)
