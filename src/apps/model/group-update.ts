/**
 * GroupUpdate bodies (spec §2.4) applied to a copy of the root group, pure: `scaleBy` scales every app under
 * the group; otherwise a structural update where `apps` replaces the group's direct app set, `groups`
 * replaces its child-group set (recursively), and `dependencies`/`enforceRole` set the group's attributes.
 * Omitted keys keep the current content. Rollback to a stored version (`version`) is done by the caller.
 */
import { Type as T, type Static } from '@sinclair/typebox';
import { AppSchema } from '../api/app-schema.js';
import { notValid } from '../api/errors.js';
import type { AppDefinition } from './app.js';
import { normalizeApp } from './normalize.js';
import { defaultRoleFor } from './role.js';
import { appIdErrors, canonicalId } from './path-id.js';
import { scaledInstances, type GroupMeta } from '../deploy/group-plan.js';

export interface GroupBody {
  id?: string;
  apps?: Static<typeof AppSchema>[];
  groups?: GroupBody[];
  dependencies?: string[];
  scaleBy?: number;
  version?: string;
  enforceRole?: boolean;
}

/** The GroupUpdate shape (422 `Invalid JSON` on mismatch). */
export const GroupSchema = T.Recursive((Self) =>
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

/** Apps and explicit groups of the root group. */
export interface Root {
  readonly apps: Map<string, AppDefinition>;
  readonly groups: Map<string, GroupMeta>;
}

export function cloneRoot(r: { apps: ReadonlyMap<string, AppDefinition>; groups: ReadonlyMap<string, GroupMeta> }): Root {
  return { apps: new Map(r.apps), groups: new Map(r.groups) };
}

export function parentOf(id: string): string {
  return `/${id.split('/').filter((s) => s !== '').slice(0, -1).join('/')}`;
}

export function isUnder(id: string, group: string): boolean {
  return group === '/' || id.startsWith(`${group}/`);
}

/** Whether the group exists: explicit, or implied by an app under it. The root always exists. */
export function groupExists(root: Root, id: string): boolean {
  if (id === '/' || root.groups.has(id)) return true;
  for (const a of root.apps.keys()) if (isUnder(a, id)) return true;
  for (const g of root.groups.keys()) if (isUnder(g, id)) return true;
  return false;
}

/** Direct child group ids of `id`, from app ids and explicit groups. */
export function childGroups(root: Root, id: string): string[] {
  const depth = id.split('/').filter((s) => s !== '').length;
  const out = new Set<string>();
  for (const x of [...root.apps.keys(), ...root.groups.keys()]) {
    if (!isUnder(x, id) || x === id) continue;
    const segs = x.split('/').filter((s) => s !== '');
    if (segs.length > depth + 1 || root.groups.has(x)) out.add(`/${segs.slice(0, depth + 1).join('/')}`);
  }
  return [...out].sort();
}

/** Drops every app and group under (and including) the group. */
export function removeSubtree(root: Root, id: string): void {
  for (const a of [...root.apps.keys()]) if (isUnder(a, id)) root.apps.delete(a);
  for (const g of [...root.groups.keys()]) if (g !== '/' && (g === id || isUnder(g, id))) root.groups.delete(g);
}

/** Applies a scaleBy or structural GroupUpdate at `groupId` to `root` (mutated); new apps get their default role. */
export function applyGroupUpdate(root: Root, groupId: string, body: GroupBody, mesosRole = '*'): void {
  if (body.scaleBy !== undefined) {
    for (const a of [...root.apps.values()]) if (isUnder(a.id, groupId)) root.apps.set(a.id, { ...a, instances: scaledInstances(a.instances, body.scaleBy) });
    return;
  }
  if (groupId !== '/') {
    const errs = appIdErrors(groupId);
    if (errs.length > 0) throw notValid([{ path: '/id', errors: errs }]);
    const cur = root.groups.get(groupId);
    const deps = body.dependencies?.map((d) => canonicalId(d, parentOf(groupId))) ?? cur?.dependencies ?? [];
    const enforceRole = body.enforceRole ?? cur?.enforceRole;
    root.groups.set(groupId, { id: groupId, dependencies: deps, ...(enforceRole !== undefined ? { enforceRole } : {}) });
  }
  if (body.apps !== undefined) {
    const wanted = new Set<string>();
    for (const raw of body.apps) {
      const id = canonicalId(raw.id ?? '', groupId);
      wanted.add(id);
      const current = root.apps.get(id);
      // The group attributes of this very update count (a new group created with enforceRole and its apps).
      const defaultRole = defaultRoleFor(id, root.groups, mesosRole);
      root.apps.set(id, normalizeApp({ ...raw, id }, current !== undefined ? { base: current, defaultRole } : { defaultRole }));
    }
    for (const a of [...root.apps.keys()]) if (parentOf(a) === groupId && !wanted.has(a)) root.apps.delete(a);
  }
  if (body.groups !== undefined) {
    const listed = body.groups.map((g) => canonicalId(g.id ?? '', groupId));
    for (const c of childGroups(root, groupId)) if (!listed.includes(c)) removeSubtree(root, c);
    body.groups.forEach((child, i) => applyGroupUpdate(root, listed[i] ?? groupId, child, mesosRole));
  }
}

/** 422 when an app id is also a group id (spec §1.1). */
export function checkIds(root: Root): void {
  const groupIds = new Set(root.groups.keys());
  for (const id of root.apps.keys()) for (let p = parentOf(id); p !== '/'; p = parentOf(p)) groupIds.add(p);
  for (const id of root.apps.keys()) {
    if (groupIds.has(id)) throw notValid([{ path: '/', errors: ['Groups and Applications may not have the same identifier.'] }]);
  }
}
