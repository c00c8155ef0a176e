// src/routes/logout.tsx in the original README, unchanged: the logout(redirectTo, headers) form still works.
import type { ActionFunction } from '@remix-run/node'
import { authenticator } from '../auth.server'
import { destroySession, getSessionFromRequest } from '../session.server'

export const action: ActionFunction = async ({ request }) => {
  const session = await getSessionFromRequest(request)

  await authenticator.logout(process.env.APP_DOMAIN!, {
    'Set-Cookie': await destroySession(session), // this is where you destroy the session
  })
}

export const loader = action // this to allow you to hit /logout directly in the browser
