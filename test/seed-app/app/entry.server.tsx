import { PassThrough } from 'node:stream'
import {
  createReadableStreamFromReadable,
  type AppLoadContext,
  type EntryContext,
  type HandleDataRequestFunction,
} from '@remix-run/node'
import { RemixServer } from '@remix-run/react'
import { renderToPipeableStream } from 'react-dom/server'
import { authenticator } from './auth.server'

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true
  }
}

// Remix's default entry, plus the migration step: applyHeaders sends a Browser-strategy refresh's cookie on the
// same response (no "literal page refresh").
export default function handleRequest(
  request: Request,
  status: number,
  headers: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  authenticator.applyHeaders(request, loadContext, headers)
  return new Promise<Response>((resolve, reject) => {
    const { pipe } = renderToPipeableStream(<RemixServer context={remixContext} url={request.url} />, {
      onAllReady() {
        const body = new PassThrough()
        headers.set('Content-Type', 'text/html; charset=utf-8')
        resolve(new Response(createReadableStreamFromReadable(body), { status, headers }))
        pipe(body)
      },
      onShellError: reject,
    })
  })
}

export const handleDataRequest: HandleDataRequestFunction = (response, { request, context }) => {
  authenticator.applyHeaders(request, context, response.headers)
  return response
}
