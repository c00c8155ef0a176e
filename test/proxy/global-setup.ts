import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { makeLocalTls } from './tls'

/**
 * The proxy suite's local CA, made before the test workers start: they inherit NODE_EXTRA_CA_CERTS, so their
 * fetch trusts nginx's certificate the honest way (no `rejectUnauthorized: false` anywhere).
 */
export default async function setup() {
  const dir = await mkdtemp(path.join(tmpdir(), 'proxy-tls-'))
  const tls = await makeLocalTls(dir)
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile
  process.env.PROXY_TEST_TLS_DIR = dir
  return () => rm(dir, { recursive: true, force: true })
}
