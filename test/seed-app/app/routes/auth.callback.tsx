// src/routes/auth/callback.tsx in the original README, plus the loader the migration guide asks for.
import type { ActionFunction } from '@remix-run/node'
import { authenticator } from '../auth.server'
import { finishLoginYourself } from '../opt-out.server'
import { setup } from '../sessionStorage.server'

export const action: ActionFunction = async ({ request }) => {
  if (setup === 'opt-out') return finishLoginYourself(request)
  await authenticator.handleCallback(request, {
    onSuccessRedirect: '/dashboard', // change this to be wherever you want to redirect to after a successful login
  })
}

// form_post answers Auth0's POST with a same-site GET of this route: without a loader Remix answers it 400.
export const loader = action
