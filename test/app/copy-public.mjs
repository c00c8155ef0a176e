// server.js serves public/ from its working directory: the test build gets the product's static files next to
// its own public/build (`npm run build:test`).
import { cp, readdir } from 'node:fs/promises'

const from = new URL('../../public/', import.meta.url)
const to = new URL('public/', import.meta.url)
for (const entry of await readdir(from)) {
  if (entry !== 'build') await cp(new URL(entry, from), new URL(entry, to), { recursive: true })
}
