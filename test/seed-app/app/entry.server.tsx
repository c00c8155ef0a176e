import type { AppLoadContext, EntryContext, HandleDataRequestFunction } from '@remix-run/node'
import { RemixServer } from '@remix-run/react'
import { renderToString } from 'react-dom/server'
import { authenticator } from './auth.server'

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true
  }
}

// Migration step: the Browser strategy's refreshed cookie goes out on the same response (no "literal page refresh").
export default function handleRequest(
  request: Request,
  status: number,
  headers: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  authenticator.applyHeaders(request, loadContext, headers)
  headers.set('Content-Type', 'text/html; charset=utf-8')
  const html = renderToString(<RemixServer context={remixContext} url={request.url} />)
  return new Response(`<!DOCTYPE html>${html}`, { status, headers })
}

export const handleDataRequest: HandleDataRequestFunction = (response, { request, context }) => {
  authenticator.applyHeaders(request, context, response.headers)
  return response
}
