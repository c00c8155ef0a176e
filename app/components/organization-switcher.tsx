import type { OrganizationsView } from '~/organizations'
import { authErrorCopy } from './auth-error-message'
import { buttonClass } from './button'
import { Card } from './card'

interface OrganizationSwitcherProps {
  organizations: OrganizationsView
  /** `?error=` of a switch that did not happen (the session is unchanged). */
  error: string | null
}

/** Auth0 answers a switch into an organization the user is not a member of with access_denied. */
const notMember = {
  title: 'You are not a member of that organization.',
  text: 'Ask its administrator for an invitation. You are still signed in where you were.',
}

/** The current organization and one plain form per other one (works without JavaScript). */
export function OrganizationSwitcher({ organizations, error }: OrganizationSwitcherProps) {
  const { current, others } = organizations
  const failure = error === 'access_denied' ? notMember : error ? authErrorCopy(error) : null
  return (
    <Card title="Organization" description="Switch between your organizations without signing out.">
      {failure ? (
        <div
          role="alert"
          className="mb-4 rounded-xl bg-amber-50 p-4 text-sm text-amber-950 ring-1 ring-amber-200 ring-inset dark:bg-amber-500/10 dark:text-amber-100 dark:ring-amber-500/30"
        >
          <p className="font-semibold">The organization was not switched. {failure.title}</p>
          <p className="mt-1 opacity-90">{failure.text}</p>
        </div>
      ) : null}
      <p className="text-sm">
        {current ? (
          <>
            Current organization:{' '}
            <strong data-testid="current-organization" className="font-semibold">
              {current.displayName}
            </strong>
          </>
        ) : (
          'You are not signed in to an organization.'
        )}
      </p>
      {others.length ? (
        <ul className="mt-4 flex flex-col gap-2">
          {others.map((org) => (
            <li key={org.id}>
              <form method="post" action="/auth/organization">
                <input type="hidden" name="organization" value={org.id} />
                <input type="hidden" name="returnTo" value="/dashboard" />
                <button type="submit" className={buttonClass('secondary')}>
                  Switch to {org.displayName}
                </button>
              </form>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  )
}
