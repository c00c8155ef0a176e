import type { LoaderFunctionArgs } from '@remix-run/node'
import { requireApiToken } from '~/api.server'

/** The stack's example "API": answers only to a valid access token for its audience. */
export async function loader({ request }: LoaderFunctionArgs) {
  const claims = await requireApiToken(request)
  return Response.json(
    {
      message: 'Hello from the protected API',
      subject: claims.sub,
      scope: claims.scope ?? null,
      audience: claims.aud,
      tokenExpiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000).toISOString() : null,
    },
    { headers: { 'Cache-Control': 'no-store' } },
  )
}
