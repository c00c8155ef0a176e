import Database from 'better-sqlite3'
import pg from 'pg'
import { expect, logIn, test } from './fixtures'
import { e2eDPoP } from './stack'

const { origin } = e2eDPoP.app

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
    const db = new Database(`data/e2e-${e2eDPoP.app.port}.db`, { readonly: true })
    try {
      data = (db.prepare(sql).get() as { data: string }).data
    } finally {
      db.close()
    }
  }
  return (JSON.parse(data) as { user: { credentials: { accessToken: string } } }).user.credentials.accessToken
}

test('with DPoP the API answers the app, and refuses its access token replayed without the key', async ({
  page,
  request,
}) => {
  await logIn(page, origin)
  await page.getByRole('button', { name: 'Call the API' }).click()
  const answer = page.getByRole('region', { name: 'Call the API', exact: true })
  await expect(answer.getByText('Hello from the protected API', { exact: true })).toBeVisible()

  const token = await newestAccessToken()
  for (const authorization of [`Bearer ${token}`, `DPoP ${token}`]) {
    const replayed = await request.get(`${origin}/api/protected`, {
      headers: { Authorization: authorization },
    })
    expect(replayed.status()).toBe(401)
    expect(replayed.headers()['www-authenticate']).toMatch(/^DPoP error="invalid_(token|dpop_proof)"/)
  }
})
