import { Link, useLocation } from '@remix-run/react'
import { buttonClass } from './button'

interface ErrorPageProps {
  status?: number
  title: string
  message: string
  /** Offer to load the same page again: right for passing trouble (rate limit, database or Auth0 down). */
  retry?: boolean
  /** Development only: the stack, so a developer sees what broke without opening the terminal. */
  details?: string
}

export function ErrorPage({ status, title, message, retry = false, details }: ErrorPageProps) {
  const location = useLocation()
  return (
    <div className="mx-auto flex max-w-xl flex-col items-center py-12 text-center sm:py-20">
      {status ? (
        <p className="text-sm font-semibold text-indigo-700 tabular-nums dark:text-indigo-300">
          Error {status}
        </p>
      ) : null}
      <h1 className="mt-2 text-3xl font-bold tracking-tight text-balance sm:text-4xl">{title}</h1>
      <p className="mt-4 text-base text-pretty text-zinc-600 dark:text-zinc-400">{message}</p>
      <div className="mt-8 flex flex-wrap justify-center gap-3">
        {retry ? (
          // A full page load: the error may have come from a client-side navigation.
          <a href={location.pathname + location.search} className={buttonClass('primary')}>
            Try again
          </a>
        ) : null}
        <Link to="/" className={buttonClass(retry ? 'secondary' : 'primary')}>
          Go home
        </Link>
      </div>
      {details ? (
        <pre className="mt-10 max-h-80 w-full overflow-auto rounded-xl bg-zinc-900 p-4 text-left text-xs text-zinc-100">
          {details}
        </pre>
      ) : null}
    </div>
  )
}
