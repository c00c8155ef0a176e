import { connect, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { Client, freshIp, type SecretWatch, withStack, type Stack } from './support'

/**
 * Early answers on a keep-alive connection, over a raw socket: an answer sent before the request body was read
 * must not leave that body to be parsed as the next request (ECONNRESET for the next user; a 502 behind nginx).
 * Either the server drains the body and the connection serves the next request, or it says `Connection: close`
 * and closes cleanly (FIN, no reset) after the whole answer.
 */
let stack: Stack
let watch: SecretWatch
withStack((running) => ({ stack, watch } = running))

interface RawResponse {
  status: number
  headers: Record<string, string>
}

/** One HTTP/1.1 connection, read by hand: responses are parsed as they arrive, the close is observed. */
class RawConnection {
  private buffer = Buffer.alloc(0)
  private waiter?: () => void
  readonly socket: Socket
  ended = false
  error?: Error

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1')
    this.socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk])
      this.waiter?.()
    })
    this.socket.on('end', () => {
      this.ended = true
      this.waiter?.()
    })
    this.socket.on('error', (error) => {
      this.error = error
      this.waiter?.()
    })
  }

  /** Sends the request; with `sentBytes`, only that much of the body goes now (the rest via `write`). */
  send(method: string, path: string, headers: Record<string, string>, body = '', sentBytes?: number): void {
    const lines = [`${method} ${path} HTTP/1.1`, `Host: localhost:${stack.port}`, 'Connection: keep-alive']
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
    if (method !== 'GET') lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n${body.slice(0, sentBytes ?? body.length)}`)
  }

  write(data: string): void {
    this.socket.write(data)
  }

  /** The next complete response (Content-Length or chunked), or throws on a reset or an early end. */
  async response(): Promise<RawResponse> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const parsed = this.parse()
      if (parsed) return parsed
      if (this.error) throw this.error
      if (this.ended)
        throw new Error(`connection ended mid-response: ${this.buffer.toString().slice(0, 200)}`)
      if (Date.now() > deadline) throw new Error('no response within 15 s')
      await this.wait()
    }
  }

  /** Resolves once the server closed the connection; throws if it was reset instead. */
  async closed(): Promise<void> {
    const deadline = Date.now() + 5_000
    while (!this.ended && !this.error && Date.now() < deadline) await this.wait()
    if (this.error) throw this.error
    expect(this.ended, 'the server closed the connection').toBe(true)
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 250)
      this.waiter = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  private parse(): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n')
    if (end < 0) return undefined
    const [statusLine, ...headerLines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const bodyStart = end + 4
    let bodyEnd: number
    if (headers['transfer-encoding'] === 'chunked') {
      const terminator = this.buffer.indexOf('\r\n0\r\n\r\n', bodyStart - 2)
      if (terminator < 0) return undefined
      bodyEnd = terminator + 7
    } else {
      bodyEnd = bodyStart + Number(headers['content-length'] ?? 0)
      if (this.buffer.length < bodyEnd) return undefined
    }
    this.buffer = this.buffer.subarray(bodyEnd)
    return { status: Number(statusLine!.split(' ')[1]), headers }
  }

  close(): void {
    this.socket.destroy()
  }
}

const form = 'application/x-www-form-urlencoded'
const body = (bytes: number) => `code=${'a'.repeat(bytes - 5)}`

/** Sends the early-answered request, then proves the connection (or a fresh one after a clean close) still works. */
async function expectCleanAfter(
  request: { method: string; path: string; headers: Record<string, string>; body: string },
  expectedStatus: number,
): Promise<RawResponse> {
  const connection = new RawConnection(stack.port)
  try {
    connection.send(request.method, request.path, request.headers, request.body)
    const first = await connection.response()
    expect(first.status, `${request.method} ${request.path}`).toBe(expectedStatus)
    let next = connection
    if (first.headers.connection?.toLowerCase() === 'close') {
      await connection.closed()
      next = new RawConnection(stack.port)
    }
    try {
      next.send('GET', '/healthz', {})
      const second = await next.response()
      expect(second.status, 'the next request on the connection').toBe(200)
    } finally {
      if (next !== connection) next.close()
    }
    return first
  } finally {
    connection.close()
  }
}

describe('keep-alive after early answers', () => {
  it('callback with a 200 KB body: answered before the body arrives, then the connection closes cleanly', async () => {
    // Only the first 16 KB are sent before the answer, so the server cannot have read the whole body: whatever the
    // machine's load, this is the "answered early, large body" case. The rest follows the answer, as a client
    // that streams its upload would send it; the server must read it and close with a FIN, not a reset.
    const payload = body(200 * 1024)
    const connection = new RawConnection(stack.port)
    try {
      connection.send(
        'POST',
        '/auth/callback',
        { 'Content-Type': form, 'X-Forwarded-For': freshIp() },
        payload,
        16 * 1024,
      )
      const first = await connection.response()
      expect(first.status).toBe(302)
      expect(first.headers.location).toMatch(/^\/login\?error=/)
      expect(first.headers.connection).toBe('close')
      connection.write(payload.slice(16 * 1024))
      await connection.closed()
    } finally {
      connection.close()
    }
    const next = new RawConnection(stack.port)
    try {
      next.send('GET', '/healthz', {})
      expect((await next.response()).status, 'a new connection after the close').toBe(200)
    } finally {
      next.close()
    }
  })

  it('callback with a small body of the wrong type: drained, the connection is kept', async () => {
    const first = await expectCleanAfter(
      {
        method: 'POST',
        path: '/auth/callback',
        headers: { 'Content-Type': 'text/plain', 'X-Forwarded-For': freshIp() },
        body: body(32 * 1024),
      },
      302,
    )
    expect(first.headers.connection).not.toBe('close')
  })

  it('back-channel logout with the wrong content type (400), small and large bodies', async () => {
    for (const size of [8 * 1024, 300 * 1024]) {
      await expectCleanAfter(
        {
          method: 'POST',
          path: '/auth/backchannel-logout',
          headers: { 'Content-Type': 'application/json' },
          body: body(size),
        },
        400,
      )
    }
  })

  it('refused cross-origin POST (403), small and large bodies', async () => {
    for (const size of [1024, 200 * 1024]) {
      await expectCleanAfter(
        {
          method: 'POST',
          path: '/dashboard',
          headers: { 'Content-Type': form, Origin: 'https://evil.example' },
          body: body(size),
        },
        403,
      )
    }
  })

  it('rate-limited login start (429), small and large bodies', async () => {
    const client = new Client(stack.origin)
    for (let i = 0; i < 60; i++) await client.submit('/auth/auth0')
    for (const size of [2 * 1024, 200 * 1024]) {
      await expectCleanAfter(
        {
          method: 'POST',
          path: '/auth/auth0',
          headers: { 'Content-Type': form, Origin: stack.origin, 'X-Forwarded-For': client.ip },
          body: body(size),
        },
        429,
      )
    }
  })

  it('keeps serving after many poisoned attempts, with nothing secret in the logs', async () => {
    const attempts = Array.from({ length: 10 }, (_, i) =>
      expectCleanAfter(
        {
          method: 'POST',
          path: '/auth/callback',
          headers: { 'Content-Type': form, 'X-Forwarded-For': freshIp() },
          body: body((i % 2 ? 200 : 20) * 1024),
        },
        302,
      ),
    )
    await Promise.all(attempts)
    expect(watch.found(stack.output())).toEqual([])
  })
})
