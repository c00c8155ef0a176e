// DPoP (RFC 9449): the session's key pair, kept sealed in the server-side session, and the resource server's
// check of a DPoP-bound access token with its proof.
import { createHash } from 'node:crypto'
import {
  calculateJwkThumbprint,
  EmbeddedJWK,
  errors as joseErrors,
  jwtVerify,
  type JWK,
  type JWTPayload,
} from 'jose'
import * as oauth from 'oauth4webapi'
import { AuthError, AuthErrorCode } from './errors'
import type { Sealer } from './secrets.server'

/** The one signing algorithm: ES256 is what every DPoP server supports (Auth0 included). */
const algorithm = 'ES256'
const keyImport = { name: 'ECDSA', namedCurve: 'P-256' } as const
/** Handles are kept so that the server's nonce (cached in each handle) outlives a request. */
const maxCachedHandles = 1000

interface SealedKeyPair {
  privateJwk: JWK
  publicJwk: JWK
}

/**
 * The session's DPoP key pair: generated at the callback, sealed (the library's AEAD) into the session row, and
 * opened with a non-extractable private key. One oauth4webapi handle per key, which also remembers the server's
 * DPoP nonce between requests.
 */
export class DPoPKeys {
  private readonly handles = new Map<string, Promise<oauth.DPoPHandle>>()

  constructor(
    private readonly sealer: Sealer,
    private readonly client: oauth.Client,
  ) {}

  /** A new key pair, its handle, and the sealed form that goes into the session. */
  async create(): Promise<{ handle: oauth.DPoPHandle; sealed: string }> {
    const keyPair = await oauth.generateKeyPair(algorithm, { extractable: true })
    const [privateJwk, publicJwk] = await Promise.all([
      crypto.subtle.exportKey('jwk', keyPair.privateKey),
      crypto.subtle.exportKey('jwk', keyPair.publicKey),
    ])
    const sealed = await this.sealer.seal({ privateJwk, publicJwk } satisfies SealedKeyPair)
    const handle = this.handleFor(await this.open(sealed))
    this.remember(sealed, Promise.resolve(handle))
    return { handle, sealed }
  }

  /** The handle of a session's sealed key; a key that no secret opens ends the session (`session_expired`). */
  handle(sealed: string): Promise<oauth.DPoPHandle> {
    const cached = this.handles.get(sealed)
    if (cached) {
      this.remember(sealed, cached)
      return cached
    }
    const opening = this.open(sealed).then((keyPair) => this.handleFor(keyPair))
    opening.catch(() => this.handles.delete(sealed))
    this.remember(sealed, opening)
    return opening
  }

  private async open(sealed: string): Promise<CryptoKeyPair> {
    const keys = await this.sealer.unseal<SealedKeyPair>(sealed)
    if (!keys) throw new AuthError(AuthErrorCode.sessionExpired, 'The session DPoP key cannot be opened')
    const [privateKey, publicKey] = await Promise.all([
      crypto.subtle.importKey('jwk', keys.privateJwk, keyImport, false, ['sign']),
      // oauth4webapi puts the public key in every proof's header: it must be exportable.
      crypto.subtle.importKey('jwk', keys.publicJwk, keyImport, true, ['verify']),
    ])
    return { privateKey, publicKey }
  }

  /** Proofs carry the real time: the server judges `iat` by its clock, not by the library's test clock. */
  private handleFor(keyPair: CryptoKeyPair): oauth.DPoPHandle {
    return oauth.DPoP(this.client, keyPair)
  }

  private remember(sealed: string, handle: Promise<oauth.DPoPHandle>): void {
    this.handles.delete(sealed)
    if (this.handles.size >= maxCachedHandles) this.handles.delete(this.handles.keys().next().value!)
    this.handles.set(sealed, handle)
  }
}

/**
 * Runs a request once, and once more when the server answers `use_dpop_nonce` (RFC 9449 §8, §9): the handle has
 * cached the nonce from that answer, and `attempt` signs a new proof (new jti) with it. Never a third time.
 */
export async function withDPoPNonceRetry<T>(
  handle: oauth.DPoPHandle | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  try {
    return await attempt()
  } catch (error) {
    if (!handle || !oauth.isDPoPNonceError(error)) throw error
    return attempt()
  }
}

/** Why a resource server refuses a request (RFC 6750 §3.1, RFC 9449 §7.1); safe to put in a challenge. */
export class DPoPRequestError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_token' | 'invalid_dpop_proof',
    message: string,
  ) {
    super(message)
    this.name = 'DPoPRequestError'
  }

  /** The `WWW-Authenticate` value of the 401 (the DPoP scheme, with the algorithms we accept). */
  get challenge(): string {
    return `DPoP error="${this.error}", algs="${proofAlgorithms.join(' ')}"`
  }
}

