import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { chromiumExecutablePath } from './chromium'

const dir = mkdtempSync(path.join(tmpdir(), 'chromium-search-'))
const fakeChromium = path.join(dir, 'chromium')
writeFileSync(fakeChromium, '#!/bin/sh\n')
chmodSync(fakeChromium, 0o755)
const notExecutable = path.join(dir, 'chrome-not-executable')
writeFileSync(notExecutable, '')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('chromiumExecutablePath', () => {
  it('takes PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH first', () => {
    const env = { PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH: '/opt/chrome', PATH: dir }
    expect(chromiumExecutablePath({ env, playwrightBrowser: fakeChromium })).toBe('/opt/chrome')
  })

  it("leaves Playwright's own browser to Playwright when it is installed", () => {
    expect(chromiumExecutablePath({ env: { PATH: dir }, playwrightBrowser: fakeChromium })).toBeUndefined()
  })

  it('finds a system chromium on PATH otherwise', () => {
    const env = { PATH: ['/nonexistent', dir].join(path.delimiter) }
    expect(chromiumExecutablePath({ env, playwrightBrowser: notExecutable })).toBe(fakeChromium)
  })

  it('says what to run when there is none', () => {
    expect(() => chromiumExecutablePath({ env: { PATH: '/nonexistent' }, playwrightBrowser: '' })).toThrow(
      /npx playwright install chromium.*apt-get install chromium.*PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH/,
    )
  })
})
