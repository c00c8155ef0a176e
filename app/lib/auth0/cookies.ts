/** Cookie names and values of a request, without decoding (values are opaque tokens here). */
export function readCookies(request: Request): Map<string, string> {
  return parseCookieHeader(request.headers.get('Cookie'))
}

/** The first value of each cookie name in a Cookie header. */
export function parseCookieHeader(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=')
    if (index <= 0) continue
    const name = part.slice(0, index).trim()
    if (!cookies.has(name)) cookies.set(name, part.slice(index + 1).trim())
  }
  return cookies
}

export interface CookieAttributes {
  maxAge: number
  path: string
  sameSite: 'Lax' | 'None' | 'Strict'
  secure: boolean
  httpOnly?: boolean
}

/** Serialises a cookie whose value is already URL-safe (base64url, JWE compact). */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  const parts = [`${name}=${value}`, `Path=${attributes.path}`, `Max-Age=${attributes.maxAge}`]
  if (attributes.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  if (attributes.httpOnly !== false) parts.push('HttpOnly')
  if (attributes.secure) parts.push('Secure')
  parts.push(`SameSite=${attributes.sameSite}`)
  return parts.join('; ')
}
