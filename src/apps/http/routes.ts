/**
 * The `/v2` routes (spec §2): thin handlers that decode, call AppChanges/AppsQueries, and answer with
 * upstream's wrappers, statuses and headers. Errors are ApiErrors serialised with upstream's bodies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bodyText } from '../../transport/http-server.js';
import { AppListSchema, AppSchema, type AppBody } from '../api/app-schema.js';
import { ApiError, appNotFound, notValid, shapeError } from '../api/errors.js';
import { checkShape, parseJsonBody } from '../model/decode.js';
import { normalizeApp } from '../model/normalize.js';
import { defaultRoleFor } from '../model/role.js';
import { canonicalId } from '../model/path-id.js';
import { appJson, timestamp, type AppDefinition } from '../model/app.js';
import type { AppChanges, ChangeResult } from '../service/app-changes.js';
import type { AppsState } from '../service/state.js';
import type { AppsQueries } from './queries.js';
import { taskJson } from '../service/views.js';
import { registerEvents } from '../events/sse.js';
import { registerGroups } from './groups.js';
import { registerGroupWrites } from './group-writes.js';
import { GroupChanges } from '../service/group-changes.js';

export interface RouteDeps {
  readonly state: AppsState;
  readonly changes: AppChanges;
  readonly queries: AppsQueries;
  /** `http://host:port` of this server (Location, X-Marathon-Leader). */
  readonly baseUrl: () => string;
  readonly info: () => Record<string, unknown>;
  /** Version of a stored app (rollback, /versions/{v}). */
  readonly appVersion: (id: string, version: string) => Promise<AppDefinition | undefined>;
  readonly appVersions: (id: string) => Promise<string[]>;
}

type Query = Record<string, string | string[] | undefined>;

function qs(req: FastifyRequest): Query {
  return (req.query ?? {}) as Query;
}

function one(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[0] : v;
}

function bool(q: Query, key: string, dflt: boolean): boolean {
  const v = one(q, key);
  return v === undefined ? dflt : v.toLowerCase() === 'true';
}

function many(q: Query, key: string): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (k !== key && k !== `${key}[]` && !new RegExp(`^${key}\\[\\d+\\]$`).test(k)) continue;
    if (Array.isArray(v)) out.push(...v);
    else if (v !== undefined) out.push(v);
  }
  return out;
}

function appBody(req: FastifyRequest): AppBody {
  return checkShape(AppSchema, parseJsonBody(bodyText(req.body)));
}

function apiPost(d: RouteDeps, req: FastifyRequest): (app: AppDefinition) => void {
  return (app) => d.state.events.publish('api_post_event', { clientIp: req.ip, uri: req.url.split('?')[0] ?? req.url, appDefinition: appJson(app) });
}

function deploymentResult(reply: FastifyReply, r: ChangeResult, status = 200): FastifyReply {
  return reply.code(status).header('Marathon-Deployment-Id', r.deployment.id).send({ deploymentId: r.deployment.id, version: r.deployment.version });
}

/** Splits `/prod/web/tasks` into the app id and a known suffix. */
function splitAppPath(rest: string): { id: string; suffix: string[] } {
  const segs = rest.split('/').filter((s) => s !== '');
  const idx = segs.findIndex((s) => s === 'tasks' || s === 'versions' || s === 'restart');
  if (idx < 0) return { id: canonicalId(segs.join('/')), suffix: [] };
  return { id: canonicalId(segs.slice(0, idx).join('/')), suffix: segs.slice(idx) };
}

/** Registers the routes in their own scope, whose error handler writes upstream's JSON error bodies. */
export function registerRoutes(root: FastifyInstance, d: RouteDeps): void {
  root.setNotFoundHandler((_req, reply) => reply.code(404).send({ message: 'URI not found' }));
  void root.register(async (app) => {
    routes(app, d);
  });
}

