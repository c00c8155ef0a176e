/**
 * Host and origin rules the library and its app share, so there is one of each: which hosts are this machine,
 * and which requests came from the app's own pages.
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
