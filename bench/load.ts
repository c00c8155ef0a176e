import autocannon from 'autocannon'

export interface LoadSettings {
  connections: number
  durationSeconds: number
  /** Measured runs per page, alternated (bare, auth, bare, auth…) so drift hits both pages alike. */
  rounds: number
}

export interface LoadResult {
  requestsPerSecond: number
  latencyP50Ms: number
  latencyP99Ms: number
  requests: number
  /** Connection errors, timeouts and non-2xx answers: any of them makes the figure meaningless. */
  failures: number
}

export interface Page {
  url: string
  cookie?: string
  /** A form post instead of a GET (e.g. the dashboard's "Call the API"). */
  post?: { body: string; headers: Record<string, string> }
  /** A 200 whose body lacks this text counts as a failure (an action answers 200 with its error in the page). */
  expectText?: string
}

export async function load(page: Page, connections: number, durationSeconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url: page.url,
    connections,
    duration: durationSeconds,
    headers: { ...(page.cookie ? { cookie: page.cookie } : {}), ...page.post?.headers },
    ...(page.post ? { method: 'POST', body: page.post.body } : {}),
    ...(page.expectText ? { verifyBody: (body: string) => body.includes(page.expectText!) } : {}),
  })
  return {
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx + (result.mismatches ?? 0),
  }
}

export interface Comparison {
  connections: number
  auth: LoadResult
  bare: LoadResult
  /** req/s with auth ÷ req/s without: 1 means auth is free. */
  ratio: number
}

/** Both pages under the same load, warmed up first; results are summed over the rounds. */
export async function compare(auth: Page, bare: Page, settings: LoadSettings): Promise<Comparison> {
  const { connections, durationSeconds, rounds } = settings
  await load(bare, connections, 1)
  await load(auth, connections, 1)
  const runs: { auth: LoadResult[]; bare: LoadResult[] } = { auth: [], bare: [] }
  for (let round = 0; round < rounds; round++) {
    runs.bare.push(await load(bare, connections, durationSeconds))
    runs.auth.push(await load(auth, connections, durationSeconds))
  }
  const combined = { auth: combine(runs.auth), bare: combine(runs.bare) }
  return {
    connections,
    ...combined,
    ratio: combined.auth.requestsPerSecond / combined.bare.requestsPerSecond,
  }
}

function combine(results: LoadResult[]): LoadResult {
  const sum = (pick: (result: LoadResult) => number) => results.reduce((total, r) => total + pick(r), 0)
  const mean = (pick: (result: LoadResult) => number) => sum(pick) / results.length
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    latencyP50Ms: mean((r) => r.latencyP50Ms),
    // The worst round's p99: a mean would hide a bad one.
    latencyP99Ms: Math.max(...results.map((r) => r.latencyP99Ms)),
    requests: sum((r) => r.requests),
    failures: sum((r) => r.failures),
  }
}
