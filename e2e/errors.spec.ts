import { createCookie } from '@remix-run/node'
import { emulatorLoginPage, expect, test } from './fixtures'
import { e2eApps, e2eSessionSecret } from './stack'

/** Every code the library (or Auth0) sends to /login?error=, and the headline a person sees for it. */
const loginErrors: [code: string, title: string, action: 'Try again' | 'Sign in again'][] = [
  ['access_denied', 'Access was denied', 'Try again'],
  ['login_required', 'Please sign in', 'Sign in again'],
  ['consent_required', 'Your permission is needed', 'Try again'],
  ['invalid_state', 'That sign-in link has expired', 'Try again'],
  ['missing_state', 'That sign-in link has expired', 'Try again'],
  ['invalid_request', "We couldn't start signing you in", 'Try again'],
  ['auth0_down', 'Sign-in is temporarily unavailable', 'Try again'],
  ['token_exchange_failed', "We couldn't finish signing you in", 'Try again'],
  ['id_token_invalid', "We couldn't verify your sign-in", 'Try again'],
  ['org_mismatch', 'Wrong organization', 'Try again'],
  ['session_expired', 'Your session has expired', 'Sign in again'],
  ['refresh_failed', 'You have been signed out', 'Sign in again'],
  ['reauthentication_required', 'Please confirm it is you', 'Sign in again'],
  ['session_too_large', "We couldn't keep you signed in", 'Try again'],
  ['unknown_error', 'Something went wrong', 'Try again'],
  ['something_new', 'Something went wrong', 'Try again'],
  ['<script>', 'Something went wrong', 'Try again'],
]

test('each login error has its own friendly message and a way to try again', async ({ page }) => {
  for (const [code, title, action] of loginErrors) {
    await test.step(code, async () => {
      await page.goto(`/login?error=${encodeURIComponent(code)}`)
      const alert = page.getByRole('alert')
      await expect(alert.getByRole('heading', { name: title })).toBeVisible()
      await expect(alert.getByRole('button', { name: action })).toBeVisible()
      await expect(alert).not.toContainText(/token|oauth|_/i)
    })
  }
})

test('"Try again" starts a new login that keeps returnTo', async ({ page }) => {
  await page.goto('/login?error=access_denied&returnTo=%2Fdashboard')
  await page.getByRole('alert').getByRole('button', { name: 'Try again' }).click()
  await expect(page).toHaveURL(emulatorLoginPage)
  await page.getByRole('button', { name: /^Alice Liddell/ }).click()
  await expect(page).toHaveURL('/dashboard')
})

test('an unknown page is a friendly 404', async ({ page }) => {
  const response = await page.goto('/no/such/page')
  expect(response?.status()).toBe(404)
  await expect(page.getByRole('heading', { name: 'Page not found', level: 1 })).toBeVisible()
  await page.getByRole('main').getByRole('link', { name: 'Go home' }).click()
  await expect(page).toHaveURL('/')
})

test('too many login attempts get a 429 page that offers to try again', async ({ page, request }) => {
  // 120 login pages a minute per client are allowed: go over the limit from this test's own address.
  const statuses = await Promise.all(
    Array.from({ length: 125 }, () => request.get('/login').then((response) => response.status())),
  )
  expect(statuses).toContain(429)
  const response = await page.goto('/login')
  expect(response?.status()).toBe(429)
  await expect(page.getByRole('heading', { name: 'Too many requests', level: 1 })).toBeVisible()
  await expect(page.getByRole('main').getByRole('link', { name: 'Try again' })).toHaveAttribute(
    'href',
    '/login',
  )
})

test.describe('when the database is down', () => {
  const origin = e2eApps.databaseDown.origin

  test('public pages still work', async ({ page }) => {
    const response = await page.goto(`${origin}/`)
    expect(response?.status()).toBe(200)
    await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible()
  })

  test('a signed-in visitor gets a friendly 503 page', async ({ page, context }) => {
    // A validly signed session cookie: reading its row is what fails.
    const sessionCookie = createCookie('__session', { secrets: [e2eSessionSecret] })
    const [nameAndValue] = (await sessionCookie.serialize('a-session-id-that-looks-real-0123456789')).split(
      ';',
    )
    const value = nameAndValue.slice('__session='.length)
    await context.addCookies([{ name: '__session', value, url: origin }])

    const response = await page.goto(`${origin}/dashboard`)
    expect(response?.status()).toBe(503)
    await expect(page.getByRole('heading', { name: 'Service unavailable', level: 1 })).toBeVisible()
    await expect(page.getByRole('main').getByRole('link', { name: 'Try again' })).toHaveAttribute(
      'href',
      '/dashboard',
    )
    await expect(page.getByRole('main')).not.toContainText(/prisma|postgres|ECONNREFUSED/i)
  })
})
