/**
 * The LB's state owner: each resync fetches `/v2/apps?embed=apps.tasks`, resolves task hosts to IPs, builds
 * the model and hands it to the proxy driver; resyncs are coalesced (coalescer.ts) and triggered by the event
 * stream, at start, on reconnect and periodically. Keeps what `/_lb/status` and `/metrics` show.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { appsUrlNow, type AppsUrl } from './apps-locator.js';
import { Coalescer } from './coalescer.js';
import type { ProxyDriver } from './driver.js';
import { buildModel, type LbAppError, type LbModel } from './model.js';

export interface ControllerOptions {
  /** Fixed, or looked up on each use (an HA apps group followed through ZooKeeper, apps-locator.ts). */
  readonly appsUrl: AppsUrl;
  readonly groups: readonly string[];
  readonly bindAddr: string;
  readonly coalesceMs: number;
  readonly resyncIntervalMs: number;
}

/** Resyncs the proxy with the apps daemon. */
export class LbController {
  readonly coalescer: Coalescer;
  private model: LbModel = { services: [], errors: [] };
  private errors: readonly LbAppError[] = [];
  private syncs = 0;
  private syncFailures = 0;
  private lastSyncAt: number | undefined;
  private lastSyncError: string | undefined;
  private lastEventAt: number | undefined;
  private lastSyncStartedAt: number | undefined;
  private events = 0;
  private connected = false;
  private periodic: Timer | undefined;
  private readonly ips = new Map<string, string>();

  constructor(
    private readonly o: ControllerOptions,
    private readonly driver: ProxyDriver,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.coalescer = new Coalescer(clock, o.coalesceMs, () => this.resync());
  }

  start(): void {
    this.coalescer.request();
    this.periodic = this.clock.every(this.o.resyncIntervalMs, () => this.coalescer.request());
  }

  /** An event (or a reconnection) that may change the backends. */
  onChange(reason: string): void {
    this.events++;
    this.lastEventAt = this.clock.now();
    this.logger.debug({ reason }, 'resync requested');
    this.coalescer.request();
  }

  setConnected(c: boolean): void {
    this.connected = c;
  }

