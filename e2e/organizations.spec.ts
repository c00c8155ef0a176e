import type { BrowserContext, Page } from '@playwright/test'
import { emulatorLoginPage, expect, logIn, pickEmulatorUser, test } from './fixtures'
import { e2eApps, e2eEmulator } from './stack'

const app = e2eApps.formPost

async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies(app.origin)).find((cookie) => cookie.name === '__session')?.value
}

const panel = (page: Page) => page.getByRole('region', { name: 'Organization', exact: true })

// The e2e emulator's alice belongs to Acme and Globex (dev/auth0-emulator/config.ts).
test('switches organization from the dashboard without logging out, and through the login page when Auth0 asks', async ({
  page,
  context,
}) => {
  await logIn(page, app.origin)
  await expect(panel(page)).toContainText('You are not signed in to an organization.')

  // Silent: Auth0's session answers prompt=none, no page is shown.
  const before = await sessionCookie(context)
  await panel(page).getByRole('button', { name: 'Switch to Globex Corporation' }).click()
  await expect(page).toHaveURL(`${app.origin}/dashboard`)
  await expect(panel(page).getByTestId('current-organization')).toHaveText('Globex Corporation')
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible()
  const after = await sessionCookie(context)
  expect(after).toBeTruthy()
  expect(after).not.toBe(before)

  // Auth0's session is gone (it expired, or was ended elsewhere): login_required sends the user to log in.
  await context.clearCookies({ domain: new URL(e2eEmulator.origin).hostname })
  await panel(page).getByRole('button', { name: 'Switch to Acme Inc.' }).click()
  await expect(page).toHaveURL(/\/login\?/)
  const query = new URL(page.url()).searchParams
  expect([query.get('error'), query.get('organization'), query.get('returnTo')]).toEqual([
    'login_required',
    'org_acme',
    '/dashboard',
  ])
  // Still signed in meanwhile: the old session was never touched.
  expect(await sessionCookie(context)).toBe(after)
  await page.getByRole('alert').getByRole('button', { name: 'Sign in again' }).click()
  await expect(page).toHaveURL(emulatorLoginPage)
  await expect(page.getByText('Organization: Acme Inc.')).toBeVisible()
  await pickEmulatorUser(page)
  await expect(page).toHaveURL(`${app.origin}/dashboard`)
  await expect(panel(page).getByTestId('current-organization')).toHaveText('Acme Inc.')
  await expect(panel(page).getByRole('button', { name: 'Switch to Globex Corporation' })).toBeVisible()
})

test('a switch Auth0 refuses comes back to the dashboard with the session kept; one from another site is refused', async ({
  page,
  context,
}) => {
  await logIn(page, app.origin)
  const before = await sessionCookie(context)
  // No such organization at Auth0: invalid_request comes back to where the switch started.
  await page.evaluate(() => {
    const form = Object.assign(document.createElement('form'), {
      method: 'post',
      action: '/auth/organization',
    })
    for (const [name, value] of [
      ['organization', 'org_initech'],
      ['returnTo', '/dashboard'],
    ]) {
      form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }))
    }
    document.body.append(form)
    form.submit()
  })
  await expect(page).toHaveURL(`${app.origin}/dashboard?error=invalid_request`)
  await expect(panel(page).getByRole('alert')).toContainText('The organization was not switched.')
  expect(await sessionCookie(context)).toBe(before)

  const response = await page.request.post(`${app.origin}/auth/organization`, {
    form: { organization: 'org_globex', returnTo: '/dashboard' },
    headers: { Origin: 'https://evil.example' },
    maxRedirects: 0,
  })
  expect(response.status()).toBe(403)
  expect(await sessionCookie(context)).toBe(before)
})
