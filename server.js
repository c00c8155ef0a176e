// The production server: Express in front of the Remix build (docs/decisions/008-express-server.md).
// `node server.js` migrates the database, then serves build/index.js and public/ on PORT (HOST optional).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { watchFile } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequestHandler } from '@remix-run/express'
import { broadcastDevReady, installGlobals } from '@remix-run/node'
import compression from 'compression'
import express from 'express'
import morgan from 'morgan'
import proxyAddr from 'proxy-addr'
import { withMigrationLock } from './scripts/migration-lock.mjs'

const root = path.dirname(fileURLToPath(import.meta.url))
process.env.NODE_ENV ??= 'production'
const mode = process.env.NODE_ENV === 'development' ? 'development' : 'production'
const buildPath = path.resolve('build/index.js')

/** A body this small that a route answered without reading is read and dropped: the connection stays usable. */
const MAX_DRAINED_BODY_BYTES = 64 * 1024
/** In-flight requests get this long after SIGTERM; Docker's default grace period is 10 s. */
const SHUTDOWN_GRACE_MS = 8_000

const importBuild = async () => import(`${pathToFileURL(buildPath).href}?t=${Date.now()}`)

/** Loopback and private ranges: where a reverse proxy in front of this server connects from. */
const proxyRanges = ['loopback', 'linklocal', 'uniquelocal']

// Importing the build validates the environment (app/env.server.ts): a bad one stops here, before any migration.
let build = await importBuild()
installGlobals({ nativeFetch: build.future.v3_singleFetch })
// PAR and private_key_jwt must exist on the tenant: a misconfiguration stops here, naming the variable.
await build.entry.module.checkAuth0Configuration()

if (process.env.SKIP_MIGRATIONS !== 'true') await migrate()

const app = express()
app.disable('x-powered-by')
// Only the peer that connected is trusted, and only from a proxy range (TRUST_PROXY=true) or from the addresses
// TRUST_PROXY lists: X-Forwarded-For's last entry is the client; anything a client prepends is ignored.
const trustProxy = process.env.TRUST_PROXY || 'false'
app.set(
  'trust proxy',
  trustProxy === 'false'
    ? false
    : trustNearestProxy(
        trustProxy === 'true' ? proxyRanges : trustProxy.split(',').map((entry) => entry.trim()),
      ),
)
app.use(keepConnectionsClean)
app.use(refuseCrossOriginWrites)
app.use(compression())
app.use(build.publicPath, express.static(build.assetsBuildDirectory, { immutable: true, maxAge: '1y' }))
app.use(express.static('public', { maxAge: '1h' }))
app.use(morgan('tiny'))
app.all('*', mode === 'development' ? developmentHandler() : productionHandler())

const server = app.listen(Number(process.env.PORT) || 3000, process.env.HOST || undefined, () => {
  const { address, port } = server.address()
  console.log(`[server] listening on http://${address.includes(':') ? `[${address}]` : address}:${port}`)
  if (mode === 'development') void broadcastDevReady(build)
})
// Behind a proxy that keeps idle upstream connections for 60 s (nginx, AWS ALB), the proxy must be the side
// that closes them, or it sends a request on a socket this server is closing (a 502).
server.keepAliveTimeout = 65_000
// A client gets 20 s for its headers and 30 s for its whole request (a login form, a token): slow-loris bounds.
server.headersTimeout = 20_000
server.requestTimeout = 30_000

let shuttingDown = false
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => void shutdown(signal))

function loadContext(req) {
  return { clientAddress: req.ip }
}

function productionHandler() {
  return createRequestHandler({ build, mode, getLoadContext: loadContext })
}

/** `remix dev --manual`: re-import the build whenever it writes build/version.txt, then tell it we are ready. */
function developmentHandler() {
  watchFile(path.resolve('build/version.txt'), { interval: 200 }, async () => {
    build = await importBuild()
    await broadcastDevReady(build)
  })
  return (req, res, next) =>
    createRequestHandler({ build, mode, getLoadContext: loadContext })(req, res, next)
}