const proofAlgorithms = ['ES256', 'EdDSA', 'Ed25519', 'PS256', 'RS256']
/** RFC 9449 §11.1: a proof is good for a short while; the replay store keeps its jti at least that long. */
const proofWindowSeconds = 60

export interface VerifyDPoPRequestOptions {
  /** Checks the access token itself (signature, issuer, audience, expiry): the library's access-token check. */
  verifyAccessToken: (token: string) => Promise<JWTPayload>
  /**
   * Records a proof's `jti` for the whole cluster until `expiresAt`; false when it was seen before (a replay).
   * Needed: without it a captured request could be sent again for as long as its proof is fresh.
   */
  useProofJti: (jti: string, expiresAt: Date) => Promise<boolean>
  /** Also accept unbound Bearer tokens (default false: a DPoP-only API). */
  allowBearer?: boolean
  /** The URL the client called, when `request.url` is not it (a proxy that rewrites the host). */
  url?: string
  clockToleranceSeconds: number
  now: () => number
}

/**
 * A resource server's check of `Authorization: DPoP <token>` with its `DPoP` proof (RFC 9449 §4.3, §7): the proof
 * is a `dpop+jwt` signed by the key in its header (jose), that key's thumbprint is the token's `cnf.jkt`, and
 * `htm`, `htu`, `ath`, `iat` match this request; its `jti` is used once. A bound token sent as Bearer is refused.
 */
export async function verifyDPoPRequest(
  request: Request,
  options: VerifyDPoPRequestOptions,
): Promise<JWTPayload> {
  const header = request.headers.get('Authorization') ?? ''
  const match = /^(DPoP|Bearer) ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(header)
  if (!match) throw new DPoPRequestError('invalid_request', 'No DPoP access token')
  const [, scheme, token] = match as unknown as [string, string, string]
  const claims = await options.verifyAccessToken(token).catch(() => {
    throw new DPoPRequestError('invalid_token', 'The access token is not valid')
  })
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt
  if (scheme.toLowerCase() === 'bearer') {
    // RFC 9449 §7.2: a bound token presented as a bearer token is a stolen one, or a downgrade.
    if (jkt !== undefined || !options.allowBearer)
      throw new DPoPRequestError('invalid_token', 'A DPoP-bound token needs the DPoP scheme and a proof')
    return claims
  }
  if (typeof jkt !== 'string')
    throw new DPoPRequestError('invalid_token', 'The access token is not DPoP-bound')
  const proofs = request.headers.get('DPoP')
  // One proof, one header (RFC 9449 §4.3 check 1): a list would let a client pick which one is read.
  if (!proofs || proofs.includes(','))
    throw new DPoPRequestError('invalid_dpop_proof', 'Exactly one DPoP proof')
  let payload: JWTPayload
  let jwk: JWK | undefined
  try {
    ;({
      payload,
      protectedHeader: { jwk },
    } = await jwtVerify(proofs, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: proofAlgorithms,
      requiredClaims: ['jti', 'htm', 'htu', 'iat', 'ath'],
    }))
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError)
      throw new DPoPRequestError('invalid_dpop_proof', 'The DPoP proof is not valid')
    throw error
  }
  const now = options.now() / 1000
  const fail = (message: string): never => {
    throw new DPoPRequestError('invalid_dpop_proof', message)
  }
  if ((await calculateJwkThumbprint(jwk!)) !== jkt)
    fail('The proof is signed by another key than the token is bound to')
  if (payload.htm !== request.method) fail('The proof is for another method')
  if (typeof payload.htu !== 'string' || !sameTarget(payload.htu, options.url ?? request.url))
    fail('The proof is for another URL')
  if (payload.ath !== createHash('sha256').update(token).digest('base64url'))
    fail('The proof is for another token')
  const iat = payload.iat!
  if (Math.abs(now - iat) > proofWindowSeconds + options.clockToleranceSeconds)
    fail('The proof is not recent')
  if (typeof payload.jti !== 'string' || payload.jti.length > 256) fail('The proof has no usable jti')
  const expiresAt = new Date((iat + proofWindowSeconds + options.clockToleranceSeconds) * 1000)
  // Scoped by key: one client's jti never collides with another's.
  if (!(await options.useProofJti(`${jkt}:${payload.jti}`, expiresAt))) fail('The proof was used before')
  return claims
}

/** RFC 9449 §4.3 check 9: scheme, host, port and path, without query and fragment. */
function sameTarget(htu: string, url: string): boolean {
  const proof = URL.parse(htu)
  const actual = URL.parse(url)
  return !!proof && !!actual && proof.origin === actual.origin && proof.pathname === actual.pathname
}
