import { randomInt } from 'node:crypto'
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test'
import { e2eApps, e2eEmulator } from './stack'

/**
 * A made-up client address per test (the apps trust X-Forwarded-For in e2e), so the per-client login rate limit
 * never adds up across tests.
 */
export function fakeClientIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`
}

export const test = base.extend({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern.
  extraHTTPHeaders: async ({}, provide) => {
    await provide({ 'X-Forwarded-For': fakeClientIp() })
  },
})

export { expect }

/** The emulator's login and sign-up pages (Auth0's Universal Login lives under /u/login/<id>). */
export const emulatorLoginPage = new RegExp(`^${e2eEmulator.origin}/u/login/`)

/** On the emulator's login page: picks a test user by name ("Alice Liddell", "Bob Builder"). */
export async function pickEmulatorUser(page: Page, name = 'Alice Liddell'): Promise<void> {
  await expect(page).toHaveURL(emulatorLoginPage)
  await page.getByRole('button', { name: new RegExp(`^${name}`) }).click()
}

/** The whole login from the app's login page, landing on the dashboard. */
export async function logIn(page: Page, origin: string = e2eApps.formPost.origin, name?: string) {
  await page.goto(`${origin}/login`)
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  await pickEmulatorUser(page, name)
  await expect(page).toHaveURL(`${origin}/dashboard`)
  await expect(page.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible()
}

/** Names of the cookies the browser holds for the app. */
export async function appCookieNames(context: BrowserContext, origin: string): Promise<string[]> {
  return (await context.cookies(origin)).map((cookie) => cookie.name)
}
