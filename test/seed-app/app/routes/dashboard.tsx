// src/routes/dashboard.tsx in the original README.
import { json } from '@remix-run/node'
import { Form, useLoaderData } from '@remix-run/react'
import type { LoaderFunctionArgs } from '@remix-run/node'
import { authenticator } from '../auth.server'
import { yourCredentials, yourUser } from '../opt-out.server'
import { setup } from '../sessionStorage.server'

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const user =
    setup === 'opt-out'
      ? await yourUser(await yourCredentials(request))
      : await authenticator.getUser(request, context) // this is what determines if the user is logged in or not
  return json({
    user: user,
  })
}

export default () => {
  const { user } = useLoaderData<typeof loader>()
  return (
    <>
      <div>Dashboard for {user.nickname || user.givenName || user.name}</div>
      <Form action="/logout" method="post">
        <button>Log out</button>
      </Form>
    </>
  )
}
