/**
 * `/weights` (GET, PUT) and `/quota` (GET, POST, DELETE `/quota/<role>`) of spec §5.1, under `/master/...`
 * and `/...`. Routes parse and validate, then call one RoleSettings method (durable before applied) and
 * shape the reply. Legacy quota requests set guarantees and limits to the same values, as upstream 1.9+.
 * Also `/allocator/starvation` (ours, a debug aid): why each framework-role got nothing in the last cycle.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WireResource } from '../../core/resources.js';
import { Resources, fromWire } from '../../core/resources.js';
import { validateRole } from '../framework-validation.js';
import type { Master } from '../master.js';
import { roleAndAncestors } from '../allocator/role-tree.js';
import { METHODS_ALL, textReply } from './content.js';

type Verdict<T> = { ok: true; value: T } | { ok: false; message: string };

function bodyText(req: FastifyRequest): string {
  return typeof req.body === 'string' ? req.body : '';
}

function parseJson(text: string): Verdict<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e: unknown) {
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Role name rules plus the `--roles` whitelist; undefined when acceptable. */
function roleError(m: Master, role: string): string | undefined {
  const err = validateRole(role);
  if (err !== undefined) return err;
  if (m.config.roles !== undefined && !m.config.roles.includes(role)) return `Role '${role}' is not present in the master's --roles`;
  return undefined;
}

/** Parses a PUT /weights body: a JSON array of WeightInfo `{role, weight}`. */
export function parseWeights(m: Master, text: string): Verdict<{ role: string; weight: number }[]> {
  const json = parseJson(text);
  if (!json.ok) return { ok: false, message: `Failed to parse update weights request JSON '${text}': ${json.message}` };
  if (!Array.isArray(json.value)) return { ok: false, message: 'Failed to convert weights JSON array: expected an array of WeightInfo' };
  const out: { role: string; weight: number }[] = [];
  for (const item of json.value) {
    if (!isRecord(item) || typeof item['role'] !== 'string') return { ok: false, message: "Failed to convert weights JSON array: WeightInfo requires a 'role'" };
    const weight = typeof item['weight'] === 'string' ? Number(item['weight']) : item['weight'];
    if (typeof weight !== 'number' || !Number.isFinite(weight)) return { ok: false, message: "Failed to convert weights JSON array: WeightInfo requires a numeric 'weight'" };
    const role = item['role'];
    if (weight <= 0) return { ok: false, message: `Invalid weight '${weight}' for role '${role}': weights must be positive` };
    const err = roleError(m, role);
    if (err !== undefined) return { ok: false, message: `Invalid role '${role}': ${err}` };
    out.push({ role, weight });
  }
  return { ok: true, value: out };
}

/** A validated legacy set-quota request. */
export interface SetQuota {
  readonly role: string;
  readonly guarantees: Map<string, number>;
  readonly force: boolean;
}

/** Parses and validates a POST /quota body `{role, guarantee:[Resource], force}` (400 messages). */
export function parseSetQuota(m: Master, text: string): Verdict<SetQuota> {
  const prefix = 'Failed to validate set quota request: ';
  const json = parseJson(text);
  if (!json.ok) return { ok: false, message: `Failed to parse set quota request JSON '${text}': ${json.message}` };
  if (!isRecord(json.value)) return { ok: false, message: `${prefix}expected a JSON object` };
  const role = json.value['role'];
  if (typeof role !== 'string' || role === '') return { ok: false, message: `${prefix}QuotaInfo must specify a role` };
  if (role === '*') return { ok: false, message: `${prefix}QuotaInfo must not specify the default '*' role` };
  const err = roleError(m, role);
  if (err !== undefined) return { ok: false, message: `${prefix}${err}` };
  const raw = json.value['guarantee'] ?? [];
  let resources: Resources;
  try {
    resources = fromWire((Array.isArray(raw) ? raw : [raw]) as WireResource[]);
  } catch (e: unknown) {
    return { ok: false, message: `${prefix}${e instanceof Error ? e.message : String(e)}` };
  }
  const guarantees = new Map<string, number>();
  for (const e of resources.entries) {
    if (e.kind !== 'SCALAR') return { ok: false, message: `${prefix}QuotaInfo must not include non-scalar resource '${e.name}'` };
    if (e.reservations.length > 0) return { ok: false, message: `${prefix}QuotaInfo must not include reserved resources ('${e.name}')` };
    guarantees.set(e.name, (guarantees.get(e.name) ?? 0) + (e.milli ?? 0) / 1000);
  }
  if (m.roleSettings.quota(role) !== undefined) return { ok: false, message: `${prefix}Can not set quota for role '${role}' which already has quota` };
  const force = json.value['force'] === true || json.value['force'] === 'true';
  return { ok: true, value: { role, guarantees, force } };
}

