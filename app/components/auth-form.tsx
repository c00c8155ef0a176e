import type { ReactNode } from 'react'
import { buttonClass, type ButtonVariant } from './button'

/** Extra login parameters the server accepts from the form (step-up, Auth0 organization invitations). */
export interface LoginFields {
  maxAge?: string
  acr?: string
  organization?: string
  invitation?: string
}

interface AuthFormProps {
  children: ReactNode
  variant?: ButtonVariant
  /** Where to land after logging in (a path on this app; the server checks it again). */
  returnTo?: string
  /** `signup` opens Auth0's sign-up screen instead of the login screen. */
  screen?: 'signup'
  /** Skips Auth0's chooser and goes straight to one connection, e.g. `google-oauth2`. */
  connection?: string
  fields?: LoginFields
  className?: string
}

/** A plain form, so logging in works before (and without) JavaScript. */
export function AuthForm({
  children,
  variant = 'primary',
  returnTo,
  screen,
  connection,
  fields = {},
  className,
}: AuthFormProps) {
  const hidden = { returnTo, screen, connection, ...fields }
  return (
    <form method="post" action="/auth/auth0" className={className}>
      {Object.entries(hidden).map(([name, value]) =>
        value ? <input key={name} type="hidden" name={name} value={value} /> : null,
      )}
      <button type="submit" className={buttonClass(variant, 'w-full')}>
        {children}
      </button>
    </form>
  )
}
