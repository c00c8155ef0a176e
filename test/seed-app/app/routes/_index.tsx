import { Link, useSearchParams } from '@remix-run/react'

// failedLoginRedirect is '/', as in the original README: a failed login shows its ?error= code here.
export default function Index() {
  const [params] = useSearchParams()
  return (
    <main>
      {params.get('error') ? <p role="alert">Login failed: {params.get('error')}</p> : null}
      <Link to="/login">Log in</Link>
    </main>
  )
}
