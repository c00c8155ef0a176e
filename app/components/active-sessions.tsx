import { Form, useActionData, useNavigation } from '@remix-run/react'
import { buttonClass } from './button'
import { Card } from './card'
import { LocalTime } from './local-time'

/** One of the user's sessions as the page may see it: no session id (it is as good as the cookie). */
export interface ActiveSession {
  key: string
  current: boolean
  createdAt: number
  lastActiveAt: number
}

interface RevokeResult {
  intent: 'revoke-others'
  revoked: number
}

const isRevokeResult = (data: unknown): data is RevokeResult =>
  (data as { intent?: unknown } | undefined)?.intent === 'revoke-others'

/** The user's signed-in browsers and devices (server sessions), with "Log out other sessions". */
export function ActiveSessions({ sessions }: { sessions: ActiveSession[] }) {
  const actionData = useActionData<unknown>()
  const revoking = useNavigation().formData?.get('intent') === 'revoke-others'
  const others = sessions.filter((session) => !session.current).length
  return (
    <Card
      title="Active sessions"
      description={`You are signed in on ${sessions.length} ${sessions.length === 1 ? 'browser or device' : 'browsers or devices'}.`}
    >
      <ul aria-label="Active sessions" className="divide-y divide-zinc-200 text-sm dark:divide-zinc-800">
        {sessions.map((session) => (
          <li key={session.key} className="flex flex-col gap-0.5 py-3">
            <p className="flex items-center gap-2 font-medium">
              {session.current ? 'This browser' : 'Another browser or device'}
              {session.current ? (
                <span className="rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200 ring-inset dark:bg-indigo-500/10 dark:text-indigo-300 dark:ring-indigo-500/30">
                  Current
                </span>
              ) : null}
            </p>
            <p className="text-zinc-600 dark:text-zinc-400">
              Signed in <LocalTime ms={session.createdAt} />
            </p>
            <p className="text-zinc-600 dark:text-zinc-400">
              Last active <LocalTime ms={session.lastActiveAt} />
            </p>
          </li>
        ))}
      </ul>
      {others > 0 ? (
        <Form method="post" className="mt-4">
          <button
            type="submit"
            name="intent"
            value="revoke-others"
            disabled={revoking}
            className={buttonClass('danger')}
          >
            Log out other sessions
          </button>
        </Form>
      ) : null}
      {isRevokeResult(actionData) ? (
        <p role="status" className="mt-4 text-sm text-zinc-700 dark:text-zinc-300">
          {actionData.revoked === 1
            ? 'Logged out 1 other session.'
            : `Logged out ${actionData.revoked} other sessions.`}
        </p>
      ) : null}
    </Card>
  )
}
