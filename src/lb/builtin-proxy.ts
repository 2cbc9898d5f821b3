/**
 * The built-in proxy, used when HAProxy is not installed: one node:net TCP listener per service port
 * (round-robin over the service's servers; a server that refuses the connection is skipped for the next one)
 * and, on the vhost HTTP port, an HTTP proxy that routes by Host header (port stripped, lowercased) and path
 * prefix, like the HAProxy frontends. Membership changes only swap the server lists: listeners stay open,
 * so no connection is dropped. HAProxy-specific labels (balance, sticky, SSL) are ignored.
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { errorMessage } from '../core/errors.js';
import type { ApplyOutcome, DriverStatus, ProxyDriver } from './driver.js';
import type { LbAppError, LbModel, LbServer, LbService } from './model.js';

export interface BuiltinProxyOptions {
  /** Address of the vhost HTTP listener (`*` = every address). */
  readonly bindAddr: string;
  /** Vhost HTTP port; 0 = none. */
  readonly httpPort: number;
}

interface Listener {
  readonly server: Server;
  service: LbService;
  next: number;
}

/** `*` (HAProxy's every address) → `0.0.0.0`. */
export function listenHost(bindAddr: string): string {
  return bindAddr === '*' ? '0.0.0.0' : bindAddr;
}

/** Picks the vhost service for a request: exact host match, longest path prefix first, then no path. */
export function routeVhost(services: readonly LbService[], hostHeader: string | undefined, url: string): LbService | undefined {
  const host = (hostHeader ?? '').toLowerCase().replace(/:\d+$/, '');
  const path = url.split('?')[0] ?? '/';
  const candidates = services.filter((s) => s.mode === 'http' && s.vhosts.includes(host));
  const withPath = candidates.filter((s) => s.path !== undefined && s.path.split(/ +/).some((p) => p.startsWith('/') && path.startsWith(p)));
  return withPath[0] ?? candidates.find((s) => s.path === undefined);
}

/** The built-in proxy driver. */
export class BuiltinProxy implements ProxyDriver {
  private readonly listeners = new Map<string, Listener>();
  private http: HttpServer | undefined;
  private vhostServices: readonly LbService[] = [];
  private readonly rr = new Map<string, number>();
  private updates = 0;
  private readonly conns = new Set<Socket>();
  private lastError: string | undefined;

  constructor(
    private readonly o: BuiltinProxyOptions,
    private readonly logger: Logger,
  ) {}

  async apply(model: LbModel): Promise<ApplyOutcome> {
    const rejected: LbAppError[] = [];
    const wanted = new Map(model.services.map((s) => [`${listenHost(s.bindAddr)}:${s.servicePort}`, s]));
    for (const [k, l] of this.listeners) {
      if (!wanted.has(k)) {
        this.listeners.delete(k);
        l.server.close();
      }
    }
    for (const [k, s] of wanted) {
      const l = this.listeners.get(k);
      if (l !== undefined) {
        l.service = s;
        continue;
      }
      try {
        this.listeners.set(k, await this.listen(s));
      } catch (e: unknown) {
        rejected.push({ appId: s.appId, message: `cannot listen on ${k}: ${errorMessage(e)}` });
      }
    }
    this.vhostServices = model.services.filter((s) => s.vhosts.length > 0 && s.mode === 'http');
    if (this.o.httpPort > 0 && this.http === undefined && this.vhostServices.length > 0) {
      try {
        this.http = await this.listenHttp();
      } catch (e: unknown) {
        this.lastError = `cannot listen on the vhost port ${this.o.httpPort}: ${errorMessage(e)}`;
      }
    }
    this.updates++;
    this.lastError = rejected.length > 0 ? rejected.map((r) => r.message).join('; ') : this.lastError;
    return { action: this.updates === 1 ? 'start' : 'runtime', rejected };
  }

  private pick(s: LbService, attempt: number): LbServer | undefined {
    if (s.servers.length === 0) return undefined;
    const n = this.rr.get(s.backend) ?? 0;
    if (attempt === 0) this.rr.set(s.backend, n + 1);
    return s.servers[(n + attempt) % s.servers.length];
  }

  private listen(s: LbService): Promise<Listener> {
    const server = createServer((client) => this.forward(l, client, 0));
    const l: Listener = { server, service: s, next: 0 };
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(s.servicePort, listenHost(s.bindAddr), () => {
        server.off('error', reject);
        server.on('error', (e) => this.logger.warn({ err: e.message, port: s.servicePort }, 'built-in proxy listener error'));
        resolve(l);
      });
    });
  }

  private forward(l: Listener, client: Socket, attempt: number): void {
    const s = l.service;
    if (attempt === 0) {
      this.conns.add(client);
      client.once('close', () => this.conns.delete(client));
    }
    const target = this.pick(s, attempt);
    if (target === undefined || attempt >= Math.max(1, s.servers.length)) {
      client.destroy();
      return;
    }
    client.pause();
    const upstream = connect(target.port, target.ip);
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      if (!connected) this.forward(l, client, attempt + 1);
      else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (connected) client.destroy();
    });
  }

  private listenHttp(): Promise<HttpServer> {
    const server = createHttpServer((req, res) => this.proxyHttp(req, res));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.httpPort, listenHost(this.o.bindAddr), () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }

  private proxyHttp(req: IncomingMessage, res: ServerResponse): void {
    const s = routeVhost(this.vhostServices, req.headers.host, req.url ?? '/');
    const target = s === undefined ? undefined : this.pick(s, 0);
    if (s === undefined || target === undefined) {
      res.writeHead(s === undefined ? 404 : 503, { 'content-type': 'text/plain' }).end(s === undefined ? 'no service for this host\n' : 'no server available\n');
      return;
    }
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter((x) => x !== undefined).join(', ');
    const up = request({ host: target.ip, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, 'x-forwarded-for': forwardedFor } }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`upstream error: ${e.message}\n`);
      else res.destroy();
    });
    req.pipe(up);
  }

  status(): DriverStatus {
    return {
      kind: 'builtin',
      reloads: 0,
      runtimeUpdates: this.updates,
      validationFailures: 0,
      lastError: this.lastError,
      details: { listeners: [...this.listeners.keys()].sort(), httpPort: this.http === undefined ? undefined : this.o.httpPort },
    };
  }

  async stop(): Promise<void> {
    const closing = [...this.listeners.values()].map((l) => new Promise<void>((r) => l.server.close(() => r())));
    this.listeners.clear();
    for (const c of this.conns) c.destroy();
    if (this.http !== undefined) {
      const h = this.http;
      this.http = undefined;
      closing.push(new Promise<void>((r) => h.close(() => r())));
      h.closeAllConnections();
    }
    await Promise.all(closing);
  }
}
