// src/routes/auth/auth0.ts in the original README: authorize() without the request still works.
import type { ActionFunction } from '@remix-run/node'
import { authenticator } from '../auth.server'

export const action: ActionFunction = () => {
  return authenticator.authorize()
}
