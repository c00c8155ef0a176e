import { checkDb } from '~/db.server'

const headers = {
  'Cache-Control': 'no-store',
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
}

/** Liveness and readiness for load balancers and the Docker HEALTHCHECK: the app is up and its database answers. */
export async function loader() {
  try {
    await checkDb()
    return new Response('ok', { headers })
  } catch (error) {
    console.error('healthz: database check failed', error)
    return new Response('database unavailable', { status: 503, headers })
  }
}
