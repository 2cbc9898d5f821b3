/**
 * Group writes (spec §2.4): POST/PUT/DELETE `/v2/groups[/{id}]` and PATCH `{enforceRole}`. Each change is one
 * root-group change with one stepped deployment plan (GroupChanges, ADR 0044); PUT `dryRun=true` answers the
 * plan's steps without deploying; `force` overrides deployment locks (409 otherwise).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type as T } from '@sinclair/typebox';
import { bodyText } from '../../transport/http-server.js';
import { ApiError } from '../api/errors.js';
import { checkShape, parseJsonBody } from '../model/decode.js';
import { canonicalId } from '../model/path-id.js';
import { timestamp } from '../model/app.js';
import { GroupSchema, type GroupBody } from '../model/group-update.js';
import type { GroupChangeResult, GroupChanges } from '../service/group-changes.js';
import type { AppsState } from '../service/state.js';

export interface GroupDeps {
  readonly state: AppsState;
  readonly groups: GroupChanges;
  readonly baseUrl: () => string;
}

const EnforceRoleSchema = T.Object({ enforceRole: T.Optional(T.Boolean()) });

function flag(req: FastifyRequest, key: string): boolean {
  const v = (req.query as Record<string, string | string[] | undefined>)[key];
  return (Array.isArray(v) ? v[0] : v)?.toLowerCase() === 'true';
}

function result(reply: FastifyReply, r: GroupChangeResult, status: number, fallbackVersion: string): FastifyReply {
  const d = r.deployment;
  if (d === undefined) return reply.code(200).send({ steps: r.steps });
  return reply.code(status).header('Marathon-Deployment-Id', d.id).send({ deploymentId: d.id, version: d.version || fallbackVersion });
}

export function registerGroupWrites(app: FastifyInstance, d: GroupDeps): void {
  const read = (req: FastifyRequest): GroupBody => checkShape(GroupSchema, parseJsonBody(bodyText(req.body)));
  const pathOf = (req: FastifyRequest): string => canonicalId((req.params as { '*'?: string })['*'] ?? '');
  const now = (): string => timestamp(d.state.clock.now());

  const create = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = read(req);
    const id = canonicalId(body.id ?? '', pathOf(req));
    const r = await d.groups.update(id, { ...body, id }, { force: flag(req, 'force'), create: true });
    reply.header('Location', `${d.baseUrl()}${id}`);
    return result(reply, r, 201, now());
  };
  const update = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = read(req);
    const path = pathOf(req);
    const id = body.id !== undefined ? canonicalId(body.id, path) : path;
    const r = await d.groups.update(id, body, { force: flag(req, 'force'), dryRun: flag(req, 'dryRun') });
    return result(reply, r, 200, now());
  };
  const remove = async (req: FastifyRequest, reply: FastifyReply) => result(reply, await d.groups.remove(pathOf(req), flag(req, 'force')), 200, now());
  const patch = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = checkShape(EnforceRoleSchema, parseJsonBody(bodyText(req.body)));
    if (body.enforceRole === undefined) throw new ApiError(422, { message: 'Invalid JSON', details: [{ path: '/enforceRole', errors: ['error.path.missing'] }] });
    await d.groups.setEnforceRole(pathOf(req), body.enforceRole);
    return reply.code(200).send();
  };
  app.post('/v2/groups', create);
  app.post('/v2/groups/*', create);
  app.put('/v2/groups', update);
  app.put('/v2/groups/*', update);
  app.delete('/v2/groups', remove);
  app.delete('/v2/groups/*', remove);
  app.patch('/v2/groups/*', patch);
}
