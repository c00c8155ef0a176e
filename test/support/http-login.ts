import { completeLogin, type CallbackRequest } from '../../dev/auth0-emulator/login'
import { type AppBrowser, location } from './browser'

/**
 * The one way the suites log in over HTTP, as a browser does: the app's login form, the emulator's page, then the
 * callback (form_post: Auth0's cross-site POST and the app's same-site GET bounce; query: one GET).
 */

/** How the browser reaches the app (the proxy suite's users each connect from their own address). */
type Fetch = (request: Request, init: { redirect: 'manual' }) => Promise<Response>

export interface HttpLoginOptions {
  email?: string
  returnTo?: string
  fetch?: Fetch
}

const send = (browser: AppBrowser, request: Request, fetch: Fetch = globalThis.fetch) =>
  fetch(request, { redirect: 'manual' }).then((response) => browser.store(response))

/** Starts a login at the app and signs in at the emulator; returns the callback Auth0 would send back. */
export async function beginLogin(
  browser: AppBrowser,
  options: HttpLoginOptions = {},
): Promise<{ authorizeUrl: URL; callback: CallbackRequest }> {
  const form: Record<string, string> = options.returnTo ? { returnTo: options.returnTo } : {}
  const started = await send(browser, browser.post('/auth/auth0', form), options.fetch)
  if (started.status !== 302) throw new Error(`Login start answered ${started.status}`)
  const authorizeUrl = location(started)
  const callback = await completeLogin(authorizeUrl.href, { email: options.email ?? 'alice@example.com' })
  return { authorizeUrl, callback }
}

/** Delivers the callback as a browser does; returns the app's last answer (a redirect on success). */
export async function deliverCallback(
  browser: AppBrowser,
  callback: CallbackRequest,
  options: Pick<HttpLoginOptions, 'fetch'> = {},
): Promise<Response> {
  const url = new URL(callback.url)
  const path = url.pathname + url.search
  if (callback.method === 'GET') return send(browser, browser.request(path), options.fetch)
  const held = await send(
    browser,
    browser.request(path, {
      method: 'POST',
      body: callback.body,
      crossSite: true,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'null' },
    }),
    options.fetch,
  )
  if (held.status !== 303) return held
  const next = location(held)
  return send(browser, browser.request(next.pathname + next.search), options.fetch)
}

/** The whole login; on success the answer redirects to the dashboard (or `returnTo`). */
export async function httpLogin(browser: AppBrowser, options: HttpLoginOptions = {}): Promise<Response> {
  const { callback } = await beginLogin(browser, options)
  return deliverCallback(browser, callback, options)
}
