import type { ShippedJs } from './client-js'
import type { Comparison, LoadSettings } from './load'
import { nonceChallenges, successfulRefreshGrants, type StormResult } from './storm'

export interface OverheadRow {
  label: string
  comparison: Comparison
  /** IdP calls per authenticated request during the measured runs. */
  idpCallsPerRequest?: number
}

export interface StormRow {
  label: string
  result: StormResult
}

/** "Call the API" with AUTH0_USE_DPOP=true (`comparison.auth`) against the same with Bearer (`comparison.bare`). */
export interface DpopApiRow {
  label: string
  comparison: Comparison
  /** Every IdP call while each stack was under load (tokens are cached in the session: 0 expected). */
  idpCalls: { dpop: number; bearer: number }
  /** Proof jtis the API recorded during the DPoP runs, warm-ups included: at least one per measured call. */
  proofsAccepted: number
}

export interface DpopResults {
  api: DpopApiRow[]
  /** Storms with DPoP-bound tokens and nonces required by the emulator. */
  storms: StormRow[]
}

export interface BenchResults {
  machine: string[]
  settings: LoadSettings
  overhead: OverheadRow[]
  storms: { label: string; result: StormResult }[]
  sessionStore: Record<string, number>
  clientJs: { label: string; js: ShippedJs }[]
  growth: OverheadRow[]
  pageBytes: Record<string, number>
  /** Section 8; absent from runs made before it existed. */
  dpop?: DpopResults
  elapsedSeconds: number
}

export const TARGET_RATIO = 0.9

const fixed = (value: number, digits = 2) => value.toFixed(digits)
const kb = (bytes: number) => `${fixed(bytes / 1024, 1)} KB`
const verdict = (met: boolean) => (met ? 'met' : '**missed**')

