import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ORGANIZATIONS_CLAIM } from './config'
import { completeLogin, CookieJar } from './login'
import {
  authorization,
  callbackParams,
  exchange,
  loginAndExchange,
  startTestOp,
  type TestOp,
} from './testing'

let op: TestOp
beforeAll(async () => {
  op = await startTestOp()
})
afterAll(() => op.emulator.close())

const claimsOf = (tokens: oauth.TokenEndpointResponse) => oauth.getValidatedIdTokenClaims(tokens)!

describe('organization memberships', () => {
  it('a member gets org_id and org_name, and every user lists their organizations in the custom claim', async () => {
    const alice = claimsOf(await loginAndExchange(op, { organization: 'org_globex' }))
    expect(alice).toMatchObject({ org_id: 'org_globex', org_name: 'globex' })
    expect(alice[ORGANIZATIONS_CLAIM]).toEqual([
      { id: 'org_acme', name: 'acme', display_name: 'Acme Inc.' },
      { id: 'org_globex', name: 'globex', display_name: 'Globex Corporation' },
    ])
    const bob = claimsOf(await loginAndExchange(op, {}, { email: 'bob@example.com' }))
    expect(bob[ORGANIZATIONS_CLAIM]).toEqual([{ id: 'org_acme', name: 'acme', display_name: 'Acme Inc.' }])
    // Carol belongs to none: no claim at all, as with an Action that has nothing to add.
    const carol = claimsOf(await loginAndExchange(op, {}, { email: 'carol@example.com' }))
    expect(carol).not.toHaveProperty(ORGANIZATIONS_CLAIM)
  })

  it('a non-member is refused with access_denied after the login page, like Auth0', async () => {
    const auth = await authorization(op, { organization: 'globex' })
    const callback = callbackParams(await completeLogin(auth.url, { email: 'bob@example.com' }))
    expect(callback.get('error')).toBe('access_denied')
    expect(callback.get('error_description')).toBe(
      'user auth0|bob is not part of the org_globex organization',
    )
    expect(callback.get('state')).toBe(auth.state)
    expect(callback.has('code')).toBe(false)
  })

  it('an invitation lets a non-member in (Auth0 adds them on acceptance)', async () => {
    const tokens = await loginAndExchange(
      op,
      { organization: 'org_globex', invitation: 'inv_test' },
      { email: 'bob@example.com' },
    )
    expect(claimsOf(tokens).org_id).toBe('org_globex')
  })

  it('prompt=none with a session switches organization silently; a non-member gets access_denied', async () => {
    const jar = new CookieJar()
    const first = claimsOf(await loginAndExchange(op, { organization: 'org_acme' }, { jar }))
    expect(first.org_id).toBe('org_acme')

    const silent = await authorization(op, { organization: 'org_globex', prompt: 'none' })
    // No email: completeLogin throws if the login page shows up, so this proves no page was needed.
    const tokens = await exchange(op, silent, await completeLogin(silent.url, { email: '', jar }))
    expect(claimsOf(tokens)).toMatchObject({ sub: 'auth0|alice', org_id: 'org_globex', sid: first.sid })

    const bobJar = new CookieJar()
    await loginAndExchange(op, { organization: 'org_acme' }, { email: 'bob@example.com', jar: bobJar })
    const refused = await authorization(op, { organization: 'org_globex', prompt: 'none' })
    const answer = callbackParams(await completeLogin(refused.url, { email: '', jar: bobJar }))
    expect(answer.get('error')).toBe('access_denied')
  })

  it('prompt=none with an organization but no session is login_required', async () => {
    const auth = await authorization(op, { organization: 'org_globex', prompt: 'none' })
    const answer = callbackParams(await completeLogin(auth.url, { email: '' }))
    expect(answer.get('error')).toBe('login_required')
  })
})
