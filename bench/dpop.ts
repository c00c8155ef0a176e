import type { RunningEmulator } from '../dev/auth0-emulator/server'
import { createTestDatabase, type Engine } from '../test/sessions/databases'
import { createDb } from '~/db.server'
import { compare, load, type LoadSettings, type Page } from './load'
import type { DpopApiRow, DpopResults, StormRow } from './report'
import {
  freePort,
  login,
  startBenchApp,
  startBenchEmulator,
  type BenchApp,
  type BenchEmulatorOptions,
  type BuildSnapshot,
} from './stack'
import {
  nonceChallenges,
  refreshStorms,
  successfulRefreshGrants,
  type StormOptions,
  type StormResult,
} from './storm'

/** What the example API answers; the page shows it only when the call went through. */
const API_ANSWER = 'Hello from the protected API'

export interface DpopBench {
  build: BuildSnapshot
  settings: LoadSettings
  later: (cleanup: () => Promise<unknown>) => void
  figure: (name: string, value: number | string) => void
  storm: Pick<StormOptions, 'concurrency' | 'storms' | 'accessTokenTtlSeconds'>
  /** The two-process storm of section 4, with this emulator and app configuration. */
  clusterStorm: (emulator: BenchEmulatorOptions, env: Record<string, string>) => Promise<StormResult>
}

interface ApiStack {
  app: BenchApp
  idp: RunningEmulator
  databaseUrl: string
  page: Page
}

const dpopEnv = { AUTH0_USE_DPOP: 'true' }

/** A fresh database, an emulator and one Server-strategy app on them, all stopped by the bench at the end. */
async function startStack(
  bench: DpopBench,
  engine: Engine,
  emulator: BenchEmulatorOptions,
  env: Record<string, string>,
): Promise<{ app: BenchApp; idp: RunningEmulator; databaseUrl: string }> {
  const database = await createTestDatabase(engine)
  bench.later(() => database.drop())
  const publicPort = await freePort()
  const idp = await startBenchEmulator(publicPort, undefined, emulator)
  bench.later(() => idp.close())
  const app = await startBenchApp({
    build: bench.build,
    databaseUrl: database.url,
    auth0Origin: idp.origin,
    publicPort,
    env: { SESSION_STRATEGY: 'server', ...env },
  })
  bench.later(() => app.stop())
  return { app, idp, databaseUrl: database.url }
}

async function startApiStack(bench: DpopBench, engine: Engine, dpop: boolean): Promise<ApiStack> {
  const { app, idp, databaseUrl } = await startStack(
    bench,
    engine,
    { api: true, dpopBoundAccessTokens: dpop },
    dpop ? dpopEnv : {},
  )
  const browser = await login(app)
  const page: Page = {
    url: `${app.origin}/dashboard`,
    cookie: browser.header(),
    post: {
      body: 'intent=call-api',
      // Remix refuses a POST whose Origin is not the Host it was sent to: send it as a browser on the public origin.
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: app.publicOrigin,
        host: new URL(app.publicOrigin).host,
      },
    },
    expectText: API_ANSWER,
  }
  // The first call gets the session its token for the API (a refresh grant); the measured ones reuse it.
  // fetch sets Host from the URL, so this one goes to the public origin (localhost) itself.
  const { host: _host, ...headers } = page.post!.headers
  const first = await fetch(`${app.publicOrigin}/dashboard`, {
    method: 'POST',
    headers: { cookie: page.cookie!, ...headers },
    body: page.post!.body,
    redirect: 'manual',
  })
  const html = await first.text()
  if (first.status !== 200 || !html.includes(API_ANSWER))
    throw new Error(
      `"Call the API" with DPoP ${dpop ? 'on' : 'off'}: ${first.status}, ${/api_[a-z_]+|invalid_[a-z_]+/.exec(html)?.[0] ?? 'no answer'}\n${app.output().slice(-2000)}`,
    )
  return { app, idp, databaseUrl, page }
}

async function idpCalls(idp: RunningEmulator): Promise<number> {
  const { endpoints } = await idp.control.counters()
  return Object.values(endpoints).reduce((sum, count) => sum + count, 0)
}

