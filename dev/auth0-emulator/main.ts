/** `npm run dev:idp`: the emulator for `npm run dev`, configured from the same .env as the app. */
import { existsSync } from 'node:fs'

import { DEFAULT_CLIENT, DEFAULT_PORT, type EmulatorClient, type EmulatorTtl } from './config'
import { startEmulator } from './server'

if (existsSync('.env')) process.loadEnvFile('.env')

const env = process.env
// A comma-separated list registers several apps on the one client (the e2e suite runs two); the first one
// receives back-channel logout tokens.
const appDomains = (env.APP_DOMAIN || 'http://localhost:3000')
  .split(',')
  .map((domain) => domain.trim().replace(/\/$/, ''))
  .filter(Boolean)

const TTL_VARIABLES: Record<keyof EmulatorTtl, string> = {
  accessToken: 'EMULATOR_ACCESS_TOKEN_TTL',
  idToken: 'EMULATOR_ID_TOKEN_TTL',
  refreshToken: 'EMULATOR_REFRESH_TOKEN_TTL',
  refreshTokenIdle: 'EMULATOR_REFRESH_TOKEN_IDLE_TTL',
  session: 'EMULATOR_SESSION_TTL',
  authorizationCode: 'EMULATOR_AUTHORIZATION_CODE_TTL',
}

function seconds(name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number of seconds, got "${raw}"`)
  return value
}

function flag(name: string): boolean | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`)
  return raw === 'true'
}

const ttl: Partial<EmulatorTtl> = {}
for (const [key, name] of Object.entries(TTL_VARIABLES) as [keyof EmulatorTtl, string][]) {
  const value = seconds(name)
  if (value !== undefined) ttl[key] = value
}

/**
 * More applications next to the one above, as a JSON array of EmulatorClient (config.ts): e.g. a private_key_jwt
 * client with its public `jwks` that requires PAR and binds access tokens with DPoP (the e2e suite's enterprise app).
 */
function extraClients(): EmulatorClient[] {
  const raw = env.EMULATOR_EXTRA_CLIENTS
  if (!raw) return []
  let clients: unknown
  try {
    clients = JSON.parse(raw)
  } catch {
    throw new Error('EMULATOR_EXTRA_CLIENTS must be a JSON array of clients')
  }
  if (!Array.isArray(clients) || !clients.every((client) => typeof client?.clientId === 'string'))
    throw new Error('EMULATOR_EXTRA_CLIENTS must be a JSON array of clients, each with a clientId')
  return clients as EmulatorClient[]
}

const emulator = await startEmulator({
  port: seconds('EMULATOR_PORT') ?? DEFAULT_PORT,
  host: env.EMULATOR_HOST || '127.0.0.1',
  clients: [
    {
      clientId: env.AUTH0_CLIENT_ID || DEFAULT_CLIENT.clientId,
      clientSecret: env.AUTH0_CLIENT_SECRET || DEFAULT_CLIENT.clientSecret,
      redirectUris: appDomains.map((domain) => `${domain}/auth/callback`),
      logoutUrls: appDomains.flatMap((domain) => [domain, `${domain}/`]),
      backchannelLogoutUri: `${appDomains[0]}/auth/backchannel-logout`,
      dpopBoundAccessTokens: flag('EMULATOR_DPOP_BOUND_ACCESS_TOKENS'),
    },
    ...extraClients(),
  ],
  ttl,
  refreshTokens: {
    rotation: flag('EMULATOR_REFRESH_TOKEN_ROTATION'),
    reuseIntervalSeconds: seconds('EMULATOR_REFRESH_TOKEN_REUSE_INTERVAL'),
    revocationDeletesGrant: flag('EMULATOR_REVOCATION_DELETES_GRANT'),
  },
  quiet: env.EMULATOR_QUIET === 'true',
  pushedAuthorizationRequests: flag('EMULATOR_PUSHED_AUTHORIZATION_REQUESTS'),
  privateKeyJwt: flag('EMULATOR_PRIVATE_KEY_JWT'),
  dpop: { requireNonce: flag('EMULATOR_DPOP_REQUIRE_NONCE') },
})

console.log(`Auth0 emulator ready: issuer ${emulator.issuer}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  })
}
