import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { Link } from '@remix-run/react'
import { authenticator } from '~/auth.server'
import { buttonClass } from '~/components/button'
import { Card } from '~/components/card'

export const meta: MetaFunction = () => [{ title: 'Log out · Remix Auth0 Stack' }]

// Logging out changes state, so a GET (a link, a prefetch) only asks; the POST below does it.
export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await authenticator.getUserOrNull(request, context)
  if (!user) throw redirect('/')
  return null
}

export const action = ({ request }: ActionFunctionArgs) => authenticator.logout(request)

export default function Logout() {
  return (
    <div className="mx-auto w-full max-w-md">
      <Card>
        <h1 className="text-2xl font-bold tracking-tight">Log out?</h1>
        <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
          You will be signed out of this app and of your Auth0 session on this browser.
        </p>
        <div className="mt-6 flex flex-col-reverse gap-3 sm:flex-row sm:justify-end">
          <Link to="/dashboard" className={buttonClass('secondary')}>
            Cancel
          </Link>
          <form method="post">
            <button type="submit" className={buttonClass('primary', 'w-full')}>
              Log out
            </button>
          </form>
        </div>
      </Card>
    </div>
  )
}
