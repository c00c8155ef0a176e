import { randomBytes } from 'node:crypto'
import { isCrossOrigin, type HeaderReader } from '~/lib/auth0'

export interface SecurityOptions {
  /** The Auth0 origin: the login form's POST to /auth/auth0 redirects there, and avatars may be served from it. */
  auth0Origin: string
  /** Whether the app is served over https: only then is HSTS sent. */
  https: boolean
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
  if (options.https) {
    headers.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains')
  }
  headers.delete('X-Powered-By')
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])
/** Auth0 posts here from its own origin by design: the form_post callback and the back-channel logout. */
const crossSiteEndpoints = new Set(['/auth/callback', '/auth/backchannel-logout'])

/**
 * The server's guard in front of Remix: a cross-origin write to any route but Auth0's two endpoints. Remix's own
 * check for page actions throws (an empty 500); this answers 403 before Remix sees the request.
 */
export function isRefusedCrossOriginWrite(
  method: string,
  pathname: string,
  headers: HeaderReader,
  appOrigin: string,
): boolean {
  if (safeMethods.has(method.toUpperCase())) return false
  // Remix matches routes case-insensitively and ignores a trailing slash.
  if (crossSiteEndpoints.has(pathname.toLowerCase().replace(/\/+$/, ''))) return false
  return isCrossOrigin(headers, appOrigin)
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
