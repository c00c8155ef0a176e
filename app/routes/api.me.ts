import type { LoaderFunctionArgs } from '@remix-run/node'
import { callProtectedApi } from '~/api.server'
import { authenticator } from '~/auth.server'

/** The signed-in user and what the protected API says about them, as JSON (401 instead of a login redirect). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await authenticator.getUserOrNull(request, context)
  const body = user ? { user, api: await callProtectedApi(request, context) } : { error: 'unauthenticated' }
  const headers = new Headers({ 'Cache-Control': 'no-store' })
  // Remix runs no entry.server hook for resource routes: a refreshed Browser-strategy cookie is sent from here.
  authenticator.applyHeaders(request, context, headers)
  return Response.json(body, { status: user ? 200 : 401, headers })
}
