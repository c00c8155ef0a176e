import { expect, logIn, test } from './fixtures'

test('the dashboard shows the session facts, the ID token claims but never a token', async ({ page }) => {
  await logIn(page)
  const facts = page.getByRole('region', { name: 'This session', exact: true })
  await expect(facts.getByText('Signed in', { exact: true })).toBeVisible()
  // With JavaScript the expiry gets a live countdown next to the date.
  await expect(facts.getByText(/^in (\d+ h \d+ min|\d+:\d\d)$/)).toBeVisible()
  await expect(facts.getByText('Last refreshed', { exact: true })).toBeVisible()
  await expect(facts.getByText('auth0|alice')).toBeVisible()

  const claims = page.getByRole('region', { name: 'ID token claims', exact: true })
  const panel = claims.locator('pre')
  await expect(panel).toBeHidden()
  await claims.getByText(/^Show \d+ claims$/).click()
  await expect(panel).toBeVisible()
  await expect(panel).toContainText('"email": "alice@example.com"')
  await expect(panel).toContainText('"sub": "auth0|alice"')

  // Tokens stay on the server: nothing that looks like a JWT or a refresh token reaches the page.
  const html = await page.content()
  expect(html).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/)
  expect(html).not.toMatch(/(access|refresh|id)_?token\\?"\s*:/i)
})

test('"Call the API" calls the protected API with the session\'s access token', async ({ page }) => {
  await logIn(page)
  await page.getByRole('button', { name: 'Call the API' }).click()
  const answer = page.getByRole('region', { name: 'Call the API', exact: true })
  await expect(answer.getByText('Hello from the protected API', { exact: true })).toBeVisible()
  await expect(answer.locator('pre')).toContainText('"subject": "auth0|alice"')
  await expect(answer.locator('pre')).toContainText('"audience"')
})

test('the header links to the dashboard with the avatar once signed in', async ({ page }) => {
  await logIn(page, undefined, 'Carol Danvers')
  await expect(page.getByRole('main').getByText('Not verified', { exact: true })).toBeVisible()
  await page.goto('/')
  await page.getByRole('link', { name: 'Signed in as Carol Danvers' }).click()
  await expect(page).toHaveURL('/dashboard')
})

test("the dashboard's actions refuse a cross-site POST", async ({ page, request }) => {
  await logIn(page)
  const cookies = await page.context().cookies()
  const cookieHeader = cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
  const response = await request.post('/dashboard', {
    headers: { Origin: 'https://evil.example', Cookie: cookieHeader },
    form: { intent: 'revoke-others' },
    maxRedirects: 0,
  })
  // Remix's own CSRF check stops it before the action (which would answer 403 itself).
  expect(response.ok()).toBe(false)
  await page.reload()
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible()
})
