import { randomBytes } from 'node:crypto'

export interface SecurityOptions {
  /** The Auth0 origin: the login form's POST to /auth/auth0 redirects there, and avatars may be served from it. */
  auth0Origin: string
  /** The app's public URL: HSTS is only sent when it is https. */
  appDomain: string
  mode: 'development' | 'production' | 'test'
}

/** A fresh CSP nonce per document: 128 random bits. */
export function createNonce(): string {
  return randomBytes(16).toString('base64')
}

/**
 * Scripts run only with this response's nonce ('strict-dynamic' lets Remix's module graph load). Without a nonce
 * (data responses) no script may run at all.
 */
export function contentSecurityPolicy(options: SecurityOptions, nonce?: string): string {
  const directives = [
    "default-src 'self'",
    nonce ? `script-src 'nonce-${nonce}' 'strict-dynamic'` : "script-src 'none'",
    "style-src 'self'",
    `img-src 'self' data: ${options.auth0Origin} https:`,
    // Chrome checks form-action on every redirect a form submission follows, and /auth/auth0 redirects to Auth0.
    `form-action 'self' ${options.auth0Origin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ]
  // `remix dev` reloads the page through a websocket on its own port.
  if (options.mode === 'development') directives.push("connect-src 'self' ws:")
  return directives.join('; ')
}

/** Sets the security headers on a Remix response (documents get the nonce, data responses none). */
export function applySecurityHeaders(headers: Headers, options: SecurityOptions, nonce?: string): void {
  headers.set('Content-Security-Policy', contentSecurityPolicy(options, nonce))
  headers.set('X-Content-Type-Options', 'nosniff')
  headers.set('Referrer-Policy', 'strict-origin-when-cross-origin')
  headers.set('X-Frame-Options', 'DENY')
  headers.set('Cross-Origin-Opener-Policy', 'same-origin')
  headers.set(
    'Permissions-Policy',
    'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()',
  )
  if (options.appDomain.startsWith('https:')) {
    headers.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains')
  }
  headers.delete('X-Powered-By')
}

/**
 * CSRF guard for state-changing routes: only a request sent by this app's own pages passes. Browsers send
 * `Origin` on every POST; without it, Fetch Metadata (`Sec-Fetch-Site`) decides. Throws a 403 Response.
 */
export function assertSameOrigin(request: Request, appOrigin: string): void {
  const origin = request.headers.get('Origin')
  const site = request.headers.get('Sec-Fetch-Site')
  const crossSite = origin ? origin !== appOrigin : site !== null && site !== 'same-origin' && site !== 'none'
  if (crossSite) {
    throw new Response('Forbidden: cross-origin request', {
      status: 403,
      headers: { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8' },
    })
  }
}

const sessionCookie = /(?:^|;\s*)(?:__session|__Host-session)(?:\.\d+)?=/

/**
 * A response to a request that carried a session cookie may hold personal data: no shared cache, no
 * back/forward cache after logout. Routes that set their own `no-store` keep it.
 */
export function applyPersonalCacheControl(request: Request, headers: Headers): void {
  if (!sessionCookie.test(request.headers.get('Cookie') ?? '')) return
  if (/no-store/.test(headers.get('Cache-Control') ?? '')) return
  headers.set('Cache-Control', 'private, no-store')
}
