import AxeBuilder from '@axe-core/playwright'
import type { Page } from '@playwright/test'
import { expect, logIn, test } from './fixtures'

/**
 * Runs axe in light and dark mode and returns the serious or critical violations, with where they are. Reduced
 * motion turns the colour transitions off (the app honours it), so axe reads the final colours of the new scheme
 * rather than ones halfway through a transition.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  const found: string[] = []
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' })
    const { violations } = await new AxeBuilder({ page }).analyze()
    for (const violation of violations) {
      if (violation.impact !== 'serious' && violation.impact !== 'critical') continue
      const targets = violation.nodes.map((node) => node.target.join(' ')).join(', ')
      found.push(`${colorScheme}: ${violation.id} (${violation.impact}) at ${targets}`)
    }
  }
  return found
}

const publicPages = {
  landing: '/',
  login: '/login',
  'login with an error': '/login?error=access_denied',
  'not found': '/no/such/page',
}

test('public pages have no serious accessibility violations', async ({ page }) => {
  for (const [name, path] of Object.entries(publicPages)) {
    await test.step(name, async () => {
      await page.goto(path)
      expect(await seriousViolations(page)).toEqual([])
    })
  }
})

test('dashboard and logout confirmation have no serious accessibility violations', async ({ page }) => {
  await logIn(page)
  await page.getByRole('button', { name: 'Call the API' }).click()
  await expect(page.getByText('Hello from the protected API', { exact: true })).toBeVisible()
  await page.getByText(/^Show \d+ claims$/).click()
  expect(await seriousViolations(page)).toEqual([])

  await page.goto('/logout')
  expect(await seriousViolations(page)).toEqual([])
})

test('the skip link is the first stop and moves focus to the content', async ({ page }) => {
  await page.goto('/')
  await page.keyboard.press('Tab')
  const skip = page.getByRole('link', { name: 'Skip to content' })
  await expect(skip).toBeFocused()
  await expect(skip).toBeVisible()
  await page.keyboard.press('Enter')
  await expect(page.locator('main')).toBeFocused()
})
