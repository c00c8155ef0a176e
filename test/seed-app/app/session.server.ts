import { getSessionStorage } from './sessionStorage.server'

// The original README's logout route imports these from the app's own session module.
export const getSessionFromRequest = (request: Request) =>
  getSessionStorage().getSession(request.headers.get('Cookie'))

export const { commitSession, destroySession } = getSessionStorage()
