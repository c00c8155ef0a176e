import type { Page } from '@playwright/test'
import { appCookieNames, emulatorLoginPage, expect, logIn, pickEmulatorUser, test } from './fixtures'
import { e2eApps } from './stack'

async function expectLoggedOutLanding(page: Page, origin: string) {
  await expect(page).toHaveURL(`${origin}/`)
  await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible()
  await expect(page.getByText('Signed in as')).toHaveCount(0)
}

const headline = [
  { ...e2eApps.formPost, strategy: 'server' },
  { ...e2eApps.query, strategy: 'server' },
  { ...e2eApps.browser, strategy: 'browser' },
]

for (const app of headline) {
  test.describe(`${app.strategy} strategy, response_mode=${app.responseMode}`, () => {
    test('log in as Alice from the landing page, see the dashboard, log out', async ({ page, context }) => {
      await page.goto(`${app.origin}/`)
      await expectLoggedOutLanding(page, app.origin)
      await page.getByRole('link', { name: 'Log in' }).click()

      await expect(page).toHaveURL(`${app.origin}/login`)
      await page.getByRole('button', { name: 'Continue', exact: true }).click()
      await pickEmulatorUser(page, 'Alice Liddell')

      await expect(page).toHaveURL(`${app.origin}/dashboard`)
      const main = page.getByRole('main')
      await expect(main.getByText('Alice Liddell', { exact: true })).toBeVisible()
      await expect(main.getByText('alice@example.com', { exact: true })).toBeVisible()
      await expect(main.getByText('Verified', { exact: true })).toBeVisible()
      const avatar = main.locator('img[src$="/avatars/alice.svg"]')
      await expect(avatar).toBeVisible()
      expect(await avatar.evaluate((image: HTMLImageElement) => image.naturalWidth)).toBeGreaterThan(0)

      const cookies = await context.cookies(app.origin)
      const session = cookies.find((cookie) => cookie.name === '__session')
      expect(session, 'session cookie').toBeDefined()
      expect(session).toMatchObject({ sameSite: 'Lax', httpOnly: true, path: '/' })
      const leftovers = cookies.filter((cookie) => /^__a0tx_|^__a0cb/.test(cookie.name))
      expect(leftovers.map((cookie) => cookie.name)).toEqual([])

      // The landing page knows who is signed in.
      await page.goto(`${app.origin}/`)
      await expect(page.getByText('Signed in as')).toContainText('Alice Liddell')

      await page.goto(`${app.origin}/dashboard`)
      await page.getByRole('main').getByRole('link', { name: 'Log out' }).click()
      await expect(page).toHaveURL(`${app.origin}/logout`)
      await expect(page.getByRole('heading', { name: 'Log out?' })).toBeVisible()
      await page.getByRole('main').getByRole('button', { name: 'Log out' }).click()

      await expectLoggedOutLanding(page, app.origin)
      expect(await appCookieNames(context, app.origin)).not.toContain('__session')
      await page.goto(`${app.origin}/dashboard`)
      await expect(page).toHaveURL(`${app.origin}/login?returnTo=%2Fdashboard`)
    })
  })
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false })

  test('the whole flow works with plain forms and redirects', async ({ page }) => {
    const origin = e2eApps.formPost.origin
    await page.goto(`${origin}/`)
    await page.getByRole('button', { name: 'Log in', exact: true }).click()
    await pickEmulatorUser(page, 'Alice Liddell')
    // Auth0's form_post page submits itself with a script; without one it shows a button.
    await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:3335\/authorize\//)
    await page.getByRole('button', { name: 'Continue' }).click()
    await expect(page).toHaveURL(`${origin}/dashboard`)
    await expect(page.getByRole('main').getByText('alice@example.com', { exact: true })).toBeVisible()
    // Without JavaScript the expiry is a plain date; the live countdown is an enhancement.
    await expect(page.getByText(/UTC$/).first()).toBeVisible()

    await page.getByRole('button', { name: 'Call the API' }).click()
    await expect(page.getByText('Hello from the protected API', { exact: true })).toBeVisible()

    await page.goto(`${origin}/logout`)
    await page.getByRole('main').getByRole('button', { name: 'Log out' }).click()
    await expectLoggedOutLanding(page, origin)
  })
})

