import { exportJWK, exportPKCS8, generateKeyPair } from 'jose'
import type { EmulatorClient } from '../../dev/auth0-emulator/config'
import type { ClientAssertionSigningAlg } from '~/lib/auth0'
import { appOrigin, clientId } from './auth-harness'

/** A client assertion key pair made for one test run: the PEM for the app, the public JWK for the emulator. */
export interface ClientKeyPair {
  alg: ClientAssertionSigningAlg
  privateKeyPem: string
  publicJwk: Awaited<ReturnType<typeof exportJWK>>
}

export async function clientKeyPair(alg: ClientAssertionSigningAlg = 'RS256'): Promise<ClientKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { alg, privateKeyPem: await exportPKCS8(privateKey), publicJwk: await exportJWK(publicKey) }
}

/** The harness's application, registered for private_key_jwt with these public keys (and no secret). */
export function privateKeyJwtClient(
  keys: ClientKeyPair[],
  extra: Partial<EmulatorClient> = {},
): EmulatorClient {
  return {
    clientId,
    redirectUris: [`${appOrigin}/auth/callback`],
    logoutUrls: [appOrigin, `${appOrigin}/`],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: keys.map((key) => ({ ...key.publicJwk, alg: key.alg, use: 'sig' })) },
    ...extra,
  }
}
