import type { ActionFunctionArgs } from '@remix-run/node'
import { env } from '~/env.server'
import { assertSameOrigin, SessionConflictError } from '~/lib/auth0'
import { getSessionStorage } from '~/session-store.server'

const headers = { 'Cache-Control': 'no-store' }

/**
 * POST /auth/test-counter, in the test build only (test/app/remix.config.js): adds one to a counter in the
 * caller's session through the versioned store (re-reading on a conflict, as the library does). The load, shutdown
 * and fault suites compare the counters with the 200 answers they got to find lost session writes.
 */
export async function action({ request }: ActionFunctionArgs) {
  if (env.SESSION_STRATEGY !== 'server') throw new Response('Not Found', { status: 404 })
  assertSameOrigin(request, env.APP_ORIGIN)
  const storage = getSessionStorage()
  for (let attempt = 0; attempt < 20; attempt++) {
    const session = await storage.getSession(request.headers.get('Cookie'))
    if (!session.id) return Response.json({ error: 'no_session' }, { status: 401, headers })
    const counter = (Number(session.get('counter')) || 0) + 1
    session.set('counter', counter)
    try {
      await storage.commitSession(session)
      return Response.json({ counter }, { headers })
    } catch (error) {
      if (!(error instanceof SessionConflictError)) throw error
      if (error.reason === 'gone') return Response.json({ error: 'no_session' }, { status: 401, headers })
    }
  }
  return Response.json({ error: 'conflict' }, { status: 409, headers })
}
