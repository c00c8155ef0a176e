import { AuthForm, type LoginFields } from './auth-form'

interface AuthErrorCopy {
  title: string
  text: string
  action: string
  /** `info` for the expected ends of a session, `error` when a login attempt failed. */
  tone: 'info' | 'error'
}

const tryAgain = 'Try again'
const signInAgain = 'Sign in again'

/** What a person sees for each `?error=` code the auth library (or Auth0) sends back. Nothing technical. */
const copy: Record<string, AuthErrorCopy> = {
  access_denied: {
    title: 'Access was denied',
    text: "The sign-in was cancelled, or this account isn't allowed to use the app. If that seems wrong, ask your administrator.",
    action: tryAgain,
    tone: 'error',
  },
  login_required: {
    title: 'Please sign in',
    text: 'Your sign-in has ended. Sign in again to pick up where you left off.',
    action: signInAgain,
    tone: 'info',
  },
  consent_required: {
    title: 'Your permission is needed',
    text: 'The app needs your approval to read your profile. Approve the request to continue.',
    action: tryAgain,
    tone: 'info',
  },
  invalid_state: {
    title: 'That sign-in link has expired',
    text: 'The sign-in took too long, or it was started in another tab or browser. Please start again here.',
    action: tryAgain,
    tone: 'error',
  },
  invalid_request: {
    title: "We couldn't start signing you in",
    text: 'Something about the request was off. Starting again usually fixes it.',
    action: tryAgain,
    tone: 'error',
  },
  auth0_down: {
    title: 'Sign-in is temporarily unavailable',
    text: "We couldn't reach the sign-in service. It is usually back within a minute or two.",
    action: tryAgain,
    tone: 'error',
  },
  token_exchange_failed: {
    title: "We couldn't finish signing you in",
    text: 'The last step of the sign-in did not go through. Please try once more.',
    action: tryAgain,
    tone: 'error',
  },
  id_token_invalid: {
    title: "We couldn't verify your sign-in",
    text: 'For your safety we stopped before signing you in. Please try again.',
    action: tryAgain,
    tone: 'error',
  },
  session_expired: {
    title: 'Your session has expired',
    text: 'For your security you were signed out. Sign in again to continue.',
    action: signInAgain,
    tone: 'info',
  },
  refresh_failed: {
    title: 'You have been signed out',
    text: "We couldn't keep your session active. Sign in again to continue.",
    action: signInAgain,
    tone: 'info',
  },
  reauthentication_required: {
    title: 'Please confirm it is you',
    text: 'This page needs a recent sign-in. Sign in again to continue where you were.',
    action: signInAgain,
    tone: 'info',
  },
  session_too_large: {
    title: "We couldn't keep you signed in",
    text: 'Your sign-in worked, but this app could not save it. Please try again; if it keeps happening, contact us.',
    action: tryAgain,
    tone: 'error',
  },
  org_mismatch: {
    title: 'Wrong organization',
    text: "The account you used doesn't belong to this organization. Try a different account.",
    action: tryAgain,
    tone: 'error',
  },
  account_mismatch: {
    title: 'Signed in as someone else',
    text: 'Our sign-in service answered for a different account, so nothing was changed. Sign in again to continue.',
    action: signInAgain,
    tone: 'info',
  },
  configuration_error: {
    title: 'Sign-in is not set up correctly',
    text: "This app's sign-in settings don't match its sign-in service, so we stopped before sending you there. Please tell the site's team.",
    action: tryAgain,
    tone: 'error',
  },
  unknown_error: {
    title: 'Something went wrong',
    text: "We couldn't sign you in this time. Please try again.",
    action: tryAgain,
    tone: 'error',
  },
}
copy.missing_state = copy.invalid_state

export function authErrorCopy(code: string): AuthErrorCopy {
  return Object.hasOwn(copy, code) ? copy[code] : copy.unknown_error
}

const tones = {
  info: 'bg-sky-50 text-sky-900 ring-sky-200 dark:bg-sky-500/10 dark:text-sky-100 dark:ring-sky-500/30',
  error:
    'bg-amber-50 text-amber-950 ring-amber-200 dark:bg-amber-500/10 dark:text-amber-100 dark:ring-amber-500/30',
}

interface AuthErrorMessageProps {
  code: string
  returnTo?: string
  fields?: LoginFields
}

export function AuthErrorMessage({ code, returnTo, fields }: AuthErrorMessageProps) {
  const { title, text, action, tone } = authErrorCopy(code)
  return (
    <div role="alert" className={`rounded-xl p-4 ring-1 ring-inset ${tones[tone]}`}>
      <h2 className="text-sm font-semibold">{title}</h2>
      <p className="mt-1 text-sm opacity-90">{text}</p>
      <AuthForm variant="secondary" returnTo={returnTo} fields={fields} className="mt-3 w-fit">
        {action}
      </AuthForm>
    </div>
  )
}
