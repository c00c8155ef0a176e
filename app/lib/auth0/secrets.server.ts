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
