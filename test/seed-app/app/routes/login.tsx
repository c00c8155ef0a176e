// src/routes/login.tsx in the original README
import { Form } from '@remix-run/react'

export default () => {
  return (
    <Form action="/auth/auth0" method="post">
      <button>Log in</button>
    </Form>
  )
}