function overheadTable(rows: OverheadRow[]): string[] {
  return [
    '| scenario | conns | auth req/s | bare req/s | ratio | auth p50 / p99 ms | bare p50 / p99 ms | failures | target ≥ 0.90 |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --- |',
    ...rows
      .map(({ label, comparison: c }) =>
        [
          label,
          c.connections,
          fixed(c.auth.requestsPerSecond, 0),
          fixed(c.bare.requestsPerSecond, 0),
          fixed(c.ratio),
          `${c.auth.latencyP50Ms} / ${c.auth.latencyP99Ms}`,
          `${c.bare.latencyP50Ms} / ${c.bare.latencyP99Ms}`,
          c.auth.failures + c.bare.failures,
          verdict(c.ratio >= TARGET_RATIO),
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
  ]
}

function sessionStoreTable(figures: Record<string, number>): string[] {
  const lines = [
    '| engine | op | median ms | p99 ms | added p99 ms (vs in-memory) | target |',
    '| --- | --- | --: | --: | --: | --- |',
  ]
  for (const engine of ['sqlite', 'postgresql'] as const)
    for (const op of ['read', 'write'] as const) {
      const median = figures[`session_${op}_${engine}_median_ms`]!
      const p99 = figures[`session_${op}_${engine}_p99_ms`]!
      const added = p99 - figures[`session_${op}_baseline_p99_ms`]!
      const limit = engine === 'sqlite' ? 1 : 2
      lines.push(
        `| ${engine} | ${op} | ${median} | ${p99} | ${fixed(added, 3)} | ≤ ${limit} ms: ${verdict(added <= limit)} |`,
      )
    }
  const baseline = (op: string) =>
    `${figures[`session_${op}_baseline_median_ms`]} / ${figures[`session_${op}_baseline_p99_ms`]}`
  lines.push(
    '',
    `In-memory baseline (median / p99 ms): read ${baseline('read')}, write ${baseline('write')}.`,
  )
  return lines
}

function dpopApiTable(rows: DpopApiRow[]): string[] {
  return [
    '| scenario | DPoP req/s | Bearer req/s | ratio | DPoP p50 / p99 ms | Bearer p50 / p99 ms | failures | IdP calls (DPoP / Bearer) | proofs accepted / measured DPoP calls |',
    '| --- | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...rows.map(({ label, comparison: c, idpCalls, proofsAccepted }) =>
      [
        '',
        label,
        fixed(c.auth.requestsPerSecond, 0),
        fixed(c.bare.requestsPerSecond, 0),
        fixed(c.ratio),
        `${c.auth.latencyP50Ms} / ${c.auth.latencyP99Ms}`,
        `${c.bare.latencyP50Ms} / ${c.bare.latencyP99Ms}`,
        c.auth.failures + c.bare.failures,
        `${idpCalls.dpop} / ${idpCalls.bearer}`,
        `${proofsAccepted} / ${c.auth.requests}`,
        '',
      ]
        .join(' | ')
        .trim(),
    ),
  ]
}

function dpopStormTable(storms: StormRow[]): string[] {
  return [
    '| scenario | storms × requests | refresh grants per storm | nonce challenges per storm | `/oauth/token` calls per storm | failed requests | p99 ms | target |',
    '| --- | --: | --- | --- | --- | --: | --: | --- |',
    ...storms.map(({ label, result }) => {
      const grants = result.grants.map(successfulRefreshGrants)
      const met = grants.every((count) => count === 1) && result.failures === 0
      return `| ${label} | ${result.tokenCalls.length} × ${result.requests / result.tokenCalls.length} | ${grants.join(', ')} | ${result.grants.map(nonceChallenges).join(', ')} | ${result.tokenCalls.join(', ')} | ${result.failures} | ${fixed(result.latencyP99Ms, 1)} | 1 grant, 0 failures: ${verdict(met)} |`
    }),
  ]
}

/** Section 8 alone, for BENCH_ONLY=dpop. */
export function renderDpopSection(dpop: DpopResults): string {
  return dpopSection(dpop).join('\n')
}

function dpopSection(dpop: DpopResults): string[] {
  return [
    '## 8. DPoP',
    '',
    'The dashboard\'s "Call the API" (`POST /dashboard`, `intent=call-api`): the app takes the session\'s token for',
    'the example API and calls `/api/protected` on itself. With `AUTH0_USE_DPOP=true` the token is DPoP-bound (the',
    "emulator's client requires it), the app signs a proof with the session's key and the API verifies it and",
    'records its jti in the database; without, a Bearer token and a JWT check. Two stacks side by side, rounds',
    "alternated; a response without the API's answer counts as a failure. Ratio = DPoP req/s ÷ Bearer req/s.",
    '',
    ...dpopApiTable(dpop.api),
    '',
    'Refresh storms as in 3–4 with `AUTH0_USE_DPOP=true` and the emulator requiring a DPoP nonce on every proof.',
    'A challenged token request (`use_dpop_nonce`) is retried with the nonce; the emulator counts it apart, so',
    'refresh grants = `refresh_token` requests − challenges.',
    '',
    ...dpopStormTable(dpop.storms),
    '',
  ]
}

/** The report the README links to: every figure, its target, and what was measured. */
export function renderMarkdown(results: BenchResults): string {
  const { settings } = results
  const idpRows = results.overhead.filter((row) => row.idpCallsPerRequest !== undefined)
  const dashboard = results.clientJs[0]
  return [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\` in ${fixed(results.elapsedSeconds, 0)} s. The test build (the production build`,
    'plus `/bench/dashboard`) with NODE_ENV=production, local Auth0 emulator, everything on loopback. Load:',
    `autocannon, ${settings.connections} connections unless stated, ${settings.rounds} alternating rounds of`,
    `${settings.durationSeconds} s per page after a warm-up.`,
    '',
    '**Machine:** ' + results.machine.join(', '),
    '',
    '![Auth overhead ratios](latest.svg)',
    '',
    '## 1. Auth overhead',
    '',
    '`/dashboard` (logged-in session) against `/bench/dashboard`: the same route component, headers and meta with',
    'fixed data, no cookie (`bench/app/dashboard.tsx`, a route of the test build only). On `/dashboard` the',
    'root loader (`getUserOrNull`) and the route loader (`getSessionInfo`) share one session read per request: the',
    'Server strategy reads one row by primary key (plus at most one idle-deadline UPDATE a minute), the Browser',
    "strategy decrypts the cookie. Beyond auth, the dashboard loader lists the user's sessions (Server strategy:",
    'one query by the indexed `sub`); the bench page renders the same list from fixed data, so that query counts',
    'as overhead here.',
    'Both pages render the same markup except the header (avatar and name vs. "Log in"): HTML bytes ' +
      Object.entries(results.pageBytes)
        .map(([page, bytes]) => `${page} ${bytes}`)
        .join(', ') +
      '.',
    '',
    ...overheadTable(results.overhead),
    '',
    '## 2. IdP calls per authenticated request (steady state)',
    '',
    '| scenario | calls per request | target 0 |',
    '| --- | --: | --- |',
    ...idpRows.map(
      (row) => `| ${row.label} | ${row.idpCallsPerRequest} | ${verdict(row.idpCallsPerRequest === 0)} |`,
    ),
    '',
    '## 3–4. Refresh storms',
    '',
    'Each storm: concurrent requests to `/dashboard` on one session whose access token has just expired',
    '(emulator access-token lifetime 4 s). Token calls are `/oauth/token` hits at the emulator per storm.',
    '',
    '| scenario | storms × requests | token calls per storm | failed requests | p99 ms | target |',
    '| --- | --: | --- | --: | --: | --- |',
    ...results.storms.map(({ label, result }) => {
      const met = result.tokenCalls.every((calls) => calls === 1) && result.failures === 0
      return `| ${label} | ${result.tokenCalls.length} × ${result.requests / result.tokenCalls.length} | ${result.tokenCalls.join(', ')} | ${result.failures} | ${fixed(result.latencyP99Ms, 1)} | exactly 1, 0 failures: ${verdict(met)} |`
    }),
    '',
    '## 5. Session store latency',
    '',
    '`bench/session-store.ts`: `getSession` from a cookie and `commitSession` of a changed session, in process,',
    'against the same loop on an in-memory store (cookie signing and Remix overhead, no database).',
    '',
    ...sessionStoreTable(results.sessionStore),
    '',
    '## 6. Client JavaScript',
    '',
    'Every script the page loads (modulepreload links, inline module imports, script src), each gzipped.',
    '',
    '| page | files | raw | gzip |',
    '| --- | --: | --: | --: |',
    ...results.clientJs.map(
      ({ label, js }) => `| ${label} | ${js.files} | ${kb(js.rawBytes)} | ${kb(js.gzipBytes)} |`,
    ),
    '',
    ...results.clientJs
      .slice(1)
      .map(
        ({ label, js }) =>
          `- dashboard − ${label}: ${kb(dashboard!.js.gzipBytes - js.gzipBytes)} gzip (target ≤ 5 KB: ${verdict(dashboard!.js.gzipBytes - js.gzipBytes <= 5 * 1024)})`,
      ),
    '',
    '## 7. Cost growth',
    '',
    'Auth overhead ratio by concurrent connections (Server strategy, SQLite) and by rows in the session table',
    '(filler sessions of other users, about 2 KB of data each). Flat is the target.',
    '',
    ...overheadTable(results.growth),
    '',
    ...(results.dpop ? dpopSection(results.dpop) : []),
  ].join('\n')
}

/** A horizontal bar chart of every auth-overhead ratio, with the 0.90 target marked. */
export function renderSvg(rows: OverheadRow[]): string {
  const labelWidth = 300
  const barWidth = 380
  const rowHeight = 26
  const top = 40
  const height = top + rows.length * rowHeight + 30
  const width = labelWidth + barWidth + 70
  const x = (ratio: number) => labelWidth + Math.min(ratio, 1.2) * (barWidth / 1.2)
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const bars = rows.map(({ label, comparison: c }, index) => {
    const y = top + index * rowHeight
    const colour = c.ratio >= TARGET_RATIO ? '#16a34a' : '#dc2626'
    return [
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(`${label}, ${c.connections} conns`)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${fixed(x(c.ratio) - labelWidth, 1)}" height="${rowHeight - 8}" fill="${colour}"/>`,
      `<text x="${fixed(x(c.ratio) + 6, 1)}" y="${y + 16}">${fixed(c.ratio)}</text>`,
    ].join('')
  })
  const target = x(TARGET_RATIO)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="14" font-weight="600">Auth overhead: req/s with auth ÷ req/s without (higher is better)</text>`,
    ...bars,
    `<line x1="${fixed(target, 1)}" y1="${top}" x2="${fixed(target, 1)}" y2="${height - 24}" stroke="#111" stroke-dasharray="4 3"/>`,
    `<text x="${fixed(target, 1)}" y="${height - 10}" text-anchor="middle">target ${TARGET_RATIO}</text>`,
    '</svg>',
    '',
  ].join('\n')
}
