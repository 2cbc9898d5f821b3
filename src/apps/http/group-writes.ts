/**
 * Group writes (spec §2.4), in terms of app changes: a GroupUpdate's apps (ids relative to the group) are
 * created or updated, `apps` replaces the group's app set (apps not listed are removed), `groups` recurses,
 * `scaleBy` scales every app under the group, DELETE removes every app under it. Each app change is its own
 * deployment (upstream makes one plan; dependencies do not order the steps yet); the last is returned.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type as T, type Static } from '@sinclair/typebox';
import { bodyText } from '../../transport/http-server.js';
import { AppSchema } from '../api/app-schema.js';
import { ApiError } from '../api/errors.js';
import { checkShape, parseJsonBody } from '../model/decode.js';
import { normalizeApp } from '../model/normalize.js';
import { canonicalId } from '../model/path-id.js';
import { timestamp, type AppDefinition } from '../model/app.js';
import type { AppChanges, ChangeResult } from '../service/app-changes.js';
import type { AppsState } from '../service/state.js';

interface GroupBody {
  id?: string;
  apps?: Static<typeof AppSchema>[];
  groups?: GroupBody[];
  dependencies?: string[];
  scaleBy?: number;
  version?: string;
}

const GroupSchema = T.Recursive((Self) =>
  T.Object({
    id: T.Optional(T.String()),
    apps: T.Optional(T.Array(AppSchema)),
    groups: T.Optional(T.Array(Self)),
    dependencies: T.Optional(T.Array(T.String())),
    scaleBy: T.Optional(T.Number({ minimum: 0 })),
    version: T.Optional(T.String()),
    enforceRole: T.Optional(T.Boolean()),
  }),
);

export interface GroupDeps {
  readonly state: AppsState;
  readonly changes: AppChanges;
  readonly baseUrl: () => string;
}

function under(state: AppsState, group: string): AppDefinition[] {
  const prefix = group === '/' ? '/' : `${group}/`;
  return [...state.apps.values()].filter((a) => a.id.startsWith(prefix));
}

/** Applies one GroupUpdate at `groupId`; returns the app changes made. */
async function applyGroup(d: GroupDeps, groupId: string, body: GroupBody, force: boolean, out: ChangeResult[]): Promise<void> {
  if (body.scaleBy !== undefined) {
    for (const a of under(d.state, groupId)) {
      out.push(await d.changes.upsert({ ...a, instances: Math.ceil(a.instances * (body.scaleBy ?? 1)) }, { force, mustNotExist: false }));
    }
    return;
  }
  if (body.apps !== undefined) {
    const wanted = new Set<string>();
    for (const raw of body.apps) {
      const id = canonicalId(raw.id ?? '', groupId);
      wanted.add(id);
      const current = d.state.apps.get(id);
      const next = normalizeApp({ ...raw, id }, current !== undefined ? { base: current } : {});
      out.push(await d.changes.upsert(next, { force, mustNotExist: false }));
    }
    const direct = under(d.state, groupId).filter((a) => a.id.split('/').length === groupId.split('/').filter((x) => x !== '').length + 2);
    for (const a of direct) if (!wanted.has(a.id)) out.push(await d.changes.remove(a.id, force));
  }
  for (const child of body.groups ?? []) await applyGroup(d, canonicalId(child.id ?? '', groupId), child, force, out);
}

function result(reply: FastifyReply, changes: readonly ChangeResult[], status: number, clockVersion: string): FastifyReply {
  const last = changes.at(-1);
  if (last === undefined) return reply.code(status).send({ deploymentId: '', version: clockVersion });
  return reply.code(status).header('Marathon-Deployment-Id', last.deployment.id).send({ deploymentId: last.deployment.id, version: last.deployment.version });
}

export function registerGroupWrites(app: FastifyInstance, d: GroupDeps): void {
  const force = (req: FastifyRequest): boolean => {
    const v = (req.query as Record<string, string | string[] | undefined>)['force'];
    return (Array.isArray(v) ? v[0] : v)?.toLowerCase() === 'true';
  };
  const read = (req: FastifyRequest): GroupBody => checkShape(GroupSchema, parseJsonBody(bodyText(req.body)));
  const pathOf = (req: FastifyRequest): string => canonicalId((req.params as { '*'?: string })['*'] ?? '');
  const now = (): string => timestamp(d.state.clock.now());

  const create = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = read(req);
    const id = canonicalId(body.id ?? '', pathOf(req));
    if (d.state.apps.has(id)) throw new ApiError(409, { message: `An app with the path ${id} already exists.` });
    if (under(d.state, id).length > 0) throw new ApiError(409, { message: `Group ${id} is already created. Use PUT to change this group.` });
    const out: ChangeResult[] = [];
    await applyGroup(d, id, { ...body, id }, force(req), out);
    reply.header('Location', `${d.baseUrl()}${id}`);
    return result(reply, out, 201, now());
  };
  const update = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = read(req);
    if (body.version !== undefined) throw new ApiError(422, { message: 'Group version rollback is not supported yet' });
    const id = pathOf(req);
    const out: ChangeResult[] = [];
    await applyGroup(d, id, body, force(req), out);
    return result(reply, out, 200, now());
  };
  const remove = async (req: FastifyRequest, reply: FastifyReply) => {
    const id = pathOf(req);
    const apps = under(d.state, id);
    if (apps.length === 0 && id !== '/') throw new ApiError(404, { message: `Group '${id}' does not exist` });
    const out: ChangeResult[] = [];
    for (const a of apps) out.push(await d.changes.remove(a.id, force(req)));
    return result(reply, out, 200, now());
  };
  app.post('/v2/groups', create);
  app.post('/v2/groups/*', create);
  app.put('/v2/groups', update);
  app.put('/v2/groups/*', update);
  app.delete('/v2/groups', remove);
  app.delete('/v2/groups/*', remove);
}
