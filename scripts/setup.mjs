#!/usr/bin/env node
// First-run setup (also the first step of `npm run dev`): a local .env, then the database schema.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const envFile = path.join(root, '.env')

if (!existsSync(envFile)) {
  // Each checkout signs its cookies with its own secret, not the one every clone of the template shares.
  const example = readFileSync(path.join(root, '.env.example'), 'utf8')
  const secret = randomBytes(32).toString('base64url')
  writeFileSync(envFile, example.replace(/^SESSION_SECRET=.*$/m, `SESSION_SECRET=${secret}`))
  console.log('setup: created .env from .env.example (local Auth0 emulator settings, a new SESSION_SECRET)')
}

// Variables already in the environment win over .env, as with `remix dev`.
process.loadEnvFile(envFile)

const migrate = spawnSync(process.execPath, [path.join(root, 'scripts/prisma.mjs'), 'migrate', 'deploy'], {
  cwd: root,
  stdio: 'inherit',
})
if (migrate.error) throw migrate.error
process.exit(migrate.status ?? 1)
