import http from 'node:http'
import https from 'node:https'

export type Fetch = (request: Request, init?: { redirect?: 'manual' }) => Promise<Response>

/**
 * A `fetch` (manual redirects only) whose connections leave from `localAddress`, one of 127.0.0.0/8: each
 * simulated user is then a client of its own to nginx and to the rate limiter, as real users behind a proxy are.
 * Keep-alive, like a browser. TLS is verified against the CAs Node trusts (the suite adds its own through
 * NODE_EXTRA_CA_CERTS).
 */
export function clientFetch(localAddress: string): Fetch & { close(): void } {
  const agents = {
    'https:': new https.Agent({ keepAlive: true, localAddress, maxSockets: 6 }),
    'http:': new http.Agent({ keepAlive: true, localAddress, maxSockets: 6 }),
  }
  const send: Fetch = async (request) => {
    const url = new URL(request.url)
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined
    const headers: Record<string, string> = Object.fromEntries(request.headers)
    if (body) headers['content-length'] = String(body.length)
    const transport = url.protocol === 'https:' ? https : http
    return new Promise<Response>((resolve, reject) => {
      const outgoing = transport.request(
        url,
        {
          method: request.method,
          headers,
          agent: agents[url.protocol as 'https:' | 'http:'],
          timeout: 30_000,
        },
        (incoming) => {
          const chunks: Buffer[] = []
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
          incoming.on('error', reject)
          incoming.on('end', () => {
            const responseHeaders = new Headers()
            for (const [name, value] of Object.entries(incoming.headers)) {
              for (const item of Array.isArray(value) ? value : [value ?? ''])
                responseHeaders.append(name, item)
            }
            const status = incoming.statusCode ?? 0
            const nullBody = status === 204 || status === 304
            resolve(
              new Response(nullBody ? null : Buffer.concat(chunks), { status, headers: responseHeaders }),
            )
          })
        },
      )
      outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')))
      outgoing.on('error', reject)
      outgoing.end(body)
    })
  }
  return Object.assign(send, {
    close() {
      agents['https:'].destroy()
      agents['http:'].destroy()
    },
  })
}
