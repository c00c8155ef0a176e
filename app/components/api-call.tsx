import { Form, useActionData, useNavigation } from '@remix-run/react'
import type { ApiAnswer } from '~/api.server'
import { buttonClass } from './button'
import { Card } from './card'

interface ApiCallResult {
  intent: 'call-api'
  answer: ApiAnswer
}

const isApiCallResult = (data: unknown): data is ApiCallResult =>
  (data as { intent?: unknown } | undefined)?.intent === 'call-api'

function messageOf(body: unknown): string | null {
  const message = (body as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : null
}

/** "Call the API": the server calls the example API with the session's access token and shows the answer. */
export function ApiCall() {
  const actionData = useActionData<unknown>()
  const calling = useNavigation().formData?.get('intent') === 'call-api'
  const result = isApiCallResult(actionData) ? actionData.answer : null
  return (
    <Card
      title="Call the API"
      description="The server calls the example API with your access token. The token never reaches this page."
    >
      <Form method="post">
        <button
          type="submit"
          name="intent"
          value="call-api"
          disabled={calling}
          className={buttonClass('primary')}
        >
          Call the API
        </button>
      </Form>
      <div aria-live="polite">
        {result?.ok ? (
          <div className="mt-4 rounded-xl bg-emerald-50 p-4 text-sm text-emerald-950 ring-1 ring-emerald-200 ring-inset dark:bg-emerald-500/10 dark:text-emerald-100 dark:ring-emerald-500/30">
            <p className="font-semibold">{messageOf(result.body) ?? 'The API answered.'}</p>
            <pre
              tabIndex={0}
              role="region"
              aria-label="The API's answer as JSON"
              className="mt-2 overflow-auto font-mono text-xs leading-relaxed"
            >
              {JSON.stringify(result.body, null, 2)}
            </pre>
          </div>
        ) : null}
        {result && !result.ok ? (
          <p className="mt-4 rounded-xl bg-amber-50 p-4 text-sm text-amber-950 ring-1 ring-amber-200 ring-inset dark:bg-amber-500/10 dark:text-amber-100 dark:ring-amber-500/30">
            The API could not be reached (status {result.status}). Please try again.
          </p>
        ) : null}
      </div>
    </Card>
  )
}
