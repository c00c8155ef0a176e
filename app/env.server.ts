import { createPrivateKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { z } from 'zod'
import { isLoopbackHost } from '~/lib/auth0'
import { DEFAULT_DATABASE_URL } from '../prisma/database-url.mjs'

type Mode = 'development' | 'production' | 'test'
type EnvSource = Record<string, string | undefined>

const minProductionSecretLength = 32

/** Secrets that ship in templates and docs: anyone can forge cookies signed with them. */
const publicSecrets = new Set([
  'super-duper-s3cret',
  's3cr3t',
  's3cret1',
  'secret',
  'changeme',
  'change-me',
  'local-dev-session-secret-change-me-in-production',
])
const publicSecretMarkers = ['change-me', 'changeme', 'example', 'not-for-production']

const required = z.string({ error: 'is required' })
const optional = z.string().optional()

function parseUrl(value: string): URL | null {
  try {
    return new URL(value)
  } catch {
    return null
  }
}

const isHttp = (url: URL) => url.protocol === 'https:' || url.protocol === 'http:'
const isBareOrigin = (url: URL) =>
  url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password

/** A bare host (`tenant.us.auth0.com`) means https; a full origin (`http://127.0.0.1:3334`) is kept as given. */
function auth0Domain(mode: Mode, allowEmulator: boolean) {
  return required.transform((value, ctx) => {
    const url = parseUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`)
    if (!url || !isHttp(url) || !isBareOrigin(url)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a host like tenant.us.auth0.com or an http(s) origin',
      })
      return z.NEVER
    }
    // The local emulator signs tokens with a key anyone can read: never trust it in production by accident.
    if (
      mode === 'production' &&
      !allowEmulator &&
      (url.protocol === 'http:' || isLoopbackHost(url.hostname))
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'points at a local emulator in production (set ALLOW_AUTH0_EMULATOR=true to allow it)',
      })
      return z.NEVER
    }
    return url
  })
}

const appDomain = required.transform((value, ctx) => {
  const url = parseUrl(value)
  if (!url || !isHttp(url) || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL like https://app.example.com' })
    return z.NEVER
  }
  return url.origin + url.pathname.replace(/\/+$/, '')
})

function sessionSecrets(mode: Mode) {
  return required.transform((value, ctx) => {
    const secrets = value
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean)
    if (secrets.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'is required' })
      return z.NEVER
    }
    if (mode !== 'production') return secrets
    if (secrets.some((secret) => secret.length < minProductionSecretLength)) {
      ctx.addIssue({
        code: 'custom',
        message: `must hold secrets of at least ${minProductionSecretLength} characters each in production`,
      })
    }
    const isPublic = (secret: string) =>
      publicSecrets.has(secret.toLowerCase()) ||
      publicSecretMarkers.some((marker) => secret.toLowerCase().includes(marker))
    if (secrets.some(isPublic)) {
      ctx.addIssue({ code: 'custom', message: 'uses a published example value; generate a random secret' })
    }
    return secrets
  })
}

function databaseUrl(mode: Mode) {
  const url = mode === 'production' ? required : required.default(DEFAULT_DATABASE_URL)
  return url.refine((value) => /^(file:|postgres(ql)?:\/\/)/.test(value), {
    message: 'must start with file: (SQLite) or postgres:// / postgresql:// (PostgreSQL)',
  })
}

/** An address or CIDR range: `10.0.0.5`, `10.0.0.0/8`, `fd00::/8`. */
function isAddressOrRange(value: string): boolean {
  const [address = '', bits, extra] = value.trim().split('/')
  const family = isIP(address)
  if (!family || extra !== undefined) return false
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
}

/** `true`: any loopback or private peer is the proxy; a list names the proxy's addresses exactly (server.js). */
const trustProxy = z
  .string()
  .default('false')
  .refine((value) => value === 'true' || value === 'false' || value.split(',').every(isAddressOrRange), {
    message: 'must be true, false or a comma-separated list of the proxy addresses (10.0.0.5, 10.0.0.0/24)',
  })

/** A whole number in [min, max], `fallback` when unset. */
function wholeNumber(min: number, max: number, fallback: number, notANumber = 'must be a whole number') {
  return z
    .string()
    .regex(/^\d{1,5}$/, notANumber)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be between ${min} and ${max}`)
    .default(fallback)
}

/**
 * private_key_jwt's key: a PKCS#8 PEM. Containers and CI secrets often carry it on one line with literal `\n`
 * escapes, which are turned back into newlines. Problems are described, the value never shown.
 */
const clientAssertionSigningKey = z
  .string()
  .transform((value) => value.trim().replaceAll('\\n', '\n'))
  .refine((pem) => /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----$/.test(pem), {
    message:
      'must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----; convert others with openssl pkcs8 -topk8 -nocrypt)',
    abort: true,
  })
  .refine((pem) => privateKeyOf(pem) !== null, { message: 'is not a readable PEM private key' })
  .optional()

function privateKeyOf(pem: string): KeyObject | null {
  try {
    return createPrivateKey(pem)
  } catch {
    return null
  }
}

const clientAssertionSigningAlgs = ['RS256', 'PS256', 'ES256'] as const

/** Whether a key can sign with the algorithm: RSA for RS256 and PS256 (as WebCrypto imports it), P-256 for ES256. */
function keyFitsAlg(pem: string, alg: (typeof clientAssertionSigningAlgs)[number]): boolean {
  const key = privateKeyOf(pem)
  if (!key) return false
  if (alg === 'ES256')
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  return key.asymmetricKeyType === 'rsa'
}

/** `true` or `false`, default false. */
const trueOrFalse = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .default('false')
  .transform((value) => value === 'true')

const poolSize = wholeNumber(1, 1000, 10)
const port = wholeNumber(1, 65535, 3000, 'must be a port number')

function envSchema(mode: Mode, allowEmulator: boolean) {
  return z
    .object({
      AUTH0_DOMAIN: auth0Domain(mode, allowEmulator),
      AUTH0_CLIENT_ID: required,
      // Exactly one of these two (checked below): a client secret or private_key_jwt's signing key.
      AUTH0_CLIENT_SECRET: optional,
      AUTH0_CLIENT_ASSERTION_SIGNING_KEY: clientAssertionSigningKey,
      AUTH0_CLIENT_ASSERTION_SIGNING_ALG: z
        .enum(clientAssertionSigningAlgs, { error: 'must be RS256, PS256 or ES256' })
        .default('RS256'),
      AUTH0_PUSHED_AUTHORIZATION_REQUESTS: trueOrFalse,
      AUTH0_AUDIENCE: optional,
      AUTH0_ORGANIZATION: optional,
      AUTH0_RESPONSE_MODE: z
        .enum(['form_post', 'query'], { error: 'must be form_post or query' })
        .default('form_post'),
      APP_DOMAIN: appDomain,
      SESSION_SECRET: sessionSecrets(mode),
      SESSION_STRATEGY: z
        .enum(['server', 'browser'], { error: 'must be server or browser' })
        .default('server'),
      TRUST_PROXY: trustProxy,
      DATABASE_URL: databaseUrl(mode),
      DATABASE_POOL_SIZE: poolSize,
      PORT: port,
      AUTH0_USE_DPOP: trueOrFalse,
    })
    .superRefine((value, ctx) => {
      // The DPoP private key lives in the server-side session row; a cookie session would have to carry it.
      if (value.AUTH0_USE_DPOP && value.SESSION_STRATEGY === 'browser')
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH0_USE_DPOP'],
          message: 'needs SESSION_STRATEGY=server (the DPoP key is never kept in a cookie)',
        })
    })
    .superRefine((value, ctx) => {
      // Exactly one of secret and key is checked in parseEnv, on the raw input, so it is reported with the rest.
      const key = value.AUTH0_CLIENT_ASSERTION_SIGNING_KEY
      if (key && !value.AUTH0_CLIENT_SECRET && !keyFitsAlg(key, value.AUTH0_CLIENT_ASSERTION_SIGNING_ALG)) {
        ctx.addIssue({
          code: 'custom',
          path: ['AUTH0_CLIENT_ASSERTION_SIGNING_KEY'],
          message: `cannot sign with AUTH0_CLIENT_ASSERTION_SIGNING_ALG=${value.AUTH0_CLIENT_ASSERTION_SIGNING_ALG} (RS256 and PS256 need an RSA key, ES256 a P-256 key)`,
        })
      }
    })
    .transform(({ AUTH0_DOMAIN, SESSION_SECRET, TRUST_PROXY, ...rest }) => ({
      ...rest,
      /** APP_DOMAIN's origin: what browsers send as `Origin` from the app's own pages. */
      APP_ORIGIN: new URL(rest.APP_DOMAIN).origin,
      /** Cookies are Secure (and the session cookie `__Host-`) when the app is served over https. */
      SECURE_COOKIES: rest.APP_DOMAIN.startsWith('https:'),
      TRUST_PROXY: TRUST_PROXY !== 'false',
      NODE_ENV: mode,
      ALLOW_AUTH0_EMULATOR: allowEmulator,
      AUTH0_DOMAIN: AUTH0_DOMAIN.host,
      AUTH0_ORIGIN: AUTH0_DOMAIN.origin,
      SESSION_SECRETS: SESSION_SECRET,
    }))
}