function trustNearestProxy(ranges) {
  const inProxyRange = proxyAddr.compile(ranges)
  return (address, hop) => hop === 0 && inProxyRange(address, hop)
}

/**
 * An answer sent before the request body was read (a redirect, 403, 413, 415, 429) would leave that body in the
 * socket, where it is parsed as the next request: read and drop a small body, close the connection after a large
 * one (or one of unknown length). A load balancer then sees a clean close instead of a reset.
 */
function keepConnectionsClean(req, res, next) {
  const writeHead = res.writeHead
  res.writeHead = function (...args) {
    if (!req.complete && hasBody(req)) {
      const length = Number(req.headers['content-length'] ?? Infinity)
      if (!(length <= MAX_DRAINED_BODY_BYTES)) {
        res.setHeader('Connection', 'close')
        lingerOnClose(req.socket)
      }
      discardBody(req)
    }
    return writeHead.apply(this, args)
  }
  if (shuttingDown) res.setHeader('Connection', 'close')
  next()
}

function hasBody(req) {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0
}

function discardBody(req) {
  // Remix's body stream stopped pulling; take it off so the data flows to nowhere instead of piling up.
  req.removeAllListeners('data')
  req.on('data', () => {})
  req.resume()
}

/**
 * Closing a socket whose receive buffer still holds body bytes makes the kernel send a reset, which can destroy
 * the answer before the client reads it. Half-close instead, keep reading for a moment, then close.
 */
function lingerOnClose(socket) {
  socket.destroySoon = function () {
    this.end()
    const timer = setTimeout(() => this.destroy(), 2_000)
    timer.unref()
    this.once('close', () => clearTimeout(timer))
    this.once('end', () => this.destroy())
  }
}

function refuseCrossOriginWrites(req, res, next) {
  const headers = { get: (name) => req.get(name) ?? null }
  if (!build.entry.module.refusesCrossOriginWrite(req.method, req.path, headers)) return next()
  console.warn(`Blocked a cross-origin ${req.method} to ${req.path}`)
  res
    .status(403)
    .set({ 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8' })
    .send('Forbidden: cross-origin request')
}

/**
 * Stop accepting, let in-flight requests finish (bounded), close keep-alive connections as they fall idle, close
 * the database, exit 0: a session write acknowledged before SIGTERM is committed by then.
 */
async function shutdown(signal) {
  if (shuttingDown) return
  shuttingDown = true
  console.log(`[server] ${signal}: finishing in-flight requests`)
  const closed = new Promise((resolve) => server.close(resolve))
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100)
  server.closeIdleConnections()
  const graceOver = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref())
  if ((await Promise.race([closed.then(() => 'closed'), graceOver])) !== 'closed') {
    console.warn('[server] grace period over: closing the remaining connections')
    server.closeAllConnections()
  }
  clearInterval(idleSweep)
  try {
    await build.entry.module.closeDatabase()
  } catch (error) {
    console.error(`[server] closing the database failed: ${error?.name ?? 'error'}`)
  }
  console.log('[server] stopped')
  process.exit(0)
}

/** `prisma migrate deploy`, one instance at a time per SQLite file (see scripts/migration-lock.mjs). */
async function migrate() {
  const status = await withMigrationLock(process.env.DATABASE_URL, async () => {
    const child = spawn(process.execPath, [path.join(root, 'scripts/prisma.mjs'), 'migrate', 'deploy'], {
      stdio: 'inherit',
      // Prisma's update check forks a child that outlives the CLI: a zombie under a container's PID 1.
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    })
    const [code] = await once(child, 'exit')
    return code
  })
  if (status !== 0) {
    console.error(`[server] database migration failed (exit ${status}); not starting`)
    process.exit(1)
  }
}
