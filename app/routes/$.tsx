import type { MetaFunction } from '@remix-run/node'

export const meta: MetaFunction = () => [{ title: 'Page not found · Remix Auth0 Stack' }]

// Any URL no other route matches: the root error boundary renders the 404 page.
export function loader() {
  throw new Response('Not found', { status: 404 })
}

export default function NotFound() {
  return null
}
