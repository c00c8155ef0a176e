import type { LoaderFunctionArgs } from '@remix-run/node'
import { callProtectedApi } from '~/api.server'
import { authenticator } from '~/auth.server'

/** The signed-in user and what the protected API says about them, as JSON (401 instead of a login redirect). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await authenticator.getUserOrNull(request, context)
  const headers = { 'Cache-Control': 'no-store' }
  if (!user) return Response.json({ error: 'unauthenticated' }, { status: 401, headers })
  return Response.json({ user, api: await callProtectedApi(request, context) }, { headers })
}
