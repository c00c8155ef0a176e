// The slice of autocannon 8's API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  export interface Options {
    url: string
    connections?: number
    duration?: number
    headers?: Record<string, string>
    method?: string
    body?: string
    /** A falsy answer counts the response in `mismatches`. */
    verifyBody?: (body: string) => boolean
  }

  export interface Histogram {
    average: number
    p50: number
    p99: number
    total: number
  }

  export interface Result {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    mismatches?: number
    '2xx': number
    latency: Histogram
    requests: Histogram
  }

  export default function autocannon(options: Options): Promise<Result>
}
