// Serves the fixture's build like remix-serve does: its assets, then every request to Remix. PORT is required.
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createRequestHandler } from '@remix-run/express'
import { installGlobals } from '@remix-run/node'
import express from 'express'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../build/seed-app')
const build = await import(pathToFileURL(path.join(root, 'index.js')).href)
installGlobals({ nativeFetch: true })

const app = express()
app.use(build.publicPath, express.static(path.join(root, 'public/build'), { immutable: true, maxAge: '1y' }))
app.all('*', createRequestHandler({ build, mode: 'production' }))
const server = app.listen(Number(process.env.PORT), () =>
  console.log(`[seed-app] listening on ${server.address().port}`),
)
process.once('SIGTERM', () => server.close(() => process.exit(0)))
