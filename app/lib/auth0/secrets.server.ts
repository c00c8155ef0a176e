import { hkdfSync } from 'node:crypto'
import { compactDecrypt, CompactEncrypt } from 'jose'

/**
 * Authenticated encryption (JWE dir + A256GCM) under keys derived from a secret list: the first key encrypts,
 * every key decrypts, so secrets rotate without logging anyone out.
 */
export class Sealer {
  private readonly keys: Uint8Array[]

  constructor(secrets: string[], purpose: string) {
    if (secrets.length === 0 || secrets.some((secret) => secret.length === 0)) {
      throw new Error('At least one non-empty secret is required')
    }
    this.keys = secrets.map(
      (secret) => new Uint8Array(hkdfSync('sha256', secret, '', `auth0-remix-server ${purpose}`, 32)),
    )
  }

  async seal(value: unknown): Promise<string> {
    const plaintext = new TextEncoder().encode(JSON.stringify(value))
    return new CompactEncrypt(plaintext)
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(this.keys[0]!)
  }

  /** Undefined when no key opens it: tampered, forged, or sealed under a retired secret. */
  async unseal<T>(sealed: string): Promise<T | undefined> {
    for (const key of this.keys) {
      try {
        const { plaintext } = await compactDecrypt(sealed, key, { keyManagementAlgorithms: ['dir'] })
        return JSON.parse(new TextDecoder().decode(plaintext)) as T
      } catch {
        // try the next (older) key
      }
    }
    return undefined
  }
}

// Cookies whose values are sealed (or otherwise opaque): read and written without decoding.

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
