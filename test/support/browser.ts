interface StoredCookie {
  value: string
  sameSite: string
}

/**
 * A minimal cookie-keeping "browser" for integration tests that call the library directly: it stores the
 * app's Set-Cookie headers (honouring Max-Age=0 deletion) and sends them back; on a cross-site POST it sends
 * only SameSite=None cookies, as Chromium does (the e2e suite checks the real thing).
 */
export class AppBrowser {
  readonly cookies = new Map<string, StoredCookie>()

  constructor(readonly origin = 'http://localhost:3999') {}

  /** Another browser holding a copy of these cookies (a copied cookie, or a second tab's view of them). */
  clone(): AppBrowser {
    const copy = new AppBrowser(this.origin)
    for (const [name, cookie] of this.cookies) copy.cookies.set(name, { ...cookie })
    return copy
  }

  header(crossSitePost = false): string {
    return [...this.cookies]
      .filter(([, cookie]) => !crossSitePost || cookie.sameSite === 'none')
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ')
  }

  value(name: string): string | undefined {
    return this.cookies.get(name)?.value
  }

  /** Takes the cookies of a `Cookie` header as its own (e.g. createTestSession's). */
  adopt(cookieHeader: string): this {
    for (const pair of cookieHeader.split(';')) {
      const index = pair.indexOf('=')
      this.cookies.set(pair.slice(0, index).trim(), { value: pair.slice(index + 1).trim(), sameSite: 'lax' })
    }
    return this
  }

  store(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const index = pair!.indexOf('=')
      const name = pair!.slice(0, index).trim()
      const value = pair!.slice(index + 1).trim()
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === ''
      const sameSite = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('samesite='))
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, { value, sameSite: sameSite?.slice('samesite='.length) ?? 'lax' })
    }
    return response
  }

  request(path: string, init: RequestInit & { crossSite?: boolean } = {}): Request {
    const headers = new Headers(init.headers)
    const cookie = this.header(init.crossSite === true && init.method === 'POST')
    if (cookie) headers.set('Cookie', cookie)
    if (init.method === 'POST' && !headers.has('Origin') && !init.crossSite)
      headers.set('Origin', this.origin)
    return new Request(new URL(path, this.origin), { ...init, headers })
  }

  /** A form POST from one of the app's own pages. */
  post(path: string, form: Record<string, string> = {}): Request {
    return this.request(path, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
  }
}

/** Runs a library call that answers by throwing a Response (Remix style) and returns that Response. */
export async function responseOf(run: () => Promise<unknown>): Promise<Response> {
  try {
    const value = await run()
    if (value instanceof Response) return value
  } catch (thrown) {
    if (thrown instanceof Response) return thrown
    throw thrown
  }
  throw new Error('Expected a Response')
}

export function location(response: Response): URL {
  const value = response.headers.get('Location')
  if (!value) throw new Error(`No Location header (status ${response.status})`)
  return new URL(value, 'http://localhost:3999')
}
