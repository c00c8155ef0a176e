import { createHash, X509Certificate } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { run } from '../support/app-server'

export interface LocalTls {
  caFile: string
  certFile: string
  keyFile: string
  /** base64 SHA-256 of the server certificate's SubjectPublicKeyInfo: Chromium's `--ignore-certificate-errors-spki-list`. */
  spkiHash: string
}

/** The files `makeLocalTls` writes into `dir`; tests in worker processes read them from there. */
export function localTlsFiles(dir: string) {
  return {
    caFile: path.join(dir, 'ca.crt'),
    certFile: path.join(dir, 'server.crt'),
    keyFile: path.join(dir, 'server.key'),
  }
}

/** A throwaway CA and a certificate it signed for `localhost` and 127.0.0.1, made with the openssl CLI. */
export async function makeLocalTls(dir: string): Promise<LocalTls> {
  const files = localTlsFiles(dir)
  const caKey = path.join(dir, 'ca.key')
  const csr = path.join(dir, 'server.csr')
  const extensions = path.join(dir, 'server.ext')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  await run(
    'openssl',
    ['req', '-x509', ...ec, '-keyout', caKey, '-out', files.caFile, '-days', '2']
      .concat(['-subj', '/CN=Stack proxy test CA', '-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
  )
  await run('openssl', ['req', ...ec, '-keyout', files.keyFile, '-out', csr, '-subj', '/CN=localhost'])
  await writeFile(
    extensions,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ].join('\n'),
  )
  await run(
    'openssl',
    ['x509', '-req', '-in', csr, '-CA', files.caFile, '-CAkey', caKey, '-CAcreateserial'].concat([
      '-out',
      files.certFile,
      '-days',
      '2',
      '-extfile',
      extensions,
    ]),
  )
  return { ...files, spkiHash: await spkiHash(files.certFile) }
}

export async function spkiHash(certFile: string): Promise<string> {
  const certificate = new X509Certificate(await readFile(certFile))
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' })
  return createHash('sha256').update(spki).digest('base64')
}
