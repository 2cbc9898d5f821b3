/**
 * `agora lb`: follows the apps daemon and keeps a proxy (HAProxy, or the built-in Node proxy when HAProxy is
 * not installed) equal to the healthy tasks behind every service port. Serves `/health`, `/_lb/status`
 * (JSON) and `/metrics` (Prometheus text) on its own port.
 */
import { accessSync, constants, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { locateApps } from './apps-locator.js';
import { BuiltinProxy } from './builtin-proxy.js';
import { LbController } from './controller.js';
import type { ProxyDriver } from './driver.js';
import { EventFollower } from './event-follower.js';
import { HaproxyDriver } from './haproxy-driver.js';

export interface LbOptions {
  /** `http(s)://` URL of agora apps, or `zk://h:p/path` of an HA apps group (its leader is followed). */
  readonly appsUrl: string;
  readonly groups: readonly string[];
  /** Default bind address of service ports and the vhost/stats listeners (`*` = every address). */
  readonly bind: string;
  /** Port of `/_lb/status`, `/metrics`, `/health` (0 = ephemeral). */
  readonly port: number;
  readonly statsPort: number;
  readonly httpPort: number;
  readonly httpsPort: number;
  readonly sslCerts: readonly string[];
  readonly proxy: 'auto' | 'haproxy' | 'builtin';
  readonly haproxyBin: string;
  /** Config file path; default `<run dir>/haproxy.cfg`. */
  readonly haproxyConfig: string | undefined;
  readonly runDir: string | undefined;
  readonly coalesceMs: number;
  readonly resyncIntervalMs: number;
  readonly minSlots: number;
}

export interface RunningLb {
  readonly url: string;
  readonly port: number;
  readonly proxy: 'haproxy' | 'builtin';
  stop(): Promise<void>;
}

/** The haproxy executable: a path is checked as is, a bare name is searched in PATH. */
export function findExecutable(bin: string, path = process.env['PATH'] ?? ''): string | undefined {
  const candidates = bin.includes('/') ? [bin] : path.split(delimiter).filter((d) => d !== '').map((d) => join(d, bin));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

export async function startLb(o: LbOptions, deps: { clock: Clock; logger: Logger }): Promise<RunningLb> {
  const { clock, logger } = deps;
  const haproxy = o.proxy === 'builtin' ? undefined : findExecutable(o.haproxyBin);
  if (o.proxy === 'haproxy' && haproxy === undefined) throw new Error(`--proxy haproxy: '${o.haproxyBin}' not found (install the haproxy package or use --proxy builtin)`);
  let driver: ProxyDriver;
  if (haproxy !== undefined) {
    const runDir = o.runDir ?? mkdtempSync(join(tmpdir(), 'agora-lb-'));
    mkdirSync(runDir, { recursive: true });
    const configPath = o.haproxyConfig ?? join(runDir, 'haproxy.cfg');
    driver = new HaproxyDriver(
      { bin: haproxy, configPath, runDir, render: { bindAddr: o.bind, statsPort: o.statsPort, httpPort: o.httpPort, httpsPort: o.httpsPort, sslCerts: o.sslCerts, minSlots: o.minSlots } },
      clock,
      logger,
    );
    logger.info({ haproxy, configPath }, 'agora lb uses HAProxy');
  } else {
    driver = new BuiltinProxy({ bindAddr: o.bind, httpPort: o.httpPort }, logger);
    logger.warn(
      o.proxy === 'builtin' ? {} : { haproxyBin: o.haproxyBin },
      o.proxy === 'builtin' ? 'agora lb uses the BUILT-IN Node proxy (--proxy builtin)' : `HAProxy ('${o.haproxyBin}') not found: agora lb uses the BUILT-IN Node proxy (TCP service ports and HTTP vhosts only; HAProxy labels such as BALANCE, STICKY, SSL_CERT are ignored)`,
    );
  }
  const apps = await locateApps(o.appsUrl, clock);
  const controller = new LbController({ appsUrl: apps.url, groups: o.groups, bindAddr: o.bind, coalesceMs: o.coalesceMs, resyncIntervalMs: o.resyncIntervalMs }, driver, clock, logger);
  const follower = new EventFollower({ appsUrl: apps.url, onChange: (r) => controller.onChange(r), onConnected: (c) => controller.setConnected(c) }, clock, logger);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') res.writeHead(200, { 'content-type': 'text/plain' }).end('OK\n');
    else if (path === '/_lb/status') res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(controller.status(), null, 2)}\n`);
    else if (path === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(controller.metrics());
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  const listenHost = o.bind === '*' ? '0.0.0.0' : o.bind;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, listenHost, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  controller.start();
  follower.start();
  return {
    url: `http://${listenHost === '0.0.0.0' ? '127.0.0.1' : listenHost}:${port}`,
    port,
    proxy: haproxy !== undefined ? 'haproxy' : 'builtin',
    async stop() {
      await follower.stop();
      await controller.stop();
      await driver.stop();
      await apps.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
