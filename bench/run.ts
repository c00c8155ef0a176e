/**
 * `npm run bench` (after `npm run build:test`): measures what auth costs the built stack, as ratios against
 * itself, prints every figure as `name: value` and writes bench/results/latest.md and latest.svg. BENCH_DURATION
 * (seconds per measured run, default 5) and BENCH_ROUNDS (default 2) trade time for stability. BENCH_ONLY=dpop
 * runs section 8 alone and prints it, writing nothing to bench/results/ (latest.md is always a full run).
 */
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { RunningEmulator } from '../dev/auth0-emulator/server'
import type { AppBrowser } from '../test/support/browser'
import { createTestDatabase, type Engine, type TestDatabase } from '../test/sessions/databases'
import { startTestPostgres } from '../test/support/postgres'
import { shippedJs } from './client-js'
import { measureDpop } from './dpop'
import { insertFillerSessions } from './filler'
import { compare, load, type LoadSettings, type Page } from './load'
import {
  renderDpopSection,
  renderMarkdown,
  renderSvg,
  type BenchResults,
  type DpopResults,
  type OverheadRow,
} from './report'
import { measureSessionStore } from './session-store'
import {
  freePort,
  login,
  snapshotBuild,
  startBenchApp,
  startBenchEmulator,
  type BenchApp,
  type BenchEmulatorOptions,
  type BuildSnapshot,
} from './stack'
import { refreshStorms, type StormOptions } from './storm'

const STORM_TOKEN_TTL_SECONDS = 4
const STORM_CONCURRENCY = 50
const STORMS = 3

const ONLY = process.env.BENCH_ONLY
if (ONLY !== undefined && ONLY !== 'dpop') throw new Error(`BENCH_ONLY=${ONLY}: only "dpop" is supported`)

const settings: LoadSettings = {
  connections: 10,
  durationSeconds: Number(process.env.BENCH_DURATION) || 5,
  rounds: Number(process.env.BENCH_ROUNDS) || 2,
}

const cleanups: (() => Promise<unknown>)[] = []
const later = (cleanup: () => Promise<unknown>) => cleanups.push(cleanup)
async function cleanUp() {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => console.error(error))
}

function figure(name: string, value: number | string): void {
  console.log(`${name}: ${typeof value === 'number' ? Number(value.toFixed(3)) : value}`)
}

type Strategy = 'server' | 'browser'

interface Stack {
  app: BenchApp
  idp: RunningEmulator
  database: TestDatabase
  browser: AppBrowser
  auth: Page
  bare: Page
}

async function startStack(build: BuildSnapshot, engine: Engine, strategy: Strategy) {
  const database = await createTestDatabase(engine)
  later(() => database.drop())
  const publicPort = await freePort()
  const idp = await startBenchEmulator(publicPort)
  later(() => idp.close())
  const app = await startBenchApp({
    build,
    databaseUrl: database.url,
    auth0Origin: idp.origin,
    publicPort,
    env: { SESSION_STRATEGY: strategy },
  })
  later(() => app.stop())
  const browser = await login(app)
  const stack: Stack = {
    app,
    idp,
    database,
    browser,
    auth: { url: `${app.origin}/dashboard`, cookie: browser.header() },
    bare: { url: `${app.origin}/bench/dashboard` },
  }
  return stack
}

/** JIT, connection pools and the emulator's discovery/JWKS fetch happen here, not in the measured runs. */
async function warmUp(stack: Pick<Stack, 'auth' | 'bare'>) {
  for (const page of [stack.auth, stack.bare]) {
    const result = await load(page, settings.connections, 3)
    if (result.failures > 0) throw new Error(`Warm-up of ${page.url}: ${result.failures} failures`)
  }
}

