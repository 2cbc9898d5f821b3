/**
 * Decides how a new model reaches a running HAProxy: nothing, runtime-API commands on the server slots
 * (`set server <backend>/s<k> addr <ip> port <p>` + `state ready|maint`), or a reload. Runtime changes are
 * used only when nothing but server membership changed, every backend keeps enough slots, and the backend is
 * not sticky (cookies are fixed in the file). A server that stays keeps its slot, so its connections and
 * balancing state are untouched. Pure.
 */
import { EMPTY_SLOT_ADDR } from './haproxy-config.js';
import type { LbModel, LbServer } from './model.js';

/** Per backend: slot k-1 → the server it holds, or undefined when empty (disabled). */
export type SlotTable = ReadonlyMap<string, readonly (LbServer | undefined)[]>;

export type UpdatePlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'reload'; readonly reason: string }
  | { readonly kind: 'runtime'; readonly commands: readonly string[]; readonly slots: SlotTable };

/** The slots a freshly rendered config has: servers in order, then empty spares. */
export function initialSlots(model: LbModel, slotsOf: (backend: string, servers: number) => number): SlotTable {
  const out = new Map<string, (LbServer | undefined)[]>();
  for (const s of model.services) {
    const n = Math.max(slotsOf(s.backend, s.servers.length), s.servers.length);
    out.set(s.backend, Array.from({ length: n }, (_, i) => s.servers[i]));
  }
  return out;
}

const key = (s: LbServer): string => `${s.ip}:${s.port}`;

/**
 * The plan from the live (`liveStructure`, `live` slots) to `next` whose structure (the config without
 * servers) is `nextStructure`.
 */
export function planUpdate(liveStructure: string, live: SlotTable, nextStructure: string, next: LbModel): UpdatePlan {
  if (liveStructure !== nextStructure) return { kind: 'reload', reason: 'configuration changed beyond server membership' };
  const commands: string[] = [];
  const slots = new Map<string, (LbServer | undefined)[]>();
  for (const s of next.services) {
    const cur = live.get(s.backend);
    if (cur === undefined) return { kind: 'reload', reason: `backend ${s.backend} is not live` };
    const wanted = new Map(s.servers.map((x) => [key(x), x]));
    const table = cur.map((x) => (x !== undefined && wanted.has(key(x)) ? x : undefined));
    const placed = new Set(table.flatMap((x) => (x === undefined ? [] : [key(x)])));
    const added = s.servers.filter((x) => !placed.has(key(x)));
    const removedSlots = cur.flatMap((x, i) => (x !== undefined && !wanted.has(key(x)) ? [i] : []));
    if (added.length === 0 && removedSlots.length === 0) {
      slots.set(s.backend, [...cur]);
      continue;
    }
    if (s.sticky) return { kind: 'reload', reason: `sticky backend ${s.backend} changed servers` };
    const free = table.flatMap((x, i) => (x === undefined ? [i] : []));
    if (free.length < added.length) return { kind: 'reload', reason: `backend ${s.backend} needs ${placed.size + added.length} server slots, has ${cur.length}` };
    const reused = new Set<number>();
    added.forEach((server, j) => {
      const i = free[j] ?? 0;
      reused.add(i);
      table[i] = server;
      commands.push(`set server ${s.backend}/s${i + 1} addr ${server.ip} port ${server.port}`, `set server ${s.backend}/s${i + 1} state ready`);
    });
    for (const i of removedSlots) {
      if (reused.has(i)) continue;
      const [ip, port] = EMPTY_SLOT_ADDR.split(':');
      commands.push(`set server ${s.backend}/s${i + 1} state maint`, `set server ${s.backend}/s${i + 1} addr ${ip ?? '127.0.0.1'} port ${port ?? '1'}`);
    }
    slots.set(s.backend, table);
  }
  if (commands.length === 0) return { kind: 'none' };
  return { kind: 'runtime', commands, slots };
}
