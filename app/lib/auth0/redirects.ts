/**
 * Returns `to` when it is a path on this app, otherwise `fallback`. Rejects every way of naming another origin:
 * `//evil`, `/\evil`, `https:evil`, `javascript:`, encoded slashes and backslashes, control characters.
 */
export function safeRedirect(to: FormDataEntryValue | string | null | undefined, fallback = '/'): string {
  if (typeof to !== 'string' || to.length === 0 || to.length > 2048) return fallback
  if (!to.startsWith('/') || to.startsWith('//') || to.startsWith('/\\')) return fallback
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(to)) return fallback
  let decoded = to
  try {
    // Decoding twice catches %2f%2f and %252f%252f style payloads that a later hop might decode.
    decoded = decodeURIComponent(decodeURIComponent(to))
  } catch {
    return fallback
  }
  // eslint-disable-next-line no-control-regex
  if (decoded.startsWith('//') || decoded.startsWith('/\\') || /[\u0000-\u001f\u007f\\]/.test(decoded))
    return fallback
  const base = 'http://app.invalid'
  const url = new URL(to, base)
  const normalized = url.pathname + url.search + url.hash
  // Dot segments can fold into a protocol-relative path: /@evil/..// becomes //
  if (url.origin !== base || normalized.startsWith('//')) return fallback
  return normalized
}

/** The page a request is for (single-fetch `.data` URLs mapped back), for `returnTo` when a guard redirects. */
export function currentPath(request: Request): string {
  const url = new URL(request.url)
  url.searchParams.delete('_data')
  url.searchParams.delete('_routes')
  const pathname = url.pathname === '/_root.data' ? '/' : url.pathname.replace(/\.data$/, '')
  return pathname + url.search
}

/** `target` (a path or URL) with `query` set on it; paths stay paths. */
export function withQuery(target: string, query: Record<string, string>): string {
  const url = new URL(target, 'http://app.invalid')
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
  return url.origin === 'http://app.invalid' ? url.pathname + url.search + url.hash : url.href
}
