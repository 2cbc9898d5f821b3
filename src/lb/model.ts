/**
 * The load balancer's model: from `GET /v2/apps?embed=apps.tasks` JSON to the services the proxy must serve
 * (spec service-discovery §2). One service per (app, port index) with a service port, in the LB's groups;
 * its servers are the app's tasks that are TASK_RUNNING and, when the app has health checks, alive on every
 * result. An app with a refused label (labels.ts) or a service port already taken is skipped and listed in
 * `errors`; the others are still served. Pure and deterministic: services sorted by (appId, servicePort),
 * servers by (ip, port).
 */
import { LabelError, readServiceLabels } from './labels.js';

/** One backend server (a task's host port for this service). */
export interface LbServer {
  readonly taskId: string;
  readonly host: string;
  /** IPv4/IPv6 literal the proxy connects to. */
  readonly ip: string;
  readonly port: number;
}

/** The Marathon health check used for a service, when it has one. */
export interface LbHealthCheck {
  readonly protocol: string;
  readonly path: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly maxConsecutiveFailures: number;
}

/** One service: a listen port and the servers behind it. */
export interface LbService {
  readonly appId: string;
  readonly portIndex: number;
  readonly servicePort: number;
  /** HAProxy backend/frontend name: app id without leading `/`, `/` → `_`, `_<servicePort>`. */
  readonly backend: string;
  readonly mode: 'tcp' | 'http';
  readonly balance: string;
  readonly vhosts: readonly string[];
  readonly path: string | undefined;
  readonly sticky: boolean;
  readonly bindAddr: string;
  readonly redirectToHttps: boolean;
  readonly sslCert: string | undefined;
  readonly healthCheck: LbHealthCheck | undefined;
  readonly servers: readonly LbServer[];
}

/** An app (or one of its ports) left out, and why. */
export interface LbAppError {
  readonly appId: string;
  readonly message: string;
}

export interface LbModel {
  readonly services: readonly LbService[];
  readonly errors: readonly LbAppError[];
}

export interface ModelOptions {
  /** LB groups; `*` matches every service, even one without a group. */
  readonly groups: readonly string[];
  /** Bind address of per-service frontends unless HAPROXY_{n}_BIND_ADDR says otherwise (HAProxy syntax, `*` = all). */
  readonly bindAddr: string;
  /** Host name → IP; undefined = not resolvable (the task is skipped). Default: the host itself. */
  readonly ipOf?: (host: string) => string | undefined;
}

interface AppJson {
  id?: unknown;
  labels?: unknown;
  portDefinitions?: unknown;
  ports?: unknown;
  healthChecks?: unknown;
  tasks?: unknown;
}

interface TaskJson {
  id?: unknown;
  host?: unknown;
  state?: unknown;
  ports?: unknown;
  healthCheckResults?: unknown;
}

/** Builds the model from the parsed `/v2/apps?embed=apps.tasks` body (`{apps: [...]}`). Never throws on bad input. */
export function buildModel(body: unknown, opts: ModelOptions): LbModel {
  const apps = isObject(body) && Array.isArray(body['apps']) ? (body['apps'] as unknown[]) : [];
  const services: LbService[] = [];
  const errors: LbAppError[] = [];
  const sorted = apps.filter(isObject).map((a) => a as AppJson).filter((a) => typeof a.id === 'string');
  sorted.sort((a, b) => cmp(String(a.id), String(b.id)));
  for (const app of sorted) {
    try {
      services.push(...servicesOf(app, opts));
    } catch (e: unknown) {
      if (!(e instanceof LabelError)) throw e;
      errors.push({ appId: String(app.id), message: e.message });
    }
  }
  services.sort((a, b) => cmp(a.appId, b.appId) || a.servicePort - b.servicePort);
  const taken = new Map<number, string>();
  const kept: LbService[] = [];
  for (const s of services) {
    const owner = taken.get(s.servicePort);
    if (owner !== undefined) {
      errors.push({ appId: s.appId, message: `service port ${s.servicePort} (port index ${s.portIndex}) is already used by ${owner}` });
      continue;
    }
    taken.set(s.servicePort, s.appId);
    kept.push(s);
  }
  return { services: kept, errors };
}

