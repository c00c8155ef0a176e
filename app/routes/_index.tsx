import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { authenticator } from '~/auth.server'
import { AuthForm } from '~/components/auth-form'
import { Avatar } from '~/components/avatar'
import { buttonClass } from '~/components/button'

export const meta: MetaFunction = () => [{ title: 'Remix Auth0 Stack' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = await authenticator.getUserOrNull(request, context)
  return {
    user: user && { name: user.name ?? user.email ?? user.id, email: user.email, picture: user.picture },
  }
}

const features = [
  {
    title: 'Server-side sessions',
    text: 'The cookie holds only a signed session id. Tokens stay in your database, never in the browser.',
  },
  {
    title: 'Silent token refresh',
    text: 'Access tokens are refreshed once per session, even when many requests arrive at the same moment.',
  },
  {
    title: 'Logout everywhere',
    text: 'Log out ends the Auth0 session too, and back-channel logout signs out sessions Auth0 has ended.',
  },
  {
    title: 'Runs offline',
    text: 'A local Auth0 emulator ships with the stack: clone, npm run dev, log in. No tenant needed to start.',
  },
]

export default function Index() {
  const { user } = useLoaderData<typeof loader>()
  return (
    <div className="flex flex-col gap-16">
      <section className="mx-auto max-w-2xl text-center">
        <p className="inline-flex items-center rounded-full bg-indigo-50 px-3 py-1 text-xs font-semibold text-indigo-700 ring-1 ring-indigo-200 ring-inset dark:bg-indigo-500/10 dark:text-indigo-300 dark:ring-indigo-500/30">
          Remix v2 · Auth0 · Prisma
        </p>
        <h1 className="mt-6 text-4xl font-bold tracking-tight text-balance sm:text-5xl">
          Auth0 login for Remix, ready for production
        </h1>
        <p className="mt-6 text-lg text-pretty text-zinc-600 dark:text-zinc-400">
          A starter with secure server-side sessions, refresh tokens and logout done right. It runs on your
          machine against a local Auth0 emulator, and against your own tenant by changing a few settings.
        </p>
        {user ? (
          <div className="mt-10 flex flex-col items-center gap-4">
            <p className="flex items-center gap-3 text-sm text-zinc-700 dark:text-zinc-300">
              <Avatar src={user.picture} name={user.name} />
              <span>
                Signed in as{' '}
                <strong className="font-semibold text-zinc-900 dark:text-white">{user.name}</strong>
              </span>
            </p>
            <Link to="/dashboard" className={buttonClass('primary')}>
              Go to your dashboard
            </Link>
          </div>
        ) : (
          <div className="mx-auto mt-10 flex max-w-sm flex-col gap-3 sm:flex-row sm:justify-center">
            <AuthForm className="sm:w-36">Log in</AuthForm>
            <AuthForm variant="secondary" screen="signup" className="sm:w-36">
              Sign up
            </AuthForm>
          </div>
        )}
      </section>

      <section aria-labelledby="features" className="mx-auto w-full max-w-4xl">
        <h2 id="features" className="sr-only">
          What you get
        </h2>
        <ul className="grid gap-4 sm:grid-cols-2">
          {features.map((feature) => (
            <li
              key={feature.title}
              className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-900 dark:ring-zinc-800"
            >
              <h3 className="font-semibold">{feature.title}</h3>
              <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">{feature.text}</p>
            </li>
          ))}
        </ul>
      </section>
    </div>
  )
}
