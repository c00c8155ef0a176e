import Database from 'better-sqlite3'
import pg from 'pg'
import { EmulatorControl } from '../dev/auth0-emulator/control'
import { appCookieNames, expect, pickEmulatorUser, test } from './fixtures'
import { e2eApps, e2eEmulator, e2eEnterpriseClient } from './stack'

// Issue 15 in a real browser: the enterprise app pushes its authorization request (PAR, RFC 9126),
// authenticates with a signed assertion (private_key_jwt, RFC 7523) and holds DPoP-bound tokens (RFC 9449), at an
// application that requires all three.

const app = e2eApps.enterprise
const emulator = new EmulatorControl(e2eEmulator.origin)

/** The access token of the newest DPoP session, read from the app's database (as a thief of the row would). */
async function newestAccessToken(): Promise<string> {
  const sql = `SELECT data FROM sessions WHERE data LIKE '%"dpopKey"%' ORDER BY created_at DESC LIMIT 1`
  let data: string
  if (process.env.DATABASE_URL?.startsWith('postgres')) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await client.connect()
    try {
      data = (await client.query<{ data: string }>(sql)).rows[0]!.data
    } finally {
      await client.end()
    }
  } else {
    const db = new Database(`data/e2e-${app.port}.db`, { readonly: true })
    try {
      data = (db.prepare(sql).get() as { data: string }).data
    } finally {
      db.close()
    }
  }
  return (JSON.parse(data) as { user: { credentials: { accessToken: string } } }).user.credentials.accessToken
}

test('log in with PAR and private_key_jwt, call the API with DPoP, log out', async ({
  page,
  context,
  request,
}) => {
  const authorizeRequests: URL[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.origin === e2eEmulator.origin && url.pathname === '/authorize') authorizeRequests.push(url)
  })

  await page.goto(`${app.origin}/login`)
  await page.getByRole('button', { name: 'Continue', exact: true }).click()
  await pickEmulatorUser(page, 'Alice Liddell')
  await expect(page).toHaveURL(`${app.origin}/dashboard`)
  await expect(page.getByRole('main').getByText('alice@example.com', { exact: true })).toBeVisible()

  // The browser only ever carried a reference to the pushed request: no state, nonce, PKCE or redirect_uri.
  expect(authorizeRequests).toHaveLength(1)
  const [authorize] = authorizeRequests
  expect([...authorize!.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
  expect(authorize!.searchParams.get('client_id')).toBe(e2eEnterpriseClient.clientId)

  await page.getByRole('button', { name: 'Call the API' }).click()
  const answer = page.getByRole('region', { name: 'Call the API', exact: true })
  await expect(answer.getByText('Hello from the protected API', { exact: true })).toBeVisible()

  // The API answered a DPoP-bound token with the session's proof; the same token without the key is refused.
  const token = await newestAccessToken()
  for (const authorization of [`Bearer ${token}`, `DPoP ${token}`]) {
    const replayed = await request.get(`${app.origin}/api/protected`, {
      headers: { Authorization: authorization },
    })
    expect(replayed.status()).toBe(401)
    expect(replayed.headers()['www-authenticate']).toMatch(/^DPoP error="invalid_(token|dpop_proof)"/)
  }

  await page.getByRole('main').getByRole('link', { name: 'Log out' }).click()
  await expect(page).toHaveURL(`${app.origin}/logout`)
  await page.getByRole('main').getByRole('button', { name: 'Log out' }).click()
  await expect(page).toHaveURL(`${app.origin}/`)
  expect(await appCookieNames(context, app.origin)).not.toContain('__session')

  // Every call this application made to Auth0 was signed with its key; no secret ever left the app.
  const calls = (await emulator.clientAuthentications()).filter(
    (call) => call.clientId === e2eEnterpriseClient.clientId,
  )
  expect(calls.map((call) => call.endpoint)).toEqual(
    expect.arrayContaining(['/oauth/par', '/oauth/token', '/oauth/revoke']),
  )
  for (const call of calls) {
    expect(call).toMatchObject({ method: 'private_key_jwt', clientSecretSent: false, assertionAlg: 'ES256' })
    expect(call.status).toBeLessThan(300)
  }
})

test('the application refuses a plain authorize request: PAR is required', async ({ request }) => {
  const plain = new URL(`${e2eEmulator.origin}/authorize`)
  plain.search = new URLSearchParams({
    client_id: e2eEnterpriseClient.clientId,
    response_type: 'code',
    redirect_uri: e2eEnterpriseClient.redirectUris[0],
    scope: 'openid',
    response_mode: 'query',
    state: 'plain-request',
  }).toString()
  const response = await request.get(plain.href, { maxRedirects: 0 })
  expect(response.status()).toBe(303)
  const error = new URL(response.headers().location!).searchParams
  expect(error.get('error')).toBe('invalid_request')
  expect(error.get('error_description')).toMatch(/Pushed Authorization Request must be used/)
})