test.describe('returnTo', () => {
  test('a protected page sends you to log in and brings you back', async ({ page }) => {
    const origin = e2eApps.query.origin
    await page.goto(`${origin}/dashboard`)
    await expect(page).toHaveURL(`${origin}/login?returnTo=%2Fdashboard`)
    await page.getByRole('button', { name: 'Continue', exact: true }).click()
    await pickEmulatorUser(page)
    await expect(page).toHaveURL(`${origin}/dashboard`)
  })

  test('an open redirect lands on the dashboard', async ({ page }) => {
    const origin = e2eApps.formPost.origin
    for (const evil of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      await test.step(evil, async () => {
        await page.goto(`${origin}/login?returnTo=${encodeURIComponent(evil)}`)
        await page.getByRole('button', { name: 'Continue', exact: true }).click()
        // The first round logs in at the emulator; later rounds come straight back (SSO).
        await page.waitForURL((url) => url.pathname === '/dashboard' || url.pathname.startsWith('/u/login/'))
        if (page.url().includes('/u/login/')) await pickEmulatorUser(page)
        await expect(page).toHaveURL(`${origin}/dashboard`)
      })
    }
  })
})

test('"Create an account" and "Sign up" open the sign-up page; a new account lands on the dashboard', async ({
  page,
}) => {
  const origin = e2eApps.formPost.origin
  const email = `new-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`
  await page.goto(`${origin}/login`)
  await page.getByRole('button', { name: 'Create an account' }).click()
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible()

  await page.goto(`${origin}/`)
  await page.getByRole('button', { name: 'Sign up' }).click()
  await expect(page).toHaveURL(emulatorLoginPage)
  await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible()
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Full name').fill('Dana Scully')
  await page.getByRole('button', { name: 'Sign up' }).click()

  await expect(page).toHaveURL(`${origin}/dashboard`)
  await expect(page.getByRole('main').getByText(email, { exact: true })).toBeVisible()
  await expect(page.getByRole('main').getByText('Not verified', { exact: true })).toBeVisible()
})

test('"Continue with Google" asks for the google-oauth2 connection', async ({ page }) => {
  await page.goto('/login')
  await page.getByRole('button', { name: 'Continue with Google' }).click()
  await expect(page).toHaveURL(emulatorLoginPage)
  await expect(page.getByText('Continue with google-oauth2')).toBeVisible()
  await pickEmulatorUser(page, 'Bob Builder')
  await expect(page).toHaveURL('/dashboard')
  await expect(page.getByRole('main').getByText('bob@example.com', { exact: true })).toBeVisible()
})

test('step-up and invitation parameters reach Auth0', async ({ page }) => {
  await page.goto(
    '/login?returnTo=%2Fdashboard&maxAge=60&acr=http%3A%2F%2Fschemas.openid.net%2Fpape%2Fpolicies%2F2007%2F06%2Fmulti-factor&error=reauthentication_required',
  )
  await expect(page.getByRole('alert')).toContainText('Please confirm it is you')
  const authorize = page.waitForRequest((request) => request.url().includes('/authorize?'))
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  const query = new URL((await authorize).url()).searchParams
  expect(query.get('max_age')).toBe('60')
  expect(query.get('acr_values')).toBe('http://schemas.openid.net/pape/policies/2007/06/multi-factor')
  await pickEmulatorUser(page)
  await expect(page).toHaveURL('/dashboard')
  await page.getByText(/Show \d+ claims/).click()
  await expect(page.getByRole('main').locator('pre')).toContainText('"acr": "http://schemas.openid.net')
})

test('an organization invitation link is passed on', async ({ page }) => {
  await page.goto('/login?organization=org_acme&invitation=inv_123')
  const authorize = page.waitForRequest((request) => request.url().includes('/authorize?'))
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  const query = new URL((await authorize).url()).searchParams
  expect(query.get('organization')).toBe('org_acme')
  expect(query.get('invitation')).toBe('inv_123')
  await expect(page.getByText('Organization: Acme Inc.')).toBeVisible()
})

test('logging in again on the login page keeps you logged in (SSO)', async ({ page }) => {
  await logIn(page)
  await page.goto('/login')
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  // The emulator still has a session: straight back, no login page.
  await expect(page).toHaveURL('/dashboard')
})
