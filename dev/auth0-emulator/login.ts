/**
 * Browserless login for integration tests: drives the emulator's own login form over HTTP and returns what
 * a browser would then send to the app's redirect_uri.
 */

export type CallbackRequest =
  { method: 'GET'; url: string } | { method: 'POST'; url: string; body: URLSearchParams }

interface StoredCookie {
  value: string
  path: string
}

/** A tiny cookie jar for the emulator's own cookies (one host; honours Path and deletion). */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>()

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';')
      const separator = pair.indexOf('=')
      if (separator < 1) continue
      const name = pair.slice(0, separator).trim()
      const value = pair.slice(separator + 1).trim()
      const attribute = (key: string) =>
        attributes
          .map((part) => part.trim())
          .find((part) => part.toLowerCase().startsWith(`${key}=`))
          ?.slice(key.length + 1)
      const expires = attribute('expires')
      const maxAge = attribute('max-age')
      const expired =
        (expires && Date.parse(expires) <= Date.now()) || (maxAge !== undefined && Number(maxAge) <= 0)
      if (expired || value === '') this.#cookies.delete(name)
      else this.#cookies.set(name, { value, path: attribute('path') ?? '/' })
    }
  }

  header(url: string): string {
    const { pathname } = new URL(url)
    return [...this.#cookies]
      .filter(
        ([, cookie]) => pathname === cookie.path || pathname.startsWith(cookie.path.replace(/\/?$/, '/')),
      )
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ')
  }
}

export interface CompleteLoginOptions {
  /** A configured user's email, or a new one with `signup`. */
  email: string
  /** Reuse it across calls to keep the IdP session (prompt=none, SSO). */
  jar?: CookieJar
  /** Use the sign-up form (creates the user). */
  signup?: boolean
  /** Display name for `signup`. */
  name?: string
}

const MAX_STEPS = 10

export async function completeLogin(
  authorizeUrl: string,
  options: CompleteLoginOptions,
): Promise<CallbackRequest> {
  const jar = options.jar ?? new CookieJar()
  const emulatorOrigin = new URL(authorizeUrl).origin
  let request: { url: string; init?: RequestInit } = { url: authorizeUrl }
  let submittedLogin = false

  for (let step = 0; step < MAX_STEPS; step++) {
    const response = await send(jar, request.url, request.init)
    const location = response.headers.get('location')
    if (location && response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      const next = new URL(location, request.url)
      if (next.origin !== emulatorOrigin) return { method: 'GET', url: next.href }
      request = { url: next.href }
      continue
    }

    const html = await response.text()
    const form = autoSubmitForm(html)
    if (form) {
      const target = new URL(form.url, request.url)
      if (target.origin !== emulatorOrigin) return { ...form, url: target.href }
      // The emulator posting to itself, e.g. ending the previous user's session when another one logs in.
      request = { url: target.href, init: { method: 'POST', body: form.body } }
      continue
    }

    const { pathname } = new URL(request.url)
    if (/^\/u\/login\/[\w-]+$/.test(pathname) && !submittedLogin) {
      submittedLogin = true
      const form = new URLSearchParams({ email: options.email })
      if (options.signup) form.set('name', options.name ?? '')
      const action = options.signup ? `${pathname}/signup` : pathname
      request = { url: new URL(action, request.url).href, init: { method: 'POST', body: form } }
      continue
    }
    throw new Error(`emulator login stopped at ${request.url} (${response.status}): ${pageText(html)}`)
  }
  throw new Error(`emulator login did not reach the app after ${MAX_STEPS} requests`)
}

async function send(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  const cookie = jar.header(url)
  if (cookie) headers.set('cookie', cookie)
  const response = await fetch(url, { ...init, headers, redirect: 'manual' })
  jar.store(response)
  return response
}

/** oidc-provider's self-submitting forms; with response_mode=form_post one carries code/state to the app. */
function autoSubmitForm(html: string): { method: 'POST'; url: string; body: URLSearchParams } | undefined {
  if (!html.includes('document.forms[0].submit()')) return undefined
  const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
  if (!form?.[1]) return undefined
  const action = decodeEntities(form[1])
  const body = new URLSearchParams()
  for (const input of (form[2] ?? '').matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1]
    const value = /value="([^"]*)"/.exec(input[0])?.[1]
    if (name !== undefined) body.append(decodeEntities(name), decodeEntities(value ?? ''))
  }
  return { method: 'POST', url: action, body }
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[\da-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, entity: string) => {
    const lower = entity.toLowerCase()
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith('#')) return String.fromCodePoint(Number(lower.slice(1)))
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower] ?? ''
  })
}

function pageText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
}
