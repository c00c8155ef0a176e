import type { RefreshTokenSettings } from '../../dev/auth0-emulator/config'
import { startEmulator, type EmulatorTtl, type RunningEmulator } from '../../dev/auth0-emulator/server'
import {
  createTestDatabase,
  freePort,
  startApp,
  testClient,
  type AppOptions,
  type RunningApp,
  type TestDatabase,
} from '../support/app-server'
import { AppBrowser } from '../support/browser'
import { clientFetch } from './client'
import { startNginx, type RunningNginx } from './nginx'
import { localTlsFiles } from './tls'

/** The address nginx connects to the instances from. */
export const proxyAddress = '127.0.0.2'

export interface ProxyCluster {
  /** https://localhost:<nginx port>: APP_DOMAIN of every instance. */
  origin: string
  nginx: RunningNginx
  apps: RunningApp[]
  emulator: RunningEmulator
  database: TestDatabase
  /** Starts instance `index` again on its port (after a crash). */
  restartApp(index: number): Promise<RunningApp>
  /** A user of their own: connections from their own loopback address, their own cookie jar. */
  user(address: string): { fetch: ReturnType<typeof clientFetch>; browser: AppBrowser }
  stop(): Promise<void>
}

/**
 * nginx terminating TLS with the suite's local CA (test/proxy/global-setup.ts) in front of three app instances on
 * one fresh PostgreSQL database, APP_DOMAIN=https://localhost:<port>, the emulator on loopback. nginx connects to
 * the instances from 127.0.0.2 and TRUST_PROXY names exactly that address: everything here is loopback, so
 * TRUST_PROXY=true (any loopback peer) could not tell the proxy from a client connecting directly.
 */
export async function startProxyCluster(
  options: {
    postgresAdminUrl?: string
    ttl?: Partial<EmulatorTtl>
    env?: Record<string, string>
    /** The build every instance runs (startApp's `cwd`; default: the product build). */
    cwd?: string
    /** The application's refresh token settings at the tenant (default: a new application's). */
    refreshTokens?: Partial<RefreshTokenSettings>
  } = {},
): Promise<ProxyCluster> {
  const [proxyPort, ...appPorts] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const origin = `https://localhost:${proxyPort}`
  const emulator = await startEmulator({
    port: 0,
    quiet: true,
    ttl: options.ttl,
    clients: [
      {
        ...testClient,
        refreshTokens: options.refreshTokens,
        redirectUris: [`${origin}/auth/callback`],
        logoutUrls: [origin, `${origin}/`],
        // The IdP reaches one instance directly, as a load balancer would pick one.
        backchannelLogoutUri: `http://127.0.0.1:${appPorts[0]}/auth/backchannel-logout`,
      },
    ],
  })
  const database = await createTestDatabase('postgresql', options.postgresAdminUrl)
  const nginx = await startNginx({
    tls: localTlsFiles(process.env.PROXY_TEST_TLS_DIR!),
    port: proxyPort,
    upstreams: appPorts.map((port) => `127.0.0.1:${port}`),
    bindAddress: proxyAddress,
  })
  const appOptions = (port: number): AppOptions => ({
    databaseUrl: database.url,
    auth0Origin: emulator.origin,
    appOrigin: origin,
    port,
    loopbackOnly: true,
    env: { TRUST_PROXY: proxyAddress, ...options.env },
    cwd: options.cwd,
  })
  const started = await Promise.allSettled(appPorts.map((port) => startApp(appOptions(port))))
  const apps = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  if (apps.length < appPorts.length) {
    // Leave nothing running behind a failed start (nginx runs in the foreground, not as a daemon).
    await Promise.all(apps.map((app) => app.stop()))
    await Promise.all([nginx.stop(), emulator.close(), database.drop()])
    throw started.find((result) => result.status === 'rejected')!.reason
  }
  const clients: ReturnType<typeof clientFetch>[] = []
  return {
    origin,
    nginx,
    apps,
    emulator,
    database,
    async restartApp(index) {
      apps[index] = await startApp(appOptions(appPorts[index]!))
      return apps[index]
    },
    user(address) {
      const fetch = clientFetch(address)
      clients.push(fetch)
      return { fetch, browser: new AppBrowser(origin) }
    },
    async stop() {
      for (const client of clients) client.close()
      await Promise.all(apps.map((app) => app.stop()))
      await nginx.stop()
      await emulator.close()
      await database.drop()
    },
  }
}
