// First import on purpose, and validated right away: a bad environment must stop the server at boot, not fail
// the first request.
import { env, loadEnv } from '~/env.server'
import { PassThrough } from 'node:stream'
import {
  createReadableStreamFromReadable,
  type AppLoadContext,
  type EntryContext,
  type HandleDataRequestFunction,
  type HandleErrorFunction,
} from '@remix-run/node'
import { RemixServer } from '@remix-run/react'
import { isbot } from 'isbot'
import { renderToPipeableStream } from 'react-dom/server'
import { authenticator } from '~/auth.server'
import type { HeaderReader } from '~/lib/auth0'
import { rateLimitWindowSeconds } from '~/rate-limit.server'
import { NonceProvider } from '~/components/nonce'
import {
  applyPersonalCacheControl,
  applySecurityHeaders,
  createNonce,
  isRefusedCrossOriginWrite,
  type SecurityOptions,
} from '~/security.server'

// server.js reaches these through the build (`build.entry.module`): one module graph, one database client.
export { closeDatabase } from '~/db.server'
export { checkAuth0Configuration } from '~/auth.server'

loadEnv()

/** For server.js: answer 403 to a cross-origin write before Remix sees it. */
export function refusesCrossOriginWrite(method: string, pathname: string, headers: HeaderReader): boolean {
  return isRefusedCrossOriginWrite(method, pathname, headers, env.APP_ORIGIN)
}

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true
  }
}

/** How long streamed (deferred) data may take before React gives up on it. */
export const streamTimeout = 5_000

const security: SecurityOptions = {
  auth0Origin: env.AUTH0_ORIGIN,
  https: env.SECURE_COOKIES,
  mode: env.NODE_ENV,
}

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = createNonce()
  applySecurityHeaders(responseHeaders, security, nonce)
  applyPersonalCacheControl(request, responseHeaders)
  // A page loader's thrown 429 keeps only its status here (the root has no `headers` export to pass the thrown
  // Response's headers on): tell clients the limiter's window. Resource routes send their exact Retry-After.
  if (responseStatusCode === 429 && !responseHeaders.has('Retry-After')) {
    responseHeaders.set('Retry-After', String(rateLimitWindowSeconds))
    responseHeaders.set('Cache-Control', 'no-store')
  }
  authenticator.applyHeaders(request, loadContext, responseHeaders)
  // Crawlers and SPA mode get the whole document at once; browsers get the shell as soon as it is ready.
  const waitForAll = isbot(request.headers.get('user-agent')) || remixContext.isSpaMode

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider nonce={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        [waitForAll ? 'onAllReady' : 'onShellReady']() {
          shellRendered = true
          const body = new PassThrough()
          responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          )
          pipe(body)
        },
        onShellError(error: unknown) {
          reject(error)
        },
        onError(error: unknown) {
          responseStatusCode = 500
          // Errors before the shell is ready reject the promise and Remix logs them; later ones only surface here.
          if (shellRendered) console.error(error)
        },
      },
    )
    // Abort after the stream timeout so pending promises reject and the response can finish.
    setTimeout(abort, streamTimeout + 1_000)
  })
}

export const handleDataRequest: HandleDataRequestFunction = (response, { request, context }) => {
  applySecurityHeaders(response.headers, security)
  applyPersonalCacheControl(request, response.headers)
  authenticator.applyHeaders(request, context, response.headers)
  return response
}

/**
 * Remix aborts a cross-origin POST to a page route before any action runs (its built-in CSRF check) and logs the
 * error with a stack; one line is enough for an attack that was stopped. Everything else is logged as before.
 */
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return
  if (error instanceof Error && error.message.includes('does not match `origin` header')) {
    console.warn(`Blocked a cross-origin ${request.method} to ${new URL(request.url).pathname}`)
    return
  }
  console.error(error)
}
