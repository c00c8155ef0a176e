import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from '../support/ports'
import type { LocalTls } from './tls'

export interface RunningNginx {
  port: number
  /** https://localhost:<port> */
  origin: string
  /** Access log lines: `status upstream_addr upstream_status request`. */
  accessLog(): Promise<string[]>
  stop(): Promise<void>
}

export interface NginxOptions {
  tls: Pick<LocalTls, 'certFile' | 'keyFile'>
  /** host:port of each app instance. */
  upstreams: string[]
  /** The source address nginx connects to the instances from (a second loopback address tells it apart). */
  bindAddress?: string
  port?: number
}

/**
 * nginx (Debian's nginx-light) terminating TLS in front of the instances, configured as the README advises: HTTP/1.1
 * keep-alive upstream, X-Forwarded-For / -Proto, the Host the browser used. Runs in the foreground with its own
 * prefix, logs and temp dirs, as the current user (master_process off: no privilege drop).
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'proxy-nginx-'))
  const port = options.port ?? (await freePort())
  for (const name of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(dir, name))
  const config = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 2048; }
http {
  log_format upstreams '$status $upstream_addr $upstream_status "$request"';
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 1m;
  upstream app {
${options.upstreams.map((upstream) => `    server ${upstream} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    listen [::1]:${port} ssl;
    server_name localhost;
    ssl_certificate ${options.tls.certFile};
    ssl_certificate_key ${options.tls.keyFile};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
${options.bindAddress ? `      proxy_bind ${options.bindAddress};` : ''}
    }
  }
}
`
  const configFile = path.join(dir, 'nginx.conf')
  await writeFile(configFile, config)
  const child = spawn('nginx', ['-p', dir, '-c', configFile, '-e', 'stderr'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  await waitForPort(
    port,
    () => child.exitCode !== null,
    () => output,
  )
  const accessLog = path.join(dir, 'access.log')
  return {
    port,
    origin: `https://localhost:${port}`,
    async accessLog() {
      const text = await readFile(accessLog, 'utf8').catch(() => '')
      return text.split('\n').filter(Boolean)
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function waitForPort(port: number, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`nginx exited:\n${output()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nginx did not listen on ${port}:\n${output()}`)
}
