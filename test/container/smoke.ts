/**
 * scripts/container-test.sh's HTTP checks against the app running in a container (the emulator runs on the host):
 *   tsx test/container/smoke.ts login <app origin> <emulator origin>
 *     the headline login, /dashboard, logout, and /dashboard refused afterwards
 *   tsx test/container/smoke.ts stop <app origin> <emulator origin> <stop command…>
 *     runs the stop command while a request is in flight (a token refresh held 3 s at the emulator) and requires
 *     that request to finish with 200
 * Exits non-zero with the reason on the first failed expectation.
 */
import { spawn } from 'node:child_process'
import { EmulatorControl } from '../../dev/auth0-emulator/control'
import { httpLogin } from '../support/app-server'
import { AppBrowser, location } from '../support/browser'

const [mode, appOrigin, emulatorOrigin, ...stopCommand] = process.argv.slice(2)
if (!appOrigin || !emulatorOrigin || (mode !== 'login' && mode !== 'stop'))
  throw new Error('usage: smoke.ts login|stop <app origin> <emulator origin> [stop command…]')
const emulator = new EmulatorControl(emulatorOrigin)
const IN_FLIGHT_MS = 3000

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message)
}

async function logIn(email: string): Promise<AppBrowser> {
  const browser = new AppBrowser(appOrigin!)
  const done = await httpLogin(browser, { email })
  expect(done.status === 302, `login ended with ${done.status}, not a redirect`)
  expect(location(done).pathname === '/dashboard', `login went to ${location(done).pathname}`)
  return browser
}

const dashboard = (browser: AppBrowser) =>
  fetch(browser.request('/dashboard'), { redirect: 'manual' }).then((response) => browser.store(response))

async function loginAndLogout(): Promise<void> {
  const email = 'alice@example.com'
  const browser = await logIn(email)
  const page = await dashboard(browser)
  const html = await page.text()
  expect(page.status === 200 && html.includes(email), `/dashboard answered ${page.status} without the user`)
  const logout = browser.store(await fetch(browser.post('/logout'), { redirect: 'manual' }))
  expect(logout.status === 302, `logout answered ${logout.status}`)
  const after = await dashboard(browser)
  expect(after.status === 302, `/dashboard after logout answered ${after.status}, not a redirect to login`)
}

async function stopWithRequestInFlight(): Promise<void> {
  await emulator.reset()
  const { accessToken } = await emulator.setTtl({})
  // Refresh is due at half an access token's lifetime: 2 s tokens make the next page view refresh after 1 s.
  await emulator.setTtl({ accessToken: 2 })
  try {
    const browser = await logIn('bob@example.com')
    await new Promise((resolve) => setTimeout(resolve, 1200))
    await emulator.setFaults({ token: { delayMs: IN_FLIGHT_MS, times: 1 } })
    const inFlight = dashboard(browser)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const stopped = runCommand(stopCommand)
    const response = await inFlight
    expect(response.status === 200, `the in-flight /dashboard answered ${response.status}`)
    const counters = await emulator.counters()
    expect(counters.grants.refresh_token === 1, 'the in-flight request did not refresh at the emulator')
    await stopped
  } finally {
    await emulator.reset()
    await emulator.setTtl({ accessToken })
  }
}

function runCommand([command, ...args]: string[]): Promise<void> {
  expect(command !== undefined, 'stop needs a command')
  return new Promise((resolve, reject) => {
    const child = spawn(command!, args, { stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))))
  })
}

await (mode === 'login' ? loginAndLogout() : stopWithRequestInFlight())
