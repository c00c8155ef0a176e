import { gzipSync } from 'node:zlib'

export interface ShippedJs {
  files: number
  rawBytes: number
  gzipBytes: number
}

// Remix puts route modules in <link rel="modulepreload">, and imports the manifest and entry from an inline
// module script; any plain <script src> counts too.
const modulePreload =
  /<link[^>]+rel="modulepreload"[^>]*href="([^"]+)"|<link[^>]+href="([^"]+)"[^>]*rel="modulepreload"/g
const scriptSrc = /<script[^>]+src="([^"]+)"/g
const inlineImport = /\bimport\s*(?:[\w*{}\s,]+from\s*)?["']([^"']+\.js)["']/g

/** The JavaScript files a page makes the browser load (unique URLs), and their size gzipped one by one. */
export async function shippedJs(url: string, cookie?: string): Promise<ShippedJs> {
  // Any status: the 404 page is a fine bare page.
  const response = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' })
  const html = await response.text()
  if (!html.includes('</html>')) throw new Error(`${url} answered ${response.status} without a page`)
  const urls = new Set<string>()
  for (const pattern of [modulePreload, scriptSrc, inlineImport])
    for (const match of html.matchAll(pattern)) urls.add(new URL(match[1] ?? match[2]!, url).href)
  let rawBytes = 0
  let gzipBytes = 0
  for (const script of urls) {
    const file = await fetch(script)
    if (!file.ok) throw new Error(`${script} answered ${file.status}`)
    const body = Buffer.from(await file.arrayBuffer())
    rawBytes += body.length
    gzipBytes += gzipSync(body).length
  }
  return { files: urls.size, rawBytes, gzipBytes }
}
