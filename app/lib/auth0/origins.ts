/**
 * Host, origin and redirect rules the library and its app share, so there is one of each: which hosts are this
 * machine, which requests came from the app's own pages, and which redirect targets stay on the app.
 */

/**
 * A host name that can only mean this machine: `localhost`, `*.localhost` (RFC 6761), 127.0.0.0/8 and `[::1]`.
 * Browsers treat plain http there as a secure context (Secure cookies work), and only there may Auth0 be a plain
 * http emulator.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  )
}

/** Where browsers keep Secure cookies: https, and http on a loopback host. */
export function isSecureContext(url: URL): boolean {
  return url.protocol === 'https:' || isLoopbackHost(url.hostname)
}

/** Anything that reads request headers by name: a Fetch `Headers`, or a Node server's `req.get` wrapped. */
export interface HeaderReader {
  get(name: string): string | null
}

/**
 * Browsers send `Origin` on every POST; without it, Fetch Metadata (`Sec-Fetch-Site`) decides. A request with
 * neither (curl, a server) is not a browser acting for a user, so CSRF does not apply to it.
 */
export function isCrossOrigin(headers: HeaderReader, appOrigin: string): boolean {
  const origin = headers.get('Origin')
  const site = headers.get('Sec-Fetch-Site')
  return origin ? origin !== appOrigin : site !== null && site !== 'same-origin' && site !== 'none'
}

/**
 * The CSRF guard for state-changing actions (login start, logout, the app's own forms): only a request sent by
 * the app's own pages passes; anything else is thrown as a 403 Response.
 */
export function assertSameOrigin(request: Request, appOrigin: string): void {
  if (isCrossOrigin(request.headers, appOrigin)) {
    throw new Response('Forbidden: cross-origin request', {
      status: 403,
      headers: { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8' },
    })
  }
}

/**
 * Returns `to` when it is a path on this app, otherwise `fallback`. Rejects every way of naming another origin:
 * `//evil`, `/\evil`, `https:evil`, `javascript:`, encoded slashes and backslashes, control characters.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/'): string {
  if (typeof to !== 'string' || to.length === 0 || to.length > 2048) return fallback
  if (!to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback
  let decoded = to
  try {
    // Decoding twice catches %2f%2f and %252f%252f style payloads that a later hop might decode.
    decoded = decodeURIComponent(decodeURIComponent(to))
  } catch {
    return fallback
  }
  // eslint-disable-next-line no-control-regex
  if (decoded.startsWith('//') || decoded.startsWith('/\\') || /[\u0000-\u001f\u007f\\]/.test(decoded))
    return fallback
  const base = 'http://app.invalid'
  const url = new URL(to, base)
  const normalized = url.pathname + url.search + url.hash
  // Dot segments can fold into a protocol-relative path: /@evil/..// becomes //
  if (url.origin !== base || normalized.startsWith('//')) return fallback
  return normalized
}

/** The page a request is for (single-fetch `.data` URLs mapped back), for `returnTo` when a guard redirects. */
export function currentPath(request: Request): string {
  const url = new URL(request.url)
  url.searchParams.delete('_data')
  url.searchParams.delete('_routes')
  const pathname = url.pathname === '/_root.data' ? '/' : url.pathname.replace(/\.data$/, '')
  return pathname + url.search
}

/** `target` (a path or URL) with `query` set on it; paths stay paths. */
export function withQuery(target: string, query: Record<string, string>): string {
  const url = new URL(target, 'http://app.invalid')
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  return url.origin === 'http://app.invalid' ? url.pathname + url.search + url.hash : url.href
}
