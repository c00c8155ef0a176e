import { createHmac, randomBytes } from 'node:crypto'
import { SignJWT, decodeJwt, decodeProtectedHeader, type JWTPayload } from 'jose'

import type { AccessTokenTamper, IdTokenTamper } from './faults'
import { createSigningKey, publicKeyPem, type KeyRing, type SigningKey } from './keys'

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url')
const HOUR = 3600

/** Re-signs real tokens with one defect each, so a client's validation of that defect can be tested. */
export class TokenTamperer {
  #foreignKey: Promise<SigningKey> | undefined

  constructor(private readonly keys: KeyRing) {}

  async idToken(token: string, kind: IdTokenTamper): Promise<string> {
    const payload = decodeJwt(token)
    const now = Math.floor(Date.now() / 1000)
    switch (kind) {
      case 'foreign-key':
        return this.#sign(payload, await (this.#foreignKey ??= createSigningKey()), this.keys.current.kid)
      case 'unknown-kid':
        return this.#sign(payload, this.keys.current, `unknown-${randomBytes(4).toString('hex')}`)
      case 'alg-none':
        return `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}.`
      case 'hs256-public-key':
        return this.#hs256WithPublicKey(payload)
      case 'wrong-aud':
        return this.#resign({ ...payload, aud: 'another-client-id' })
      case 'wrong-iss':
        return this.#resign({ ...payload, iss: 'https://evil.example.test/' })
      case 'wrong-azp':
        return this.#resign({
          ...payload,
          aud: [String(payload.aud), 'another-client-id'],
          azp: 'another-client-id',
        })
      case 'wrong-nonce':
        return this.#resign({ ...payload, nonce: randomBytes(16).toString('base64url') })
      case 'expired':
        return this.#resign({ ...payload, iat: now - 2 * HOUR, exp: now - HOUR })
      case 'future-iat':
        return this.#resign({ ...payload, iat: now + HOUR, exp: now + 2 * HOUR })
      case 'missing-org': {
        const { org_id: _orgId, org_name: _orgName, ...rest } = payload
        return this.#resign(rest)
      }
      case 'wrong-org':
        return this.#resign({ ...payload, org_id: 'org_wrong', org_name: 'wrong' })
    }
  }

  /** Only JWT access tokens are tampered; opaque ones are returned as they are. */
  async accessToken(token: string, kind: AccessTokenTamper): Promise<string> {
    if (token.split('.').length !== 3) return token
    const payload = decodeJwt(token)
    const now = Math.floor(Date.now() / 1000)
    const typ = decodeProtectedHeader(token).typ
    switch (kind) {
      case 'wrong-aud':
        return this.#resign({ ...payload, aud: 'https://wrong-audience.example.test' }, typ)
      case 'expired':
        return this.#resign({ ...payload, iat: now - 2 * HOUR, exp: now - HOUR }, typ)
    }
  }

  #resign(payload: JWTPayload, typ = 'JWT'): Promise<string> {
    return this.#sign(payload, this.keys.current, this.keys.current.kid, typ)
  }

  #sign(payload: JWTPayload, key: SigningKey, kid: string, typ = 'JWT'): Promise<string> {
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ }).sign(key.privateKey)
  }

  /** The classic algorithm confusion attack: HMAC keyed with the published RSA public key. */
  #hs256WithPublicKey(payload: JWTPayload): string {
    const header = { alg: 'HS256', kid: this.keys.current.kid, typ: 'JWT' }
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
    const secret = publicKeyPem(this.keys.current)
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  }
}
