/**
 * The clock a test hands to the library (`Auth0RemixServerOptions.now`): real time plus however far the test has
 * moved it. `advance` makes a token due or expired at once, where a test used to sleep.
 *
 * It never runs behind real time on purpose: the emulator (oidc-provider) stamps tokens with the real clock, and a
 * library clock behind it would see `iat` in the future. Moving it ahead is what a real deployment sees when the
 * tokens simply get older, so every check (jose's, oauth4webapi's via its clock skew, the library's) stays honest.
 */
export interface TestClock {
  now(): number
  advance(ms: number): void
}

export function createTestClock(): TestClock {
  let offsetMs = 0
  return {
    now: () => Date.now() + offsetMs,
    advance(ms: number) {
      if (!(ms >= 0)) throw new RangeError('A test clock only moves forward')
      offsetMs += ms
    },
  }
}
