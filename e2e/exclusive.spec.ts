import { EmulatorControl } from '../dev/auth0-emulator/control'
import { expect, fakeClientIp, logIn, test } from './fixtures'
import { e2eApps, e2eEmulator } from './stack'

// These tests change state other tests would see (emulator faults, all of Alice's sessions): the `exclusive`
// project runs them one at a time, after every other test.
test.describe.configure({ mode: 'serial' })

const emulator = new EmulatorControl(e2eEmulator.origin)

test.afterEach(async () => {
  await emulator.clearFaults()
})

test('a failed login lands on the login page with a friendly message', async ({ page }) => {
  await page.goto('/login')
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  await expect(page.getByRole('button', { name: /^Alice Liddell/ })).toBeVisible()
  // Auth0's token endpoint fails while the code is redeemed.
  await emulator.setFaults({ token: { status: 503, times: 5 } })
  await page.getByRole('button', { name: /^Alice Liddell/ }).click()

  await expect(page).toHaveURL('/login?error=auth0_down')
  await expect(page.getByRole('alert').getByRole('heading')).toHaveText('Sign-in is temporarily unavailable')
  expect((await page.context().cookies()).map((cookie) => cookie.name)).not.toContain('__session')

  await emulator.clearFaults()
  await page.getByRole('alert').getByRole('button', { name: 'Try again' }).click()
  // The emulator kept its session: straight back in.
  await expect(page).toHaveURL('/dashboard')
})

test('an ID token that fails validation is refused', async ({ page }) => {
  await emulator.setFaults({ idToken: { tamper: 'wrong-nonce', times: 1 } })
  await page.goto('/login')
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  await page.getByRole('button', { name: /^Alice Liddell/ }).click()
  await expect(page).toHaveURL('/login?error=id_token_invalid')
  await expect(page.getByRole('alert').getByRole('heading')).toHaveText("We couldn't verify your sign-in")
})

test('"Log out other sessions" signs out Alice\'s other browser', async ({ page, browser }) => {
  const origin = e2eApps.formPost.origin
  await logIn(page, origin)
  // Earlier tests left sessions of Alice behind: start from this one alone.
  const revokeOthers = page.getByRole('button', { name: 'Log out other sessions' })
  if (await revokeOthers.isVisible()) {
    await revokeOthers.click()
    await expect(page.getByRole('status')).toContainText(/Logged out \d+ other session/)
  }
  const sessions = page.getByRole('list', { name: 'Active sessions' }).getByRole('listitem')
  await expect(sessions).toHaveCount(1)

  const other = await browser.newContext({ extraHTTPHeaders: { 'X-Forwarded-For': fakeClientIp() } })
  const otherPage = await other.newPage()
  await logIn(otherPage, origin)

  await page.reload()
  await expect(sessions).toHaveCount(2)
  await expect(page.getByText('This browser')).toHaveCount(1)
  await page.getByRole('button', { name: 'Log out other sessions' }).click()
  await expect(page.getByRole('status')).toHaveText('Logged out 1 other session.')
  await expect(sessions).toHaveCount(1)

  // The other browser finds out on its next navigation.
  await otherPage.goto(`${origin}/dashboard`)
  await expect(otherPage).toHaveURL(/\/login\?returnTo=%2Fdashboard/)
  await other.close()

  // This one is still signed in.
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible()
})
