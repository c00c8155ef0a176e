import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { parseEnv } from './env.server'

const strongSecret = 'Zr4pQ9vXk2mN7bT1wY6cH3jL8sD5fG0a'
const otherStrongSecret = 'p0O9i8U7y6T5r4E3w2Q1a2S3d4F5g6H7'

const development = {
  AUTH0_DOMAIN: 'tenant.us.auth0.com',
  AUTH0_CLIENT_ID: 'client-id',
  AUTH0_CLIENT_SECRET: 'client-secret-value',
  APP_DOMAIN: 'http://localhost:3000',
  SESSION_SECRET: 'dev',
}

const production = {
  ...development,
  NODE_ENV: 'production',
  APP_DOMAIN: 'https://app.example.com',
  SESSION_SECRET: strongSecret,
  DATABASE_URL: 'postgresql://app@db.internal:5432/app',
}

function failure(source: Record<string, string | undefined>): string {
  try {
    parseEnv(source)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected parseEnv to throw')
}

describe('parseEnv', () => {
  it('applies defaults for development', () => {
    const env = parseEnv(development)
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      AUTH0_DOMAIN: 'tenant.us.auth0.com',
      AUTH0_ORIGIN: 'https://tenant.us.auth0.com',
      AUTH0_RESPONSE_MODE: 'form_post',
      APP_DOMAIN: 'http://localhost:3000',
      SESSION_SECRETS: ['dev'],
      DATABASE_URL: 'file:./data/app.db',
      PORT: 3000,
      ALLOW_AUTH0_EMULATOR: false,
    })
    expect(env.AUTH0_AUDIENCE).toBeUndefined()
    expect(env.AUTH0_ORGANIZATION).toBeUndefined()
  })

  it('treats empty values as unset', () => {
    const env = parseEnv({ ...development, AUTH0_AUDIENCE: '', PORT: '', DATABASE_URL: '' })
    expect(env.AUTH0_AUDIENCE).toBeUndefined()
    expect(env.PORT).toBe(3000)
    expect(env.DATABASE_URL).toBe('file:./data/app.db')
    expect(failure({ ...development, AUTH0_CLIENT_SECRET: '' })).toBe(
      'Invalid environment: AUTH0_CLIENT_SECRET or AUTH0_CLIENT_ASSERTION_SIGNING_KEY is required (exactly one of the two)',
    )
  })

  it.each([
    ['tenant.us.auth0.com', 'https://tenant.us.auth0.com', 'tenant.us.auth0.com'],
    ['tenant.us.auth0.com/', 'https://tenant.us.auth0.com', 'tenant.us.auth0.com'],
    ['https://login.example.com/', 'https://login.example.com', 'login.example.com'],
    ['http://127.0.0.1:3334', 'http://127.0.0.1:3334', '127.0.0.1:3334'],
    ['HTTPS://Tenant.EU.Auth0.com', 'https://tenant.eu.auth0.com', 'tenant.eu.auth0.com'],
  ])('normalises AUTH0_DOMAIN %s to the origin %s', (domain, origin, host) => {
    const env = parseEnv({ ...development, AUTH0_DOMAIN: domain })
    expect(env.AUTH0_ORIGIN).toBe(origin)
    expect(env.AUTH0_DOMAIN).toBe(host)
  })

  it.each([
    'ftp://tenant.auth0.com',
    'https://tenant.auth0.com/path',
    'https://tenant.auth0.com/?x=1',
    'not a host',
  ])('rejects AUTH0_DOMAIN %s', (domain) => {
    expect(failure({ ...development, AUTH0_DOMAIN: domain })).toMatch(
      /^Invalid environment: AUTH0_DOMAIN must be/,
    )
  })

  it('normalises APP_DOMAIN without a trailing slash and rejects non-URLs', () => {
    expect(parseEnv({ ...development, APP_DOMAIN: 'https://app.example.com/' }).APP_DOMAIN).toBe(
      'https://app.example.com',
    )
    expect(parseEnv({ ...development, APP_DOMAIN: 'https://example.com/app/' }).APP_DOMAIN).toBe(
      'https://example.com/app',
    )
    expect(failure({ ...development, APP_DOMAIN: 'app.example.com' })).toMatch(
      /APP_DOMAIN must be an http\(s\) URL/,
    )
    expect(failure({ ...development, APP_DOMAIN: 'javascript:alert(1)' })).toMatch(/APP_DOMAIN must be/)
  })

  it('derives the app origin and cookie security from APP_DOMAIN, once', () => {
    const local = parseEnv({ ...development, APP_DOMAIN: 'http://localhost:3000/app/' })
    expect([local.APP_ORIGIN, local.SECURE_COOKIES]).toEqual(['http://localhost:3000', false])
    const deployed = parseEnv({ ...production, APP_DOMAIN: 'https://example.com/app' })
    expect([deployed.APP_ORIGIN, deployed.SECURE_COOKIES]).toEqual(['https://example.com', true])
  })

  it('sizes the PostgreSQL pool from DATABASE_POOL_SIZE (default 10) and names a bad value', () => {
    expect(parseEnv(development).DATABASE_POOL_SIZE).toBe(10)
    expect(parseEnv({ ...development, DATABASE_POOL_SIZE: '25' }).DATABASE_POOL_SIZE).toBe(25)
    for (const bad of ['0', 'ten', '2.5', '5000'])
      expect(failure({ ...development, DATABASE_POOL_SIZE: bad })).toMatch(
        /^Invalid environment: DATABASE_POOL_SIZE must be/,
      )
  })

  it.each(['http://app.localhost:3334', 'http://127.0.0.2:3334', 'http://[::1]:3334'])(
    "takes %s as a local emulator, by the library's loopback rule",
    (domain) => {
      expect(failure({ ...production, AUTH0_DOMAIN: domain })).toMatch(
        /points at a local emulator in production/,
      )
      expect(parseEnv({ ...development, AUTH0_DOMAIN: domain }).AUTH0_ORIGIN).toBe(domain)
    },
  )

  it('names every missing variable at once', () => {
    const message = failure({})
    for (const name of [
      'AUTH0_DOMAIN',
      'AUTH0_CLIENT_ID',
      'AUTH0_CLIENT_SECRET or AUTH0_CLIENT_ASSERTION_SIGNING_KEY',
      'APP_DOMAIN',
      'SESSION_SECRET',
    ]) {
      expect(message).toContain(`${name} is required`)
    }
    expect(message).not.toContain('DATABASE_URL')
  })

  it('splits SESSION_SECRET into a rotation list, first one first', () => {
    const env = parseEnv({ ...development, SESSION_SECRET: ' new , old ,, ' })
    expect(env.SESSION_SECRETS).toEqual(['new', 'old'])
    expect(failure({ ...development, SESSION_SECRET: ' , ' })).toBe(
      'Invalid environment: SESSION_SECRET is required',
    )
  })

  it('validates DATABASE_URL schemes', () => {
    expect(parseEnv({ ...development, DATABASE_URL: 'postgres://u@h/db' }).DATABASE_URL).toBe(
      'postgres://u@h/db',
    )
    expect(parseEnv({ ...development, DATABASE_URL: 'file:/tmp/x.db' }).DATABASE_URL).toBe('file:/tmp/x.db')
    expect(failure({ ...development, DATABASE_URL: 'mysql://u@h/db' })).toMatch(
      /DATABASE_URL must start with file:/,
    )
  })

  it('takes TRUST_PROXY as true, false or the proxy addresses', () => {
    expect(parseEnv({ ...development, TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true)
    expect(parseEnv({ ...development }).TRUST_PROXY).toBe(false)
    expect(parseEnv({ ...development, TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,fd00::1' }).TRUST_PROXY).toBe(true)
    expect(failure({ ...development, TRUST_PROXY: 'yes' })).toMatch(/TRUST_PROXY must be true, false or/)
    expect(failure({ ...development, TRUST_PROXY: '10.0.0.5,proxy.internal' })).toMatch(/TRUST_PROXY/)
    expect(failure({ ...development, TRUST_PROXY: '10.0.0.0/33' })).toMatch(/TRUST_PROXY/)
  })

  it('validates PORT', () => {
    expect(parseEnv({ ...development, PORT: '8080' }).PORT).toBe(8080)
    expect(failure({ ...development, PORT: 'eighty' })).toMatch(/PORT must be a port number/)
    expect(failure({ ...development, PORT: '70000' })).toMatch(/PORT must be between 1 and 65535/)
  })

  it('validates NODE_ENV and AUTH0_RESPONSE_MODE', () => {
    expect(failure({ ...development, NODE_ENV: 'staging' })).toMatch(/NODE_ENV must be/)
    expect(parseEnv({ ...development, AUTH0_RESPONSE_MODE: 'query' }).AUTH0_RESPONSE_MODE).toBe('query')
    expect(failure({ ...development, AUTH0_RESPONSE_MODE: 'fragment' })).toMatch(
      /AUTH0_RESPONSE_MODE must be/,
    )
  })

  it('keeps optional audience and organization', () => {
    const env = parseEnv({
      ...development,
      AUTH0_AUDIENCE: 'https://api.example.com',
      AUTH0_ORGANIZATION: 'org_1',
    })
    expect(env.AUTH0_AUDIENCE).toBe('https://api.example.com')
    expect(env.AUTH0_ORGANIZATION).toBe('org_1')
  })

  it('takes AUTH0_USE_DPOP as true or false (default false), and only with the Server strategy', () => {
    expect(parseEnv(development).AUTH0_USE_DPOP).toBe(false)
    expect(parseEnv({ ...development, AUTH0_USE_DPOP: 'true' }).AUTH0_USE_DPOP).toBe(true)
    expect(parseEnv({ ...development, AUTH0_USE_DPOP: 'false' }).AUTH0_USE_DPOP).toBe(false)
    expect(failure({ ...development, AUTH0_USE_DPOP: 'yes' })).toMatch(/AUTH0_USE_DPOP must be true or false/)
    expect(failure({ ...development, AUTH0_USE_DPOP: 'true', SESSION_STRATEGY: 'browser' })).toMatch(
      /AUTH0_USE_DPOP needs SESSION_STRATEGY=server/,
    )
    expect(
      parseEnv({ ...development, AUTH0_USE_DPOP: 'false', SESSION_STRATEGY: 'browser' }).AUTH0_USE_DPOP,
    ).toBe(false)
  })

  describe('in production', () => {
    it('accepts a real configuration', () => {
      const env = parseEnv({ ...production, SESSION_SECRET: `${strongSecret},${otherStrongSecret}` })
      expect(env.NODE_ENV).toBe('production')
      expect(env.SESSION_SECRETS).toEqual([strongSecret, otherStrongSecret])
    })

    it('requires DATABASE_URL', () => {
      expect(failure({ ...production, DATABASE_URL: undefined })).toBe(
        'Invalid environment: DATABASE_URL is required',
      )
    })

    it('rejects short secrets, also in a rotation list', () => {
      expect(failure({ ...production, SESSION_SECRET: 'short' })).toMatch(
        /SESSION_SECRET must hold secrets of at least 32/,
      )
      expect(failure({ ...production, SESSION_SECRET: `${strongSecret},short` })).toMatch(/SESSION_SECRET/)
    })

    it.each([
      'local-dev-session-secret-change-me-in-production',
      'this-is-an-example-secret-of-32-chars-or-more',
    ])('rejects the published secret %s', (secret) => {
      expect(failure({ ...production, SESSION_SECRET: secret })).toMatch(
        /SESSION_SECRET uses a published example/,
      )
    })

    it.each([
      'http://127.0.0.1:3334',
      'localhost:3334',
      'https://localhost',
      'http://[::1]:3334',
      'http://idp.example',
    ])('refuses the emulator-like AUTH0_DOMAIN %s', (domain) => {
      expect(failure({ ...production, AUTH0_DOMAIN: domain })).toMatch(
        /^Invalid environment: AUTH0_DOMAIN points at a local/,
      )
    })

    it('allows the emulator when ALLOW_AUTH0_EMULATOR=true', () => {
      const env = parseEnv({
        ...production,
        AUTH0_DOMAIN: 'http://127.0.0.1:3334',
        ALLOW_AUTH0_EMULATOR: 'true',
      })
      expect(env.AUTH0_ORIGIN).toBe('http://127.0.0.1:3334')
      expect(env.ALLOW_AUTH0_EMULATOR).toBe(true)
    })

    it('allows loopback domains outside production', () => {
      expect(
        parseEnv({ ...development, NODE_ENV: 'test', AUTH0_DOMAIN: 'http://localhost:3334' }).AUTH0_ORIGIN,
      ).toBe('http://localhost:3334')
    })
  })

  it('never puts a secret value in the message', () => {
    const secret = 'tiny-secret-value'
    const message = failure({
      ...production,
      SESSION_SECRET: secret,
      AUTH0_CLIENT_SECRET: secret,
      PORT: secret,
    })
    expect(message).toContain('SESSION_SECRET')
    expect(message).not.toContain(secret)
  })

  describe('private_key_jwt and PAR', () => {
    const pkcs8 = { type: 'pkcs8', format: 'pem' } as const
    const spki = { type: 'spki', format: 'pem' } as const
    const rsaKey = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: pkcs8,
      publicKeyEncoding: spki,
    }).privateKey
    const ecKey = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: pkcs8,
      publicKeyEncoding: spki,
    }).privateKey
    const { AUTH0_CLIENT_SECRET: _secret, ...withoutSecret } = development

    it('are off by default, with a client secret', () => {
      const env = parseEnv(development)
      expect(env.AUTH0_PUSHED_AUTHORIZATION_REQUESTS).toBe(false)
      expect(env.AUTH0_CLIENT_ASSERTION_SIGNING_KEY).toBeUndefined()
      expect(env.AUTH0_CLIENT_ASSERTION_SIGNING_ALG).toBe('RS256')
    })

    it('AUTH0_PUSHED_AUTHORIZATION_REQUESTS is true or false', () => {
      expect(parseEnv({ ...development, AUTH0_PUSHED_AUTHORIZATION_REQUESTS: 'true' })).toMatchObject({
        AUTH0_PUSHED_AUTHORIZATION_REQUESTS: true,
      })
      expect(failure({ ...development, AUTH0_PUSHED_AUTHORIZATION_REQUESTS: 'yes' })).toBe(
        'Invalid environment: AUTH0_PUSHED_AUTHORIZATION_REQUESTS must be true or false',
      )
    })

    it('a signing key replaces the secret; one-line PEMs with literal \\n are accepted', () => {
      const env = parseEnv({ ...withoutSecret, AUTH0_CLIENT_ASSERTION_SIGNING_KEY: rsaKey })
      expect(env.AUTH0_CLIENT_ASSERTION_SIGNING_KEY).toBe(rsaKey.trim())
      expect(env.AUTH0_CLIENT_SECRET).toBeUndefined()
      const oneLine = ecKey.trim().replaceAll('\n', '\\n')
      expect(
        parseEnv({
          ...withoutSecret,
          AUTH0_CLIENT_ASSERTION_SIGNING_KEY: oneLine,
          AUTH0_CLIENT_ASSERTION_SIGNING_ALG: 'ES256',
        }).AUTH0_CLIENT_ASSERTION_SIGNING_KEY,
      ).toBe(ecKey.trim())
    })

    it('wants exactly one of AUTH0_CLIENT_SECRET and AUTH0_CLIENT_ASSERTION_SIGNING_KEY', () => {
      expect(failure(withoutSecret)).toBe(
        'Invalid environment: AUTH0_CLIENT_SECRET or AUTH0_CLIENT_ASSERTION_SIGNING_KEY is required (exactly one of the two)',
      )
      const both = failure({ ...development, AUTH0_CLIENT_ASSERTION_SIGNING_KEY: rsaKey })
      expect(both).toBe(
        'Invalid environment: AUTH0_CLIENT_SECRET and AUTH0_CLIENT_ASSERTION_SIGNING_KEY are both set: give exactly one of the two',
      )
      expect(both).not.toContain('PRIVATE KEY')
      expect(both).not.toContain(development.AUTH0_CLIENT_SECRET)
    })

    it.each([
      ['not a key', /must be a PKCS#8 PEM private key/],
      [rsaKey.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA'), /is not a readable PEM private key/],
      [
        generateKeyPairSync('rsa', {
          modulusLength: 2048,
          privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
          publicKeyEncoding: spki,
        }).privateKey,
        /must be a PKCS#8 PEM private key/,
      ],
    ])('rejects an unusable AUTH0_CLIENT_ASSERTION_SIGNING_KEY without showing it (%#)', (key, message) => {
      const text = failure({ ...withoutSecret, AUTH0_CLIENT_ASSERTION_SIGNING_KEY: key })
      expect(text).toMatch(/^Invalid environment: AUTH0_CLIENT_ASSERTION_SIGNING_KEY /)
      expect(text).toMatch(message)
      expect(text).not.toContain(key.length > 80 ? key.slice(40, 80) : key)
    })

    it('the key must fit AUTH0_CLIENT_ASSERTION_SIGNING_ALG, which is RS256, PS256 or ES256', () => {
      expect(
        failure({
          ...withoutSecret,
          AUTH0_CLIENT_ASSERTION_SIGNING_KEY: rsaKey,
          AUTH0_CLIENT_ASSERTION_SIGNING_ALG: 'ES256',
        }),
      ).toMatch(
        /^Invalid environment: AUTH0_CLIENT_ASSERTION_SIGNING_KEY cannot sign with AUTH0_CLIENT_ASSERTION_SIGNING_ALG=ES256/,
      )
      expect(failure({ ...withoutSecret, AUTH0_CLIENT_ASSERTION_SIGNING_KEY: ecKey })).toMatch(
        /cannot sign with AUTH0_CLIENT_ASSERTION_SIGNING_ALG=RS256/,
      )
      expect(
        parseEnv({
          ...withoutSecret,
          AUTH0_CLIENT_ASSERTION_SIGNING_KEY: rsaKey,
          AUTH0_CLIENT_ASSERTION_SIGNING_ALG: 'PS256',
        }).AUTH0_CLIENT_ASSERTION_SIGNING_ALG,
      ).toBe('PS256')
      expect(
        failure({
          ...withoutSecret,
          AUTH0_CLIENT_ASSERTION_SIGNING_KEY: rsaKey,
          AUTH0_CLIENT_ASSERTION_SIGNING_ALG: 'HS256',
        }),
      ).toBe('Invalid environment: AUTH0_CLIENT_ASSERTION_SIGNING_ALG must be RS256, PS256 or ES256')
    })
  })
})
