import { describe, expect, it } from 'vitest'
import { Sealer } from './secrets.server'
import { TransactionStore, type LoginTransaction } from './transaction.server'

const sealer = new Sealer(['a-test-secret-that-is-long-enough-123'], 'login transaction')
/** The store's clock: a test moves it instead of waiting (a transaction lives 10 minutes). */
let time = Date.now()
const now = () => time
const store = new TransactionStore(sealer, { formPost: true, secure: false, now })

const transaction = (state: string, createdAt = now()): LoginTransaction => ({
  state,
  nonce: 'n',
  codeVerifier: 'v',
  redirectUri: 'http://localhost/auth/callback',
  createdAt,
})

const requestWith = (cookies: string[]) =>
  new Request('http://localhost/auth/callback', {
    headers: { Cookie: cookies.map((c) => c.split(';')[0]).join('; ') },
  })

describe('TransactionStore', () => {
  it('round-trips a transaction and clears its cookie', async () => {
    const state = 'S'.repeat(43)
    const cookies = await store.begin(requestWith([]), transaction(state))
    const taken = await store.take(requestWith(cookies), state)
    expect(taken.transaction?.state).toBe(state)
    expect(taken.clear).toMatch(/Max-Age=0/)
  })

  it('gives nothing for another state, a tampered cookie, another key or an expired transaction', async () => {
    const state = 'T'.repeat(43)
    const [cookie] = await store.begin(requestWith([]), transaction(state))
    expect(
      (await store.take(requestWith([cookie!]), 'T'.repeat(16) + 'x'.repeat(27))).transaction,
    ).toBeUndefined()
    const tampered = cookie!.replace(/=([^.;]+)\./, '=$1x.')
    expect((await store.take(requestWith([tampered]), state)).transaction).toBeUndefined()
    const other = new TransactionStore(
      new Sealer(['another-secret-entirely-0123456789'], 'login transaction'),
      {
        formPost: true,
        secure: false,
        now,
      },
    )
    expect((await other.take(requestWith([cookie!]), state)).transaction).toBeUndefined()
    const [aging] = await store.begin(requestWith([]), transaction(state))
    time += 10 * 60_000 - 1
    expect((await store.take(requestWith([aging!]), state)).transaction?.state).toBe(state)
    time += 1
    expect((await store.take(requestWith([aging!]), state)).transaction).toBeUndefined()
  })

  it('decrypts with a retired secret kept in the list (rotation)', async () => {
    const state = 'R'.repeat(43)
    const [cookie] = await store.begin(requestWith([]), transaction(state))
    const rotated = new TransactionStore(
      new Sealer(
        ['the-new-secret-0123456789abcdef0123', 'a-test-secret-that-is-long-enough-123'],
        'login transaction',
      ),
      { formPost: true, secure: false, now },
    )
    expect((await rotated.take(requestWith([cookie!]), state)).transaction?.state).toBe(state)
  })
})