async function measureOverhead(stack: Stack, label: string, connections = settings.connections) {
  await stack.idp.control.reset()
  const comparison = await compare(stack.auth, stack.bare, { ...settings, connections })
  const counters = await stack.idp.control.counters()
  const idpCalls = Object.values(counters.endpoints).reduce((sum, count) => sum + count, 0)
  const row: OverheadRow = { label, comparison, idpCallsPerRequest: idpCalls / comparison.auth.requests }
  const key = label.toLowerCase().replace(/[^a-z0-9]+/g, '_')
  figure(`overhead_${key}_c${connections}_ratio`, comparison.ratio)
  figure(`overhead_${key}_c${connections}_auth_rps`, comparison.auth.requestsPerSecond)
  figure(`overhead_${key}_c${connections}_bare_rps`, comparison.bare.requestsPerSecond)
  figure(`overhead_${key}_c${connections}_failures`, comparison.auth.failures + comparison.bare.failures)
  figure(`idp_calls_per_request_${key}_c${connections}`, row.idpCallsPerRequest!)
  return row
}

async function pageBytes(page: Page): Promise<number> {
  const response = await fetch(page.url, { headers: page.cookie ? { cookie: page.cookie } : {} })
  return (await response.arrayBuffer()).byteLength
}

async function main(): Promise<BenchResults> {
  const started = performance.now()
  const loadAtStart = loadavg()[0]!
  const build = await snapshotBuild()
  later(() => build.remove())
  const postgres = await startTestPostgres()
  process.env.TEST_POSTGRES_URL = postgres.url
  later(() => postgres.stop())
  const overhead: OverheadRow[] = []
  const growth: OverheadRow[] = []

  // Server strategy on SQLite: the default stack. Also client JS, concurrency growth and table-size growth.
  const sqlite = await startStack(build, 'sqlite', 'server')
  await warmUp(sqlite)
  const sqliteRow = await measureOverhead(sqlite, 'Server, SQLite')
  overhead.push(sqliteRow)
  const pages = {
    '/dashboard': await pageBytes(sqlite.auth),
    '/bench/dashboard': await pageBytes(sqlite.bare),
  }
  const clientJs = [
    { label: '/dashboard', js: await shippedJs(sqlite.auth.url, sqlite.auth.cookie) },
    { label: '/bench/dashboard (same UI, no auth)', js: await shippedJs(sqlite.bare.url) },
    { label: '404 page (bare Remix page)', js: await shippedJs(`${sqlite.app.origin}/bench-no-such-page`) },
  ]
  for (const { label, js } of clientJs)
    figure(`client_js_gzip_kb_${label.split(' ')[0]!.replace(/\W+/g, '_')}`, js.gzipBytes / 1024)
  growth.push(await measureOverhead(sqlite, 'Server, SQLite, 0 rows', 1))
  growth.push({ ...sqliteRow, label: 'Server, SQLite, 0 rows', idpCallsPerRequest: undefined })
  growth.push(await measureOverhead(sqlite, 'Server, SQLite, 0 rows', 100))

  const pgStack = await startStack(build, 'postgresql', 'server')
  await warmUp(pgStack)
  overhead.push(await measureOverhead(pgStack, 'Server, PostgreSQL'))

  for (const stack of [sqlite, pgStack]) {
    const engine = stack === sqlite ? 'SQLite' : 'PostgreSQL'
    let rows = 0
    for (const target of [10_000, 100_000]) {
      const insertStarted = performance.now()
      await insertFillerSessions(stack.database.url, rows, target - rows)
      figure(
        `filler_insert_${engine.toLowerCase()}_${target}_seconds`,
        (performance.now() - insertStarted) / 1000,
      )
      rows = target
      growth.push(await measureOverhead(stack, `Server, ${engine}, ${target / 1000}k rows`))
    }
  }

  const browserStack = await startStack(build, 'sqlite', 'browser')
  await warmUp(browserStack)
  overhead.push(await measureOverhead(browserStack, 'Browser (cookie)'))

  const storms: BenchResults['storms'] = []
  const stormOptions = {
    concurrency: STORM_CONCURRENCY,
    storms: STORMS,
    accessTokenTtlSeconds: STORM_TOKEN_TTL_SECONDS,
  }
  for (const [label, engine, strategy] of [
    ['one process, Server, SQLite', 'sqlite', 'server'],
    ['one process, Browser (cookie)', 'sqlite', 'browser'],
  ] as const) {
    const stack = await startStack(build, engine, strategy)
    await warmUp(stack)
    const result = await refreshStorms({
      ...stormOptions,
      apps: [stack.app],
      login: () => login(stack.app),
      idp: stack.idp.control,
    })
    storms.push({ label, result })
  }
  storms.push({ label: 'two processes, Server, PostgreSQL', result: await clusterStorm(build, stormOptions) })
  for (const { label, result } of storms) {
    const key = label.toLowerCase().replace(/[^a-z0-9]+/g, '_')
    figure(`storm_${key}_token_calls_max`, Math.max(...result.tokenCalls))
    figure(`storm_${key}_token_calls_min`, Math.min(...result.tokenCalls))
    figure(`storm_${key}_failures`, result.failures)
    figure(`storm_${key}_p99_ms`, result.latencyP99Ms)
  }

  const sessionStore = await measureSessionStore()
  for (const [name, ms] of Object.entries(sessionStore)) figure(name, ms)

  const dpop = await dpopSection(build)

  return {
    machine: [
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`,
      `${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free)`,
      `Node ${process.version}`,
      `${process.platform} ${process.arch}`,
      // Other work on the machine skews every figure: say how busy it was.
      `1-min load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`,
    ],
    settings,
    overhead,
    storms,
    sessionStore,
    clientJs,
    growth,
    pageBytes: pages,
    dpop,
    elapsedSeconds: (performance.now() - started) / 1000,
  }
}

function dpopSection(build: BuildSnapshot): Promise<DpopResults> {
  const storm = {
    concurrency: STORM_CONCURRENCY,
    storms: STORMS,
    accessTokenTtlSeconds: STORM_TOKEN_TTL_SECONDS,
  }
  return measureDpop({
    build,
    settings,
    later,
    figure,
    storm,
    clusterStorm: (emulator, env) => clusterStorm(build, storm, emulator, env),
  })
}

/** BENCH_ONLY=dpop: section 8 on its own, printed (its figures also go to stdout as `name: value`). */
async function onlyDpop(): Promise<void> {
  const build = await snapshotBuild()
  later(() => build.remove())
  const postgres = await startTestPostgres()
  process.env.TEST_POSTGRES_URL = postgres.url
  later(() => postgres.stop())
  const loadAtStart = loadavg()[0]!
  const dpop = await dpopSection(build)
  console.log(`\n${renderDpopSection(dpop)}`)
  console.log(`1-min load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end`)
}

/** Two app processes on one PostgreSQL database behind one public origin; requests alternate between them. */
async function clusterStorm(
  build: BuildSnapshot,
  options: Pick<StormOptions, 'concurrency' | 'storms' | 'accessTokenTtlSeconds'>,
  emulator: BenchEmulatorOptions = {},
  env: Record<string, string> = {},
) {
  const database = await createTestDatabase('postgresql')
  later(() => database.drop())
  const publicPort = await freePort()
  const idp = await startBenchEmulator(publicPort, undefined, emulator)
  later(() => idp.close())
  const common = { build, databaseUrl: database.url, auth0Origin: idp.origin, publicPort, env }
  const apps = await Promise.all([
    startBenchApp(common),
    startBenchApp({ ...common, port: await freePort() }),
  ])
  for (const app of apps) later(() => app.stop())
  const cookie = (await login(apps[0])).header()
  for (const app of apps)
    await warmUp({
      auth: { url: `${app.origin}/dashboard`, cookie },
      bare: { url: `${app.origin}/bench/dashboard` },
    })
  return refreshStorms({ ...options, apps, login: () => login(apps[0]), idp: idp.control })
}

process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)))
try {
  if (ONLY === 'dpop') await onlyDpop()
  else await fullRun()
} finally {
  await cleanUp()
}

async function fullRun() {
  const results = await main()
  const dir = path.join(import.meta.dirname, 'results')
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'latest.md'), renderMarkdown(results))
  await writeFile(path.join(dir, 'latest.svg'), renderSvg([...results.overhead, ...results.growth]))
  await writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`)
  figure('elapsed_seconds', results.elapsedSeconds)
  console.log(`Wrote ${path.relative(process.cwd(), path.join(dir, 'latest.md'))} and latest.svg`)
}
