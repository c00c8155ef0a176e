import type { ReactNode } from 'react'
import { buttonClass, type ButtonVariant } from './button'

interface AuthFormProps {
  children: ReactNode
  variant?: ButtonVariant
  /** Where to land after logging in (a path on this app; the server checks it again). */
  returnTo?: string
  /** `signup` opens Auth0's sign-up screen instead of the login screen. */
  screen?: 'signup'
  /** Skips Auth0's chooser and goes straight to one connection, e.g. `google-oauth2`. */
  connection?: string
  className?: string
}

/** A plain form, so logging in works before (and without) JavaScript. */
export function AuthForm({
  children,
  variant = 'primary',
  returnTo,
  screen,
  connection,
  className,
}: AuthFormProps) {
  return (
    <form method="post" action="/auth/auth0" className={className}>
      {returnTo ? <input type="hidden" name="returnTo" value={returnTo} /> : null}
      {screen ? <input type="hidden" name="screen" value={screen} /> : null}
      {connection ? <input type="hidden" name="connection" value={connection} /> : null}
      <button type="submit" className={buttonClass(variant, 'w-full')}>
        {children}
      </button>
    </form>
  )
}
