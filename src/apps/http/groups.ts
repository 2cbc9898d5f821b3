/**
 * Read-only groups (spec §2.4, §3.11): the group tree implied by the app ids. `GET /v2/groups[/{id}]` answers
 * `{id, apps, groups, pods, dependencies, version}`; apps are plain App JSON. Group writes are not supported yet.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api/errors.js';
import { appJson, type AppDefinition } from '../model/app.js';
import { canonicalId } from '../model/path-id.js';

function parentOf(id: string): string {
  const segs = id.split('/').filter((s) => s !== '');
  return `/${segs.slice(0, -1).join('/')}`;
}

/** The group `groupId` built from every app under it; undefined when no app lives under it. */
export function groupJson(apps: readonly AppDefinition[], groupId: string, fallbackVersion: string): Record<string, unknown> | undefined {
  const prefix = groupId === '/' ? '/' : `${groupId}/`;
  const under = apps.filter((a) => a.id.startsWith(prefix));
  if (under.length === 0 && groupId !== '/') return undefined;
  const direct = under.filter((a) => parentOf(a.id) === groupId).sort((a, b) => a.id.localeCompare(b.id));
  const childIds = new Set<string>();
  for (const a of under) {
    const rest = a.id.slice(prefix.length).split('/');
    if (rest.length > 1) childIds.add(`${prefix}${rest[0] ?? ''}`);
  }
  const version = under.map((a) => a.version).sort().at(-1) ?? fallbackVersion;
  return {
    id: groupId,
    apps: direct.map(appJson),
    groups: [...childIds].sort().map((g) => groupJson(under, g, fallbackVersion)),
    pods: [],
    dependencies: [],
    version,
  };
}

export function registerGroups(app: FastifyInstance, apps: () => readonly AppDefinition[], now: () => string): void {
  const get = (raw: string) => {
    const id = canonicalId(raw);
    const g = groupJson(apps(), id, now());
    if (g === undefined) throw new ApiError(404, { message: `Group '${id}' does not exist` });
    return g;
  };
  app.get('/v2/groups', async () => get('/'));
  app.get('/v2/groups/*', async (req) => get((req.params as { '*': string })['*']));
}
