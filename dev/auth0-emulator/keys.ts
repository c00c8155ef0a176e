import { KeyObject, randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** Private JWK with kid, alg and use: what oidc-provider's `jwks` option takes. */
  privateJwk: JWK
}

export async function createSigningKey(kid = `emu-${randomBytes(6).toString('hex')}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' }
  return { kid, privateKey, publicKey, privateJwk }
}

/** SPKI PEM as Node (and most tooling) writes it, trailing newline included. */
export function publicKeyPem(key: SigningKey): string {
  return KeyObject.from(key.publicKey).export({ type: 'spki', format: 'pem' }).toString()
}

/** The signing keys: the first one signs, the others stay published in the JWKS until dropped. */
export class KeyRing {
  #keys: SigningKey[]

  private constructor(keys: SigningKey[]) {
    this.#keys = keys
  }

  static async create(): Promise<KeyRing> {
    return new KeyRing([await createSigningKey()])
  }

  get current(): SigningKey {
    const [current] = this.#keys
    if (!current) throw new Error('key ring is empty')
    return current
  }

  get jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((key) => key.privateJwk) }
  }

  /** What the JWKS endpoint publishes, for checking tokens inside the emulator. */
  get publicJwks(): { keys: JWK[] } {
    return {
      keys: this.#keys.map(({ privateJwk: { kid, alg, use, kty, n, e } }) => ({ kid, alg, use, kty, n, e })),
    }
  }

  async rotate({ keepOld = false }: { keepOld?: boolean } = {}): Promise<SigningKey> {
    const next = await createSigningKey()
    this.#keys = keepOld ? [next, ...this.#keys] : [next]
    return next
  }
}