/** Proofs the API accepted: each one's jti is recorded once, under `dpop:` (app/api.server.ts). */
async function acceptedProofs(databaseUrl: string): Promise<number> {
  const db = createDb(databaseUrl)
  try {
    return await db.usedLogoutToken.count({ where: { jti: { startsWith: 'dpop:' } } })
  } finally {
    await db.$disconnect()
  }
}

/** "Call the API" with DPoP-bound tokens and proofs ÷ the same with Bearer tokens, on one engine. */
async function apiOverhead(bench: DpopBench, engine: Engine, label: string): Promise<DpopApiRow> {
  const bearer = await startApiStack(bench, engine, false)
  const dpop = await startApiStack(bench, engine, true)
  await Promise.all([bearer.idp.control.reset(), dpop.idp.control.reset()])
  const proofsBefore = await acceptedProofs(dpop.databaseUrl)
  const comparison = await compare(dpop.page, bearer.page, bench.settings)
  const proofs = (await acceptedProofs(dpop.databaseUrl)) - proofsBefore
  const row: DpopApiRow = {
    label,
    comparison,
    idpCalls: { dpop: await idpCalls(dpop.idp), bearer: await idpCalls(bearer.idp) },
    proofsAccepted: proofs,
  }
  const key = `dpop_api_${engine}`
  bench.figure(`${key}_ratio`, comparison.ratio)
  bench.figure(`${key}_dpop_rps`, comparison.auth.requestsPerSecond)
  bench.figure(`${key}_bearer_rps`, comparison.bare.requestsPerSecond)
  bench.figure(`${key}_failures`, comparison.auth.failures + comparison.bare.failures)
  // compare() also sends unmeasured warm-up calls, so more proofs than measured calls is expected.
  bench.figure(`${key}_proofs_accepted`, proofs)
  bench.figure(`${key}_dpop_calls_measured`, comparison.auth.requests)
  bench.figure(`${key}_idp_calls_dpop`, row.idpCalls.dpop)
  bench.figure(`${key}_idp_calls_bearer`, row.idpCalls.bearer)
  return row
}

/** Section 8: what AUTH0_USE_DPOP=true costs an API call, and the refresh storm with nonces required. */
export async function measureDpop(bench: DpopBench): Promise<DpopResults> {
  const api = [
    await apiOverhead(bench, 'sqlite', 'Server, SQLite'),
    await apiOverhead(bench, 'postgresql', 'Server, PostgreSQL'),
  ]

  const emulator: BenchEmulatorOptions = { dpop: { requireNonce: true }, dpopBoundAccessTokens: true }
  const storms: StormRow[] = []
  {
    const { app, idp } = await startStack(bench, 'sqlite', emulator, dpopEnv)
    const warm = { url: `${app.origin}/dashboard`, cookie: (await login(app)).header() }
    if ((await load(warm, 10, 2)).failures > 0) throw new Error('Warm-up of the DPoP storm app failed')
    storms.push({
      label: 'one process, Server, SQLite',
      result: await refreshStorms({
        ...bench.storm,
        apps: [app],
        login: () => login(app),
        idp: idp.control,
      }),
    })
  }
  storms.push({
    label: 'two processes, Server, PostgreSQL',
    result: await bench.clusterStorm(emulator, dpopEnv),
  })
  for (const { label, result } of storms) {
    const key = `dpop_storm_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`
    const refreshGrants = result.grants.map(successfulRefreshGrants)
    const challenges = result.grants.map(nonceChallenges)
    bench.figure(`${key}_refresh_grants_max`, Math.max(...refreshGrants))
    bench.figure(`${key}_refresh_grants_min`, Math.min(...refreshGrants))
    bench.figure(`${key}_nonce_challenges_max`, Math.max(...challenges))
    bench.figure(`${key}_token_calls_max`, Math.max(...result.tokenCalls))
    bench.figure(`${key}_failures`, result.failures)
    bench.figure(`${key}_p99_ms`, result.latencyP99Ms)
  }
  return { api, storms }
}