function routes(app: FastifyInstance, d: RouteDeps): void {
  // Apps that name no role get their top-level group's (enforceRole) or --mesos_role (Marathon 1.9+).
  const defaultRole = (id: string): string => defaultRoleFor(id, d.state.groups, d.state.mesosRole);
  app.setErrorHandler((err: unknown, req, reply) => {
    // An app write refused by the root-group update (locked, exists) is a failed group change upstream
    // (spec §4.13); group writes publish their own.
    if (err instanceof ApiError && err.status === 409 && req.method !== 'GET' && req.url.startsWith('/v2/apps')) {
      d.state.events.publish('group_change_failed', { groupId: '/', version: timestamp(d.state.clock.now()), reason: err.message });
    }
    if (err instanceof ApiError) return reply.code(err.status).type('application/json').send(err.body);
    const e = err as { statusCode?: number; message?: string };
    return reply.code(e.statusCode ?? 500).type('application/json').send({ message: e.message ?? 'internal error' });
  });
  app.addHook('onSend', async (_req, reply) => {
    reply.header('Cache-Control', 'no-cache, no-store, must-revalidate').header('Pragma', 'no-cache').header('Expires', '0');
    reply.header('X-Marathon-Leader', d.baseUrl()).header('X-Frame-Options', 'DENY').header('X-XSS-Protection', '1; mode=block');
  });

  registerEvents(app, d.state.events, d.state.clock, d.baseUrl);
  const groups = new GroupChanges(d.state, d.changes, d.changes.afterChange, d.changes.uuid);
  registerGroups(app, d.state, d.queries);
  registerGroupWrites(app, { state: d.state, groups, baseUrl: d.baseUrl });

  app.get('/ping', async (req, reply) => {
    const accept = req.headers.accept ?? '*/*';
    if (accept.includes('application/json') && !accept.includes('text/')) return reply.type('application/json').send('"pong"');
    return reply.type('text/plain').send('pong');
  });
  app.get('/health', async (_req, reply) => reply.send({ healthy: true }));
  app.get('/v2/info', async () => d.info());
  // Legacy HTTP callback subscriptions (spec §2.6.1) are not enabled: upstream's answer when they are off.
  const noCallbacks = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply.code(400).send({ message: 'http event callback system is not running on this Marathon instance. Please re-start this instance with "--event_subscriber http_callback".' });
  app.get('/v2/eventSubscriptions', noCallbacks);
  app.post('/v2/eventSubscriptions', noCallbacks);
  app.delete('/v2/eventSubscriptions', noCallbacks);
  app.get('/metrics', async () => ({
    version: '4.0.0',
    counters: {},
    gauges: {
      'marathon.apps.active.gauge': { value: d.state.apps.size },
      'marathon.instances.running.gauge': { value: [...d.state.instances.values()].filter((i) => i.state === 'TASK_RUNNING').length },
      'marathon.instances.staged.gauge': { value: [...d.state.instances.values()].filter((i) => i.state === 'TASK_STAGING').length },
      'marathon.deployments.active.gauge': { value: d.state.deployments.size },
    },
    histograms: {},
    meters: {},
    timers: {},
  }));
  app.get('/v2/leader', async () => ({ leader: d.baseUrl().replace(/^https?:\/\//, '') }));
  app.get('/v2/deployments', async () => d.queries.deployments());
  app.get('/v2/queue', async () => ({ queue: d.queries.queue(d.state.clock.now()) }));
  app.get('/v2/tasks', async (req) => ({ tasks: d.queries.allTasks(many(qs(req), 'status')) }));

  app.get('/v2/apps', async (req) => {
    const q = qs(req);
    const embeds = many(q, 'embed').map((e) => e.replace(/^(apps\.|app\.|group\.apps\.)/, ''));
    const id = one(q, 'id');
    const cmd = one(q, 'cmd');
    const label = one(q, 'label');
    const withTasks = embeds.includes('tasks') || embeds.includes('failures');
    return { apps: d.queries.listApps({ withTasks, embeds, ...(id !== undefined ? { id } : {}), ...(cmd !== undefined ? { cmd } : {}), ...(label !== undefined ? { label } : {}) }) };
  });

  app.post('/v2/apps', async (req, reply) => {
    const next = normalizeApp(appBody(req), { defaultRole });
    const r = await d.changes.upsert(next, { force: bool(qs(req), 'force', false), mustNotExist: true, onStored: apiPost(d, req) });
    const created = r.app as AppDefinition;
    return reply
      .code(201)
      .header('Location', `${d.baseUrl()}${created.id}`)
      .header('Marathon-Deployment-Id', r.deployment.id)
      .send(d.queries.appInfo(created, false));
  });

  // Bulk update: each item needs an id.
  const bulk = (patch: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const q = qs(req);
    const items = checkShape(AppListSchema, parseJsonBody(bodyText(req.body)));
    const nexts = items.map((body, i) => {
      if (body.id === undefined) throw shapeError([{ path: `(${i})/id`, errors: ['error.path.missing'] }]);
      const id = canonicalId(body.id);
      const current = d.state.apps.get(id);
      if (patch && current === undefined) throw appNotFound(id);
      const partial = patch || bool(q, 'partialUpdate', true);
      return normalizeApp(body, { pathId: id, defaultRole, ...(partial && current !== undefined ? { base: current } : {}) });
    });
    // One root change and one plan for all of them, as upstream (ADR 0044).
    const r = await groups.updateApps(nexts, bool(q, 'force', false), apiPost(d, req));
    const dep = r.deployment;
    if (dep === undefined) return reply.code(200).send({ deploymentId: '', version: '' });
    return reply.code(200).header('Marathon-Deployment-Id', dep.id).send({ deploymentId: dep.id, version: dep.version });
  };
  app.put('/v2/apps', bulk(false));
  app.patch('/v2/apps', bulk(true));

  app.get('/v2/apps/*', async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const wildcard = /^(.*?)\/?\*(\/tasks)?$/.exec(rest);
    if (wildcard !== null) {
      // `/v2/apps/{group}/*` (and `/*/tasks`): every app under the group.
      const group = canonicalId(wildcard[1] ?? '');
      const prefix = group === '/' ? '/' : `${group}/`;
      const under = [...d.state.apps.values()].filter((a) => a.id.startsWith(prefix)).sort((a, b) => a.id.localeCompare(b.id));
      if (under.length === 0 && group !== '/') throw new ApiError(404, { message: `Group '${group}' does not exist` });
      if (wildcard[2] !== undefined) return { tasks: under.flatMap((a) => d.queries.appTasks(a.id)) };
      return { '*': under.map((a) => d.queries.appInfo(a, true)) };
    }
    const { id, suffix } = splitAppPath(rest);
    const current = d.state.apps.get(id);
    if (suffix.length === 0) {
      if (current === undefined) throw appNotFound(id);
      return { app: d.queries.appInfo(current, true, many(qs(req), 'embed').map((e) => e.replace(/^(apps\.|app\.)/, ''))) };
    }
    if (current === undefined) throw appNotFound(id);
    if (suffix[0] === 'tasks' && suffix.length === 1) return { tasks: d.queries.appTasks(id) };
    if (suffix[0] === 'versions' && suffix.length === 1) return { versions: await d.appVersions(id) };
    if (suffix[0] === 'versions' && suffix.length === 2) {
      const v = await d.appVersion(id, suffix[1] ?? '');
      if (v === undefined) throw new ApiError(404, { message: `App '${id}' does not exist in version ${suffix[1] ?? ''}` });
      return reply.send(d.queries.plainApp(v));
    }
    return reply.code(404).send({ message: 'URI not found' });
  });

  app.put('/v2/apps/*', async (req, reply) => {
    const { id, suffix } = splitAppPath((req.params as { '*': string })['*']);
    if (suffix.length > 0) return reply.code(404).send({ message: 'URI not found' });
    const q = qs(req);
    const body = appBody(req);
    const current = d.state.apps.get(id);
    const keys = Object.keys(body).filter((k) => k !== 'id');
    let next: AppDefinition;
    if (body.version !== undefined) {
      if (keys.length > 1) throw notValid([{ path: '/', errors: ["The 'version' field may only be combined with the 'id' field."] }]);
      const stored = await d.appVersion(id, body.version);
      if (stored === undefined) throw new ApiError(404, { message: `App '${id}' does not exist in version ${body.version}` });
      next = stored;
    } else {
      const partial = bool(q, 'partialUpdate', true);
      next = normalizeApp(body, { pathId: id, defaultRole, ...(partial && current !== undefined ? { base: current } : {}) });
    }
    const r = await d.changes.upsert(next, { force: bool(q, 'force', false), mustNotExist: false, onStored: apiPost(d, req) });
    if (r.created) reply.header('Location', `${d.baseUrl()}${id}`);
    return deploymentResult(reply, r, r.created ? 201 : 200);
  });

  app.patch('/v2/apps/*', async (req, reply) => {
    const { id } = splitAppPath((req.params as { '*': string })['*']);
    const current = d.state.apps.get(id);
    if (current === undefined) throw appNotFound(id);
    const next = normalizeApp(appBody(req), { pathId: id, base: current });
    return deploymentResult(reply, await d.changes.upsert(next, { force: bool(qs(req), 'force', false), mustNotExist: false, onStored: apiPost(d, req) }));
  });

  app.post('/v2/apps/*', async (req, reply) => {
    const { id, suffix } = splitAppPath((req.params as { '*': string })['*']);
    if (suffix[0] !== 'restart') return reply.code(404).send({ message: 'URI not found' });
    const current = d.state.apps.get(id);
    if (current === undefined) throw appNotFound(id);
    return deploymentResult(reply, await d.changes.upsert(current, { force: bool(qs(req), 'force', false), mustNotExist: false, restart: true }));
  });

  app.delete('/v2/apps/*', async (req, reply) => {
    const { id, suffix } = splitAppPath((req.params as { '*': string })['*']);
    const q = qs(req);
    if (suffix.length === 0) return deploymentResult(reply, await d.changes.remove(id, bool(q, 'force', true)));
    if (suffix[0] !== 'tasks' || suffix.length > 2) return reply.code(404).send({ message: 'URI not found' });
    const scale = bool(q, 'scale', false);
    if (scale && bool(q, 'wipe', false)) throw new ApiError(400, { message: 'You cannot use scale and wipe at the same time.' });
    if (!d.state.apps.has(id)) throw appNotFound(id);
    const launched = d.state.instancesOf(id).filter((i) => i.state !== 'SCHEDULED' && i.goal === 'running');
    let chosen;
    if (suffix.length === 2) {
      const taskId = suffix[1] ?? '';
      chosen = launched.filter((i) => i.taskId === taskId);
      if (chosen.length === 0) throw new ApiError(404, { message: `Task '${taskId}' does not exist` });
    } else {
      const host = one(q, 'host');
      chosen = launched.filter((i) => host === undefined || host === '*' || i.host === host);
    }
    const r = await d.changes.killInstances(id, chosen.map((i) => i.instanceId), { scale, force: bool(q, 'force', false) });
    if (r.change !== undefined) return deploymentResult(reply, r.change);
    const tasks = r.killed.map((i) => taskJson(i));
    return suffix.length === 2 ? { task: tasks[0] } : { tasks };
  });

  app.post('/v2/tasks/delete', async (req, reply) => {
    const q = qs(req);
    const scale = bool(q, 'scale', false);
    if (scale && bool(q, 'wipe', false)) throw new ApiError(400, { message: 'You cannot use scale and wipe at the same time.' });
    const body = parseJsonBody(bodyText(req.body)) as { ids?: unknown };
    const ids = Array.isArray(body.ids) ? body.ids.filter((x): x is string => typeof x === 'string') : [];
    for (const t of ids) if (!t.includes('.')) throw new ApiError(400, { message: `Invalid task id '${t}'. [${t}]` });
    const byApp = new Map<string, string[]>();
    for (const t of ids) {
      const iid = d.state.byTask.get(t);
      const inst = iid === undefined ? undefined : d.state.instances.get(iid);
      if (inst === undefined) continue; // unknown but well-formed ids are ignored
      byApp.set(inst.appId, [...(byApp.get(inst.appId) ?? []), inst.instanceId]);
    }
    const killed = [];
    let last;
    for (const [appId, iids] of byApp) {
      const r = await d.changes.killInstances(appId, iids, { scale, force: bool(q, 'force', false) });
      killed.push(...r.killed);
      last = r.change ?? last;
    }
    if (scale && last !== undefined) return deploymentResult(reply, last);
    return { tasks: killed.map((i) => taskJson(i)) };
  });

  app.delete('/v2/queue/*', async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    if (!rest.endsWith('/delay')) return reply.code(404).send({ message: 'URI not found' });
    const id = canonicalId(rest.slice(0, -'/delay'.length));
    const waiting = d.state.instancesOf(id).some((i) => i.state === 'SCHEDULED');
    if (!waiting) throw new ApiError(404, { message: `Application ${id} not found in tasks queue.` });
    d.state.delays.delete(id);
    return reply.code(204).send();
  });

  app.delete('/v2/deployments/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const force = bool(qs(req), 'force', false);
    const plan = d.state.deployments.get(id);
    // Group plans roll back every app they touched, in one forced plan of their own (ADR 0044).
    if (plan?.original !== undefined && !force) {
      const g = await groups.rollback(plan);
      if (g.deployment !== undefined) return reply.code(200).header('Marathon-Deployment-Id', g.deployment.id).send({ deploymentId: g.deployment.id, version: g.deployment.version });
    }
    const r = await d.changes.cancelDeployment(id, force, d.appVersion);
    if (r === undefined) return reply.code(202).send();
    return deploymentResult(reply, r);
  });
}