/** Scalar totals of the registered agents, by name. */
function clusterTotals(m: Master): Map<string, number> {
  let total = Resources.EMPTY;
  for (const a of m.agents.values()) if (a.state === 'registered' || a.state === 'disconnected') total = total.plus(a.total);
  const out = new Map<string, number>();
  for (const e of total.entries) if (e.kind === 'SCALAR') out.set(e.name, (out.get(e.name) ?? 0) + (e.milli ?? 0) / 1000);
  return out;
}

/** True when the guarantees of top-level quota roles (with the new one) fit in the cluster. */
function fitsCluster(m: Master, q: SetQuota): boolean {
  const sum = new Map<string, number>();
  const quotas = [...m.roleSettings.quotaList(), { role: q.role, guarantees: q.guarantees, limits: new Map<string, number>() }];
  const quotaRoles = new Set(quotas.map((x) => x.role));
  for (const x of quotas) {
    if (roleAndAncestors(x.role).slice(0, -1).some((r) => quotaRoles.has(r))) continue; // nested: inside its ancestor
    for (const [k, v] of x.guarantees) sum.set(k, (sum.get(k) ?? 0) + v);
  }
  const total = clusterTotals(m);
  return [...sum].every(([k, v]) => v <= (total.get(k) ?? 0) + 1e-9);
}

/** `GET /quota`: QuotaStatus with legacy `infos` and 1.9+ `configs`. */
export function quotaStatusJson(m: Master): unknown {
  const scalarMap = (q: ReadonlyMap<string, number>): Record<string, { value: number }> =>
    Object.fromEntries([...q].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { value: v }]));
  const list = m.roleSettings.quotaList();
  return {
    infos: list.map((q) => ({
      role: q.role,
      guarantee: [...q.guarantees].flatMap(([name, v]) => Resources.scalar(name, v).toWire('pre', false)),
    })),
    configs: list.map((q) => ({ role: q.role, guarantees: scalarMap(q.guarantees), limits: scalarMap(q.limits) })),
  };
}

function methodNotAllowed(reply: FastifyReply, allowed: readonly string[], method: string): FastifyReply {
  return reply
    .header('Allow', allowed.join(', '))
    .code(405)
    .type('text/plain; charset=utf-8')
    .send(`Expecting one of { ${allowed.map((a) => `'${a}'`).join(', ')} }, but received '${method}'`);
}

function sendJson(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.code(200).type('application/json').send(JSON.stringify(body));
}

/** Registers `/weights`, `/quota` and `/allocator/starvation` (see the module comment). */
export function registerRoleRoutes(app: FastifyInstance, m: Master): void {
  // "Why no offer": per framework and role, why the last allocation cycle gave it nothing.
  for (const url of ['/master/allocator/starvation', '/allocator/starvation']) {
    app.get(url, (_req, reply) =>
      sendJson(reply, {
        frameworks: m.allocator.lastCycleStarvation().map((s) => ({
          framework_id: s.frameworkId,
          role: s.role,
          reason: s.reason,
          filtered_agents: s.filteredAgents,
        })),
      }),
    );
  }
  for (const url of ['/master/weights', '/weights']) {
    app.route({
      method: [...METHODS_ALL],
      url,
      handler: async (req, reply) => {
        if (req.method === 'GET') return sendJson(reply, m.roleSettings.weightList());
        if (req.method !== 'PUT') return methodNotAllowed(reply, ['GET', 'PUT'], req.method);
        const parsed = parseWeights(m, bodyText(req));
        if (!parsed.ok) return textReply(reply, 400, parsed.message);
        await m.roleSettings.setWeights(parsed.value);
        return reply.code(200).send();
      },
    });
  }
  for (const url of ['/master/quota', '/quota']) {
    app.route({
      method: [...METHODS_ALL],
      url,
      handler: async (req, reply) => {
        if (req.method === 'GET') return sendJson(reply, quotaStatusJson(m));
        if (req.method !== 'POST') return methodNotAllowed(reply, ['GET', 'POST'], req.method);
        const parsed = parseSetQuota(m, bodyText(req));
        if (!parsed.ok) return textReply(reply, 400, parsed.message);
        if (!parsed.value.force && !fitsCluster(m, parsed.value)) {
          return textReply(reply, 409, 'Not enough available cluster capacity to reasonably satisfy quota request; the force flag can be used to override this check');
        }
        const { role, guarantees } = parsed.value;
        await m.roleSettings.setQuota({ role, guarantees, limits: new Map(guarantees) });
        return reply.code(200).send();
      },
    });
    app.route({
      method: [...METHODS_ALL],
      url: `${url}/*`,
      handler: async (req, reply) => {
        if (req.method !== 'DELETE') return methodNotAllowed(reply, ['DELETE'], req.method);
        const role = decodeURIComponent((req.params as { '*'?: string })['*'] ?? '');
        if (role === '') return textReply(reply, 400, 'Failed to parse remove quota request: the role is missing from the path');
        if (m.roleSettings.quota(role) === undefined) {
          return textReply(reply, 400, `Failed to validate remove quota request for path '${url}/${role}': Role '${role}' has no quota set`);
        }
        await m.roleSettings.removeQuota(role);
        return reply.code(200).send();
      },
    });
  }
}
