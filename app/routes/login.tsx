import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { useLoaderData } from '@remix-run/react'
import { AuthErrorMessage } from '~/components/auth-error-message'
import { AuthForm, type LoginFields } from '~/components/auth-form'
import { Card } from '~/components/card'
import { safeErrorCode, safeRedirect } from '~/lib/auth0'
import { enforceRateLimit } from '~/rate-limit.server'

export const meta: MetaFunction = () => [{ title: 'Log in · Remix Auth0 Stack' }]

/** A query value worth passing on to /auth/auth0 (which validates it again), or undefined. */
function passOn(query: URLSearchParams, name: string, pattern: RegExp): string | undefined {
  const value = query.get(name)
  return value !== null && pattern.test(value) ? value : undefined
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await enforceRateLimit(context, 'login')
  const query = new URL(request.url).searchParams
  const error = query.get('error')
  // Step-up (`requireAuth` sends maxAge/acr) and Auth0 invitation links (organization/invitation).
  const fields: LoginFields = {
    maxAge: passOn(query, 'maxAge', /^\d{1,7}$/),
    acr: passOn(query, 'acr', /^[\w:./-]{1,200}$/),
    organization: passOn(query, 'organization', /^[\w-]{1,100}$/),
    invitation: passOn(query, 'invitation', /^[\w-]{1,200}$/),
  }
  return {
    returnTo: safeRedirect(query.get('returnTo'), '') || undefined,
    error: error === null ? null : safeErrorCode(error),
    fields,
  }
}

export default function Login() {
  const { returnTo, error, fields } = useLoaderData<typeof loader>()
  return (
    <div className="mx-auto w-full max-w-md">
      <Card>
        <div className="text-center">
          <img src="/favicon.svg" alt="" width={48} height={48} className="mx-auto size-12" />
          <h1 className="mt-4 text-2xl font-bold tracking-tight">Welcome</h1>
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
            Log in or create an account to continue to your dashboard.
          </p>
        </div>

        {error ? (
          <div className="mt-6">
            <AuthErrorMessage code={error} returnTo={returnTo} fields={fields} />
          </div>
        ) : null}

        <div className="mt-8 flex flex-col gap-3">
          <AuthForm returnTo={returnTo} fields={fields}>
            Continue
          </AuthForm>
          <AuthForm variant="secondary" returnTo={returnTo} fields={fields} connection="google-oauth2">
            <GoogleLogo />
            Continue with Google
          </AuthForm>
        </div>

        <div
          className="my-6 flex items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400"
          aria-hidden="true"
        >
          <span className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
          New here?
          <span className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
        </div>

        <AuthForm variant="secondary" returnTo={returnTo} fields={fields} screen="signup">
          Create an account
        </AuthForm>
      </Card>
      <p className="mt-6 text-center text-xs text-zinc-500 dark:text-zinc-400">
        You will be sent to our sign-in page and brought straight back.
      </p>
    </div>
  )
}

function GoogleLogo() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4">
      <path
        fill="#4285F4"
        d="M23.5 12.3c0-.8-.1-1.6-.2-2.3H12v4.5h6.5a5.6 5.6 0 0 1-2.4 3.6v3h3.9c2.2-2.1 3.5-5.1 3.5-8.8Z"
      />
      <path
        fill="#34A853"
        d="M12 24c3.2 0 6-1.1 7.9-2.9l-3.9-3c-1 .7-2.4 1.2-4 1.2-3.1 0-5.7-2.1-6.7-4.9h-4v3.1A12 12 0 0 0 12 24Z"
      />
      <path fill="#FBBC05" d="M5.3 14.4a7.2 7.2 0 0 1 0-4.7V6.6h-4a12 12 0 0 0 0 10.9l4-3.1Z" />
      <path
        fill="#EA4335"
        d="M12 4.8c1.8 0 3.3.6 4.6 1.8l3.4-3.4A12 12 0 0 0 1.3 6.6l4 3.1c1-2.8 3.6-4.9 6.7-4.9Z"
      />
    </svg>
  )
}
