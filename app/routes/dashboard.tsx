import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import type { ReactNode } from 'react'
import { callProtectedApi } from '~/api.server'
import { authenticator } from '~/auth.server'
import { assertSameOrigin, safeErrorCode, type SessionInfo } from '~/lib/auth0'
import { ActiveSessions, type ActiveSession } from '~/components/active-sessions'
import { ApiCall } from '~/components/api-call'
import { Avatar } from '~/components/avatar'
import { buttonClass } from '~/components/button'
import { Card } from '~/components/card'
import { Countdown, LocalTime } from '~/components/local-time'
import { OrganizationSwitcher } from '~/components/organization-switcher'
import { env } from '~/env.server'
import { organizationsFromClaims, type OrganizationsView } from '~/organizations'
import { getSessionStorage } from '~/session-store.server'

export const meta: MetaFunction = () => [{ title: 'Dashboard · Remix Auth0 Stack' }]

// Personal data: never stored by a shared cache or the back/forward cache after logout.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' })

// A function, not a module constant: this module is also bundled for the browser, where `env` does not exist.
const serverSessions = () => env.SESSION_STRATEGY === 'server'

/** The user's sessions (devices), without their ids: an id is as good as the cookie that carries it. */
async function activeSessions(sub: string, currentId: string | null): Promise<ActiveSession[]> {
  const sessions = await getSessionStorage().listSessions(sub)
  // This browser first, then the others newest first (the store's order).
  sessions.sort((a, b) => Number(b.id === currentId) - Number(a.id === currentId))
  return sessions.map((session, index) => ({
    key: String(index),
    current: session.id === currentId,
    createdAt: session.createdAt.getTime(),
    lastActiveAt: session.updatedAt.getTime(),
  }))
}

interface DashboardData extends Pick<
  SessionInfo,
  'user' | 'claims' | 'authenticatedAt' | 'accessTokenExpiresAt' | 'lastRefreshedAt'
> {
  /** Absent with browser (cookie) sessions: there is no list to show. */
  sessions?: ActiveSession[]
  /** Null when the user has no organizations (the panel is not shown). */
  organizations: OrganizationsView | null
  /** `?error=` of an organization switch that came back here. */
  switchError: string | null
}

export async function loader({ request, context }: LoaderFunctionArgs): Promise<DashboardData> {
  const info = await authenticator.getSessionInfo(request, context)
  return {
    user: info.user,
    claims: info.claims,
    authenticatedAt: info.authenticatedAt,
    accessTokenExpiresAt: info.accessTokenExpiresAt,
    lastRefreshedAt: info.lastRefreshedAt,
    sessions: serverSessions() ? await activeSessions(info.user.id, info.sessionId) : undefined,
    organizations: organizationsFromClaims(info.claims),
    switchError: switchError(request),
  }
}

function switchError(request: Request): string | null {
  const error = new URL(request.url).searchParams.get('error')
  return error === null ? null : safeErrorCode(error)
}

export async function action({ request, context }: ActionFunctionArgs) {
  // Both intents act as the user: only this app's own pages may ask for them.
  assertSameOrigin(request, env.APP_ORIGIN)
  const info = await authenticator.getSessionInfo(request, context)
  const intent = (await request.formData()).get('intent')
  if (intent === 'call-api') return { intent, answer: await callProtectedApi(request, context) }
  if (intent === 'revoke-others' && serverSessions() && info.sessionId) {
    const revoked = await getSessionStorage().revokeOtherSessions(info.user.id, info.sessionId)
    return { intent, revoked }
  }
  throw new Response('Bad Request', { status: 400, headers: { 'Cache-Control': 'no-store' } })
}

export default function Dashboard() {
  const {
    user,
    claims,
    authenticatedAt,
    accessTokenExpiresAt,
    lastRefreshedAt,
    sessions,
    organizations,
    switchError,
  } = useLoaderData<typeof loader>()
  const displayName = user.name ?? user.nickname ?? user.email ?? 'Your account'
  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h1 className="text-3xl font-bold tracking-tight">Dashboard</h1>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
            Your profile and this session, at a glance.
          </p>
        </div>
        {/* Asks first: the /logout page confirms with a POST (a GET never logs anyone out). */}
        <Link to="/logout" className={buttonClass('secondary', 'self-start sm:self-auto')}>
          Log out
        </Link>
      </div>

      <Card>
        <div className="flex items-center gap-4">
          <Avatar src={user.picture} name={displayName} size="lg" />
          <div className="min-w-0">
            <p className="truncate text-lg font-semibold">{displayName}</p>
            {user.email ? (
              <p className="flex flex-wrap items-center gap-2 text-sm text-zinc-600 dark:text-zinc-400">
                <span className="truncate">{user.email}</span>
                <VerifiedBadge verified={user.emailVerified === true} />
              </p>
            ) : null}
          </div>
        </div>
      </Card>

      {organizations ? <OrganizationSwitcher organizations={organizations} error={switchError} /> : null}

      <div className="grid items-start gap-6 lg:grid-cols-2">
        <Card title="This session" description="Tokens stay on the server; only these facts are shown.">
          <dl className="divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
            <Fact label="Signed in">
              <LocalTime ms={authenticatedAt} />
            </Fact>
            <Fact label="Access token expires">
              <Countdown to={accessTokenExpiresAt} />
            </Fact>
            <Fact label="Last refreshed">
              {lastRefreshedAt ? <LocalTime ms={lastRefreshedAt} /> : 'Not yet'}
            </Fact>
            <Fact label="User id">
              <code className="font-mono text-xs break-all">{user.id}</code>
            </Fact>
          </dl>
        </Card>

        <Card title="ID token claims" description="What Auth0 told this app about you when you signed in.">
          <details className="group rounded-lg ring-1 ring-zinc-200 dark:ring-zinc-800">
            <summary className="cursor-pointer rounded-lg px-4 py-3 text-sm font-medium select-none hover:bg-zinc-50 dark:hover:bg-zinc-800/50">
              Show {Object.keys(claims).length} claims
            </summary>
            {/* Focusable so keyboard users can scroll it. */}
            <pre
              tabIndex={0}
              role="region"
              aria-label="ID token claims as JSON"
              className="max-h-96 overflow-auto border-t border-zinc-200 p-4 font-mono text-xs leading-relaxed dark:border-zinc-800"
            >
              {JSON.stringify(claims, null, 2)}
            </pre>
          </details>
        </Card>
      </div>

      <div className="grid items-start gap-6 lg:grid-cols-2">
        <ApiCall />
        {sessions ? <ActiveSessions sessions={sessions} /> : null}
      </div>
    </div>
  )
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-1 py-3 sm:flex-row sm:items-center sm:justify-between sm:gap-4">
      <dt className="shrink-0 text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="font-medium text-zinc-900 sm:text-right dark:text-zinc-100">{children}</dd>
    </div>
  )
}

function VerifiedBadge({ verified }: { verified: boolean }) {
  return verified ? (
    <span className="inline-flex items-center rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-emerald-200 ring-inset dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-500/30">
      Verified
    </span>
  ) : (
    <span className="inline-flex items-center rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-200 ring-inset dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-500/30">
      Not verified
    </span>
  )
}
