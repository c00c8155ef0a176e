// src/routes/auth/callback.tsx exactly as the original README has it (an action only). The test posts Auth0's
// form_post here to show why the migration guide adds a loader: the same-site GET that completes the login gets
// 400 (Remix: no loader).
import type { ActionFunction } from '@remix-run/node'
import { authenticator } from '../auth.server'

export const action: ActionFunction = async ({ request }) => {
  await authenticator.handleCallback(request, {
    onSuccessRedirect: '/dashboard', // change this to be wherever you want to redirect to after a successful login
  })
}