  /** One full resync; errors are recorded, never thrown. */
  async resync(): Promise<void> {
    this.lastSyncStartedAt = this.clock.now();
    try {
      const res = await fetch(`${appsUrlNow(this.o.appsUrl)}/v2/apps?embed=apps.tasks`, { headers: { accept: 'application/json', 'user-agent': 'agora-lb' }, signal: AbortSignal.timeout(30_000) });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET /v2/apps answered ${res.status}: ${text.slice(0, 200)}`);
      const body = JSON.parse(text) as unknown;
      await this.resolveHosts(body);
      const model = buildModel(body, { groups: this.o.groups, bindAddr: this.o.bindAddr, ipOf: (h) => this.ips.get(h) });
      const outcome = await this.driver.apply(model);
      this.model = model;
      const errors = [...model.errors, ...outcome.rejected];
      // Logged when they change, not on every resync.
      if (JSON.stringify(errors) !== JSON.stringify(this.errors)) for (const e of errors) this.logger.warn({ appId: e.appId, error: e.message }, 'app left out of the load balancer');
      this.errors = errors;
      if (outcome.action !== 'none') this.logger.info({ action: outcome.action, services: model.services.length, servers: model.services.reduce((n, s) => n + s.servers.length, 0) }, 'load balancer updated');
      this.syncs++;
      this.lastSyncAt = this.clock.now();
      this.lastSyncError = outcome.error;
    } catch (e: unknown) {
      this.syncFailures++;
      this.lastSyncError = errorMessage(e);
      this.logger.warn({ err: this.lastSyncError }, 'resync failed');
    }
  }

  /** Resolves every task host that is not an IP literal (cached; unresolvable hosts are skipped by the model). */
  private async resolveHosts(body: unknown): Promise<void> {
    const hosts = new Set<string>();
    const apps = typeof body === 'object' && body !== null && Array.isArray((body as { apps?: unknown }).apps) ? (body as { apps: unknown[] }).apps : [];
    for (const a of apps) {
      const tasks = typeof a === 'object' && a !== null ? (a as { tasks?: unknown }).tasks : undefined;
      if (!Array.isArray(tasks)) continue;
      for (const t of tasks) {
        const h = typeof t === 'object' && t !== null ? (t as { host?: unknown }).host : undefined;
        if (typeof h === 'string' && h !== '') hosts.add(h);
      }
    }
    for (const h of hosts) {
      if (this.ips.has(h)) continue;
      if (isIP(h) !== 0) {
        this.ips.set(h, h);
        continue;
      }
      try {
        this.ips.set(h, (await lookup(h, { family: 4 })).address);
      } catch (e: unknown) {
        this.logger.warn({ host: h, err: errorMessage(e) }, 'cannot resolve task host');
      }
    }
  }

  /** Seconds since the oldest event not yet covered by a finished resync (0 when caught up). */
  lagSeconds(): number {
    if (this.lastEventAt === undefined) return 0;
    if (this.lastSyncAt !== undefined && this.lastSyncStartedAt !== undefined && this.lastSyncStartedAt >= this.lastEventAt && this.lastSyncAt >= this.lastSyncStartedAt) return 0;
    return (this.clock.now() - this.lastEventAt) / 1000;
  }

  /** The apps leader's URL for the status document, null while none is known. */
  private leaderUrlOrNull(): string | null {
    try {
      return appsUrlNow(this.o.appsUrl);
    } catch {
      return null;
    }
  }

  /** The `/_lb/status` document. */
  status(): Record<string, unknown> {
    const d = this.driver.status();
    return {
      proxy: d.kind,
      appsUrl: typeof this.o.appsUrl === 'string' ? this.o.appsUrl : this.leaderUrlOrNull(),
      groups: this.o.groups,
      eventStreamConnected: this.connected,
      syncs: this.syncs,
      syncFailures: this.syncFailures,
      lastSyncAt: this.lastSyncAt === undefined ? null : new Date(this.lastSyncAt).toISOString(),
      lastSyncError: this.lastSyncError ?? null,
      lagSeconds: this.lagSeconds(),
      eventsReceived: this.events,
      reloads: d.reloads,
      runtimeUpdates: d.runtimeUpdates,
      validationFailures: d.validationFailures,
      lastProxyError: d.lastError ?? null,
      proxyDetails: d.details,
      services: this.model.services
        .filter((s) => !this.errors.some((e) => e.appId === s.appId))
        .map((s) => ({ appId: s.appId, portIndex: s.portIndex, servicePort: s.servicePort, backend: s.backend, mode: s.mode, vhosts: s.vhosts, servers: s.servers.map((x) => ({ taskId: x.taskId, host: x.host, ip: x.ip, port: x.port })) })),
      errors: this.errors,
    };
  }

  /** Prometheus text for `/metrics`. */
  metrics(): string {
    const d = this.driver.status();
    const live = this.model.services.filter((s) => !this.errors.some((e) => e.appId === s.appId));
    const lines = [
      ['agora_lb_syncs_total', 'counter', 'Completed resyncs', this.syncs],
      ['agora_lb_sync_failures_total', 'counter', 'Failed resyncs', this.syncFailures],
      ['agora_lb_reloads_total', 'counter', 'Proxy reloads', d.reloads],
      ['agora_lb_runtime_updates_total', 'counter', 'Changes applied without reload', d.runtimeUpdates],
      ['agora_lb_validation_failures_total', 'counter', 'Configurations refused by validation', d.validationFailures],
      ['agora_lb_events_total', 'counter', 'Relevant events received', this.events],
      ['agora_lb_backends', 'gauge', 'Services (backends) served', live.length],
      ['agora_lb_servers', 'gauge', 'Servers across backends', live.reduce((n, s) => n + s.servers.length, 0)],
      ['agora_lb_app_errors', 'gauge', 'Apps or ports left out', this.errors.length],
      ['agora_lb_event_stream_connected', 'gauge', '1 when following the apps event stream', this.connected ? 1 : 0],
      ['agora_lb_lag_seconds', 'gauge', 'Age of the oldest event not yet applied', this.lagSeconds()],
    ] as const;
    return `${lines.map(([name, type, help, v]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${v}`).join('\n')}\n`;
  }

  async stop(): Promise<void> {
    this.periodic?.cancel();
    await this.coalescer.stop();
  }
}
