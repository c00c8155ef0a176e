import type { EmulatorControl } from '../dev/auth0-emulator/control'
import type { AppBrowser } from '../test/support/browser'
import type { BenchApp } from './stack'

export interface StormResult {
  /** `/oauth/token` calls per storm, one entry per storm. */
  tokenCalls: number[]
  /** The emulator's grant counters per storm (`refresh_token`, `refresh_token:use_dpop_nonce`, …). */
  grants: Record<string, number>[]
  failures: number
  latencyP99Ms: number
  requests: number
}

export interface StormOptions {
  /** Requests go round-robin over these instances. */
  apps: BenchApp[]
  /** Logs a user in: each storm gets a fresh session. */
  login: () => Promise<AppBrowser>
  idp: EmulatorControl
  concurrency: number
  storms: number
  /** Access-token lifetime at login, in seconds: the storm starts just after it runs out. */
  accessTokenTtlSeconds: number
}

/** Refreshed tokens must not come due again mid-storm (the library refreshes at half-life). */
const LONG_TTL_SECONDS = 3600

/**
 * Refresh storms: `concurrency` simultaneous requests on one session whose access token has just expired. The
 * library promises one token call per storm and no failed request.
 */
export async function refreshStorms(options: StormOptions): Promise<StormResult> {
  const { apps, idp, concurrency, accessTokenTtlSeconds } = options
  const latencies: number[] = []
  const tokenCalls: number[] = []
  const grants: Record<string, number>[] = []
  let failures = 0
  for (let storm = 0; storm < options.storms; storm++) {
    await idp.setTtl({ accessToken: accessTokenTtlSeconds })
    const browser = await options.login()
    await new Promise((resolve) => setTimeout(resolve, accessTokenTtlSeconds * 1000 + 300))
    await idp.setTtl({ accessToken: LONG_TTL_SECONDS })
    await idp.reset()
    const cookie = browser.header()
    const responses = await Promise.all(
      Array.from({ length: concurrency }, async (_, index) => {
        const started = performance.now()
        const response = await fetch(`${apps[index % apps.length]!.origin}/dashboard`, {
          headers: { cookie },
          redirect: 'manual',
        })
        await response.arrayBuffer()
        latencies.push(performance.now() - started)
        return response
      }),
    )
    failures += responses.filter((response) => response.status !== 200).length
    const counters = await idp.counters()
    tokenCalls.push(counters.endpoints['/oauth/token'] ?? 0)
    grants.push(counters.grants)
  }
  latencies.sort((a, b) => a - b)
  return {
    tokenCalls,
    grants,
    failures,
    latencyP99Ms: percentile(latencies, 0.99),
    requests: latencies.length,
  }
}

export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!
}

/** Refresh grants answered with tokens: the emulator also counts a request it challenged for a DPoP nonce. */
export function successfulRefreshGrants(grants: Record<string, number>): number {
  return (grants.refresh_token ?? 0) - nonceChallenges(grants)
}

/** Refresh requests answered `use_dpop_nonce` (RFC 9449 §8), counted apart by the emulator. */
export function nonceChallenges(grants: Record<string, number>): number {
  return grants['refresh_token:use_dpop_nonce'] ?? 0
}
