// Run by `npx create-remix@2.16.8 --template …` after it copied the stack and installed its dependencies; then
// create-remix deletes this folder. CommonJS, no dependencies of its own.
const { execFileSync } = require('node:child_process')
const { readFileSync, writeFileSync } = require('node:fs')
const path = require('node:path')

module.exports = async function main({ rootDirectory }) {
  const packageFile = path.join(rootDirectory, 'package.json')
  const pkg = JSON.parse(readFileSync(packageFile, 'utf8'))
  pkg.name = path
    .basename(rootDirectory)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
  writeFileSync(packageFile, `${JSON.stringify(pkg, null, 2)}\n`)

  // The same first-run setup as `npm run dev`: .env (with its own session secret) and the SQLite database.
  execFileSync(process.execPath, ['scripts/setup.mjs'], { cwd: rootDirectory, stdio: 'inherit' })

  console.log(`
Your Remix Auth0 stack is ready. Next:
  cd ${path.relative(process.cwd(), rootDirectory) || '.'}
  npm run dev     # app on http://localhost:3000, local Auth0 emulator on http://127.0.0.1:3334
  npm test        # every test; see README.md for a real Auth0 tenant, PostgreSQL and Docker
`)
}
