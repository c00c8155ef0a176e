import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import { chromium } from '@playwright/test'

const systemNames = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome']

export interface ChromiumSearch {
  env?: Record<string, string | undefined>
  /** Playwright's own browser build, where `npx playwright install chromium` put it. */
  playwrightBrowser?: string
}

/**
 * The Chromium the browser tests launch: PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH when set, else Playwright's own build
 * when installed (undefined: Playwright finds it), else a system Chromium on PATH. Without any, a message that says
 * what to run, instead of Playwright's long "Executable doesn't exist" at the first test.
 */
export function chromiumExecutablePath(search: ChromiumSearch = {}): string | undefined {
  const env = search.env ?? process.env
  if (env.PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH) return env.PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH
  if (isExecutable(search.playwrightBrowser ?? playwrightBrowser())) return undefined
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of systemNames) {
      const candidate = path.join(dir, name)
      if (isExecutable(candidate)) return candidate
    }
  }
  throw new Error(
    'No Chromium for the browser tests. Run `npx playwright install chromium`, or install a system Chromium ' +
      '(Debian/Ubuntu: `apt-get install chromium`), or set PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH to one.',
  )
}

function playwrightBrowser(): string {
  try {
    return chromium.executablePath()
  } catch {
    return ''
  }
}

function isExecutable(file: string): boolean {
  if (!file) return false
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
