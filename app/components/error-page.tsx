import { Link } from '@remix-run/react'
import { buttonClass } from './button'

interface ErrorPageProps {
  status?: number
  title: string
  message: string
  /** Development only: the stack, so a developer sees what broke without opening the terminal. */
  details?: string
}

export function ErrorPage({ status, title, message, details }: ErrorPageProps) {
  return (
    <div className="mx-auto flex max-w-xl flex-col items-center py-16 text-center sm:py-24">
      {status ? <p className="text-sm font-semibold text-indigo-600 dark:text-indigo-400">{status}</p> : null}
      <h1 className="mt-2 text-3xl font-bold tracking-tight sm:text-4xl">{title}</h1>
      <p className="mt-4 text-base text-zinc-600 dark:text-zinc-400">{message}</p>
      <div className="mt-8 flex gap-3">
        <Link to="/" className={buttonClass('primary')}>
          Go home
        </Link>
        <Link to="/dashboard" className={buttonClass('secondary')}>
          Dashboard
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
