import { mkdirSync } from 'node:fs'
import type { BrowserContext, Page } from '@playwright/test'
import { expect, fakeClientIp, logIn, test } from './fixtures'
import { e2eApps } from './stack'

// Every run takes the screenshots; `npm run screenshots` (UPDATE_SCREENSHOTS=true) writes them over the README's
// `docs/images/*.png`, so that `npm test` leaves the work tree clean (the dashboard shows the current time).
const imagesFolder = process.env.UPDATE_SCREENSHOTS === 'true' ? 'docs/images' : 'test-results/screenshots'
const viewports = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const
type ViewportName = keyof typeof viewports

test.describe.configure({ mode: 'serial' })
test.beforeAll(() => mkdirSync(imagesFolder, { recursive: true }))

async function shoot(page: Page, name: string): Promise<void> {
  // No hover effect on whatever was clicked last.
  await page.mouse.move(0, 0)
  // Web fonts and avatars loaded, no caret or animation frozen mid-way.
  await page.evaluate(() => document.fonts.ready)
  await expect
    .poll(() => page.evaluate(() => [...document.images].every((image) => image.complete)))
    .toBe(true)
  await page.screenshot({
    path: `${imagesFolder}/${name}.png`,
    fullPage: true,
    animations: 'disabled',
    caret: 'hide',
  })
}

async function newContext(
  browser: { newContext: (options: object) => Promise<BrowserContext> },
  viewport: ViewportName,
  colorScheme: 'light' | 'dark' = 'light',
): Promise<Page> {
  const context = await browser.newContext({
    viewport: viewports[viewport],
    deviceScaleFactor: 1,
    colorScheme,
    isMobile: viewport === 'phone',
    hasTouch: viewport === 'phone',
    extraHTTPHeaders: { 'X-Forwarded-For': fakeClientIp() },
  })
  return context.newPage()
}

for (const viewport of Object.keys(viewports) as ViewportName[]) {
  test(`landing and login (${viewport})`, async ({ browser }) => {
    const page = await newContext(browser, viewport)
    await page.goto(`${e2eApps.formPost.origin}/`)
    await shoot(page, `landing-${viewport}`)
    await page.goto(`${e2eApps.formPost.origin}/login`)
    await shoot(page, `login-${viewport}`)
    if (viewport === 'desktop') {
      await page.getByRole('button', { name: 'Continue', exact: true }).click()
      await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible()
      await shoot(page, 'emulator-login-desktop')
    }
    await page.context().close()
  })
}

test('dashboard (desktop, phone, dark)', async ({ browser }) => {
  const desktop = await newContext(browser, 'desktop')
  await logIn(desktop, e2eApps.formPost.origin, 'Bob Builder')
  // Only this run's two browsers in the session list.
  const revokeOthers = desktop.getByRole('button', { name: 'Log out other sessions' })
  if (await revokeOthers.isVisible()) {
    await revokeOthers.click()
    await expect(desktop.getByRole('status')).toBeVisible()
  }
  const phone = await newContext(browser, 'phone')
  await logIn(phone, e2eApps.formPost.origin, 'Bob Builder')
  await shoot(phone, 'dashboard-phone')

  await desktop.goto(`${e2eApps.formPost.origin}/dashboard`)
  await desktop.getByRole('button', { name: 'Call the API' }).click()
  await expect(desktop.getByText('Hello from the protected API', { exact: true })).toBeVisible()
  await shoot(desktop, 'dashboard-desktop')

  await desktop.emulateMedia({ colorScheme: 'dark' })
  await desktop.goto(`${e2eApps.formPost.origin}/dashboard`)
  await shoot(desktop, 'dashboard-desktop-dark')

  await desktop.context().close()
  await phone.context().close()
})