function servicesOf(app: AppJson, opts: ModelOptions): LbService[] {
  const appId = String(app.id);
  const labels = stringRecord(app.labels);
  const ports = servicePorts(app);
  const checks = Array.isArray(app.healthChecks) ? app.healthChecks.filter(isObject) : [];
  const tasks = Array.isArray(app.tasks) ? app.tasks.filter(isObject).map((t) => t as TaskJson) : [];
  const healthyTasks = tasks.filter((t) => t.state === 'TASK_RUNNING' && (checks.length === 0 || allAlive(t.healthCheckResults)));
  const out: LbService[] = [];
  for (let n = 0; n < ports.length; n++) {
    const l = readServiceLabels(labels, n);
    const servicePort = l.port ?? ports[n] ?? 0;
    if (servicePort <= 0) continue;
    if (!opts.groups.includes('*') && !l.groups.some((g) => opts.groups.includes(g))) continue;
    if (l.enabled === false) continue;
    const check = checks.find((c) => (typeof c['port'] === 'number' && c['port'] > 0) || (c['portIndex'] ?? 0) === n);
    const healthCheck = check === undefined || check['protocol'] === 'COMMAND' ? undefined : toHealthCheck(check);
    const httpCheck = healthCheck !== undefined && /HTTP/.test(healthCheck.protocol);
    const mode = l.mode ?? (l.vhosts.length > 0 || httpCheck ? 'http' : 'tcp');
    const servers: LbServer[] = [];
    for (const t of healthyTasks) {
      const host = typeof t.host === 'string' ? t.host : '';
      const port: unknown = Array.isArray(t.ports) ? (t.ports as unknown[])[n] : undefined;
      if (host === '' || typeof port !== 'number' || port <= 0) continue;
      const ip = opts.ipOf === undefined ? host : opts.ipOf(host);
      if (ip === undefined) continue;
      servers.push({ taskId: String(t.id), host, ip, port });
    }
    servers.sort((a, b) => cmp(a.ip, b.ip) || a.port - b.port || cmp(a.taskId, b.taskId));
    out.push({
      appId,
      portIndex: n,
      servicePort,
      backend: `${appId.replace(/^\//, '').replace(/\//g, '_')}_${servicePort}`,
      mode,
      balance: l.balance,
      vhosts: l.vhosts,
      path: l.path,
      sticky: l.sticky,
      bindAddr: l.bindAddr ?? opts.bindAddr,
      redirectToHttps: l.redirectToHttps,
      sslCert: l.sslCert,
      healthCheck,
      servers,
    });
  }
  return out;
}

/** `portDefinitions[].port` when the key exists, else legacy `ports` (spec §2.4, host networking). */
function servicePorts(app: AppJson): number[] {
  if (Array.isArray(app.portDefinitions)) return app.portDefinitions.map((p) => (isObject(p) && typeof p['port'] === 'number' ? p['port'] : 0));
  if (Array.isArray(app.ports)) return app.ports.map((p) => (typeof p === 'number' ? p : 0));
  return [];
}

function allAlive(results: unknown): boolean {
  return Array.isArray(results) && results.length > 0 && results.every((r) => isObject(r) && r['alive'] === true);
}

function toHealthCheck(c: Record<string, unknown>): LbHealthCheck {
  const n = (k: string, d: number): number => (typeof c[k] === 'number' ? c[k] : d);
  const path = typeof c['path'] === 'string' && /^\/[^\s#]*$/.test(c['path']) ? c['path'] : '/';
  return {
    protocol: typeof c['protocol'] === 'string' ? c['protocol'] : 'HTTP',
    path,
    intervalSeconds: n('intervalSeconds', 60),
    timeoutSeconds: n('timeoutSeconds', 20),
    maxConsecutiveFailures: n('maxConsecutiveFailures', 3),
  };
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
