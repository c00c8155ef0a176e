// The README's "Testing your own routes" example, verbatim below the first import (keep the two in step).
import '../support/app-database'

import { expect, it } from 'vitest'
import { authenticator } from '~/auth.server'
import { createTestSession } from '~/lib/auth0/testing.server'
import { loader } from '~/routes/dashboard'

const dashboard = (headers?: HeadersInit) =>
  loader({ request: new Request('http://localhost:3000/dashboard', { headers }), params: {}, context: {} })

it('shows a signed-in user their dashboard', async () => {
  const cookie = await createTestSession(authenticator, { user: { id: 'auth0|alice', name: 'Alice' } })
  const data = await dashboard({ Cookie: cookie })
  expect(data.user.name).toBe('Alice')
  expect(data.sessions).toHaveLength(1)
})

it('sends anyone else to the login page', async () => {
  const redirect = await dashboard().then(
    () => null,
    (thrown: Response) => thrown,
  )
  expect(redirect?.headers.get('Location')).toBe('/login?returnTo=%2Fdashboard')
})
