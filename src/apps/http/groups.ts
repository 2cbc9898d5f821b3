/**
 * Group reads (spec §2.4, §3.11): the tree implied by app ids plus explicit groups (dependencies, enforceRole).
 * `GET /v2/groups[/{id}]` answers `{id, apps, groups, pods, dependencies, version}` (embeds choose the keys;
 * `group.apps.*` embeds turn apps into AppInfo), `/apps` the AppInfos under the group, `/versions[/{ts}]`
 * the stored root versions holding the group and the group at one of them.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api/errors.js';
import { appJson, timestamp, type AppDefinition } from '../model/app.js';
import { canonicalId } from '../model/path-id.js';
import { childGroups, cloneRoot, groupExists, isUnder, parentOf, type Root } from '../model/group-update.js';
import type { GroupMeta } from '../deploy/group-plan.js';
import type { AppsState } from '../service/state.js';
import type { AppsQueries } from './queries.js';

export interface GroupView {
  readonly groups: boolean;
  readonly apps: boolean;
  readonly pods: boolean;
  /** AppInfo instead of plain App JSON (a `group.apps.<x>` embed was given). */
  readonly appInfo?: (app: AppDefinition) => Record<string, unknown>;
}

const ALL: GroupView = { groups: true, apps: true, pods: true };

/** The group `groupId` of `root`; undefined when it does not exist. */
export function groupJson(root: Root, groupId: string, fallbackVersion: string, view: GroupView = ALL): Record<string, unknown> | undefined {
  if (!groupExists(root, groupId)) return undefined;
  const under = [...root.apps.values()].filter((a) => isUnder(a.id, groupId));
  const direct = under.filter((a) => parentOf(a.id) === groupId).sort((a, b) => a.id.localeCompare(b.id));
  const meta: GroupMeta | undefined = root.groups.get(groupId);
  const out: Record<string, unknown> = { id: groupId };
  if (view.apps) out['apps'] = direct.map(view.appInfo ?? appJson);
  if (view.groups) out['groups'] = childGroups(root, groupId).map((g) => groupJson(root, g, fallbackVersion, view));
  if (view.pods) out['pods'] = [];
  out['dependencies'] = meta?.dependencies ?? [];
  out['version'] = under.map((a) => a.version).sort().at(-1) ?? fallbackVersion;
  if (meta?.enforceRole !== undefined) out['enforceRole'] = meta.enforceRole;
  return out;
}

function embedsOf(q: unknown): string[] {
  const v = (q as Record<string, string | string[] | undefined>)['embed'];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function registerGroups(app: FastifyInstance, state: AppsState, queries: AppsQueries): void {
  const now = (): string => timestamp(state.clock.now());
  const notFound = (id: string): ApiError => new ApiError(404, { message: `Group '${id}' does not exist` });
  const view = (embeds: readonly string[]): GroupView => {
    if (embeds.length === 0) return ALL;
    const appEmbeds = embeds.filter((e) => e.startsWith('group.apps.')).map((e) => e.slice('group.apps.'.length));
    return {
      groups: embeds.includes('group.groups'),
      apps: embeds.includes('group.apps') || appEmbeds.length > 0,
      pods: embeds.includes('group.pods'),
      ...(appEmbeds.length > 0 ? { appInfo: (a: AppDefinition) => queries.appInfo(a, appEmbeds.includes('tasks') || appEmbeds.includes('failures'), appEmbeds) } : {}),
    };
  };
  const get = async (raw: string, embeds: readonly string[]) => {
    const segs = raw.split('/').filter((s) => s !== '');
    const vIdx = segs.lastIndexOf('versions');
    if (vIdx >= 0 && vIdx >= segs.length - 2) {
      const id = canonicalId(segs.slice(0, vIdx).join('/'));
      const ts = segs[vIdx + 1];
      if (ts === undefined) {
        if (!groupExists(cloneRoot(state), id)) throw notFound(id);
        const out: string[] = [];
        for (const v of await state.groupRepo.snapshotVersions()) {
          const snap = await state.groupRepo.snapshot(v);
          if (snap !== undefined && groupExists(cloneRoot({ apps: new Map(snap.apps.map((a) => [a.id, a])), groups: new Map(snap.groups.map((g) => [g.id, g])) }), id)) out.push(v);
        }
        return out;
      }
      const snap = await state.groupRepo.snapshot(ts);
      const root = snap === undefined ? undefined : cloneRoot({ apps: new Map(snap.apps.map((a) => [a.id, a])), groups: new Map(snap.groups.map((g) => [g.id, g])) });
      const g = root === undefined ? undefined : groupJson(root, id, ts);
      if (g === undefined) throw new ApiError(404, { message: `Group '${id}' does not exist in version ${ts}` });
      return g;
    }
    if (segs.at(-1) === 'apps') {
      const id = canonicalId(segs.slice(0, -1).join('/'));
      if (!groupExists(cloneRoot(state), id)) throw notFound(id);
      return [...state.apps.values()].filter((a) => isUnder(a.id, id)).sort((a, b) => a.id.localeCompare(b.id)).map((a) => queries.appInfo(a, false));
    }
    const id = canonicalId(raw);
    const g = groupJson(cloneRoot(state), id, now(), view(embeds));
    if (g === undefined) throw notFound(id);
    return g;
  };
  app.get('/v2/groups', async (req) => get('', embedsOf(req.query)));
  app.get('/v2/groups/*', async (req) => get((req.params as { '*': string })['*'], embedsOf(req.query)));
}