export type Env = z.output<ReturnType<typeof envSchema>>

const modeSchema = z.enum(['development', 'production', 'test']).default('development')

/**
 * Validates the process environment. The error names every bad variable and why, never a value: it ends up
 * in logs.
 */
export function parseEnv(source: EnvSource): Env {
  // `NAME=` in a .env file means "not set", not "set to nothing".
  const input = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  )
  const mode = modeSchema.safeParse(input.NODE_ENV)
  if (!mode.success) throw invalidEnvironment(['NODE_ENV must be development, production or test'])
  const result = envSchema(mode.data, input.ALLOW_AUTH0_EMULATOR === 'true').safeParse(input)
  const problems = [
    ...clientAuthenticationProblems(input),
    ...(result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`)),
  ]
  if (!result.success || problems.length > 0) throw invalidEnvironment(problems)
  return result.data
}

/** The app authenticates to Auth0 one way: a client secret, or private_key_jwt's signing key. */
function clientAuthenticationProblems(input: EnvSource): string[] {
  const secret = Boolean(input.AUTH0_CLIENT_SECRET)
  const key = Boolean(input.AUTH0_CLIENT_ASSERTION_SIGNING_KEY)
  if (!secret && !key)
    return ['AUTH0_CLIENT_SECRET or AUTH0_CLIENT_ASSERTION_SIGNING_KEY is required (exactly one of the two)']
  if (secret && key)
    return [
      'AUTH0_CLIENT_SECRET and AUTH0_CLIENT_ASSERTION_SIGNING_KEY are both set: give exactly one of the two',
    ]
  return []
}

function invalidEnvironment(problems: string[]): Error {
  return new Error(`Invalid environment: ${problems.join('; ')}`)
}

let parsed: Env | undefined

/** The validated environment, parsed once; throws naming every bad variable. entry.server.tsx calls it at boot. */
export function loadEnv(): Env {
  return (parsed ??= parseEnv(process.env))
}

/**
 * The app's configuration: every setting, and every value derived from one, comes from here. Parsed on first use,
 * so modules that scripts, benchmarks and tests share with the app (the database factory) import without a full
 * environment; the server still validates it at boot (entry.server.tsx).
 */
export const env: Env = new Proxy({} as Env, {
  get: (_target, name) => loadEnv()[name as keyof Env],
})
