/**
 * Reading resources: mesos.v1.Resource JSON (either reservation format) and the agent `--resources` text
 * syntax. Re-exported by resources.ts; import from there.
 */
import { invalid } from './errors.js';
import type { Range, Reservation, ResourceEntry, WireResource } from './resources.js';
import { Resources, mergeRanges, toMilli } from './resources.js';

function staticReservation(role: string): Reservation[] {
  return role === '*' ? [] : [{ type: 'STATIC', role }];
}

/**
 * Reads mesos.v1.Resource JSON in either format. A resource without role or reservations is unreserved;
 * `role` plus `reservation` is a dynamic reservation (pre-refinement).
 */
export function fromWire(list: readonly WireResource[]): Resources {
  return Resources.of(list.map(wireToEntry));
}

export function wireToEntry(w: WireResource): ResourceEntry {
  let reservations: Reservation[];
  if (w.reservations !== undefined && w.reservations.length > 0) {
    reservations = w.reservations.map((r) => {
      const o: { type: 'STATIC' | 'DYNAMIC'; role: string; principal?: string; labels?: unknown } = {
        type: r.type ?? 'DYNAMIC',
        role: r.role ?? '*',
      };
      if (r.principal !== undefined) o.principal = r.principal;
      if (r.labels !== undefined) o.labels = r.labels;
      return o;
    });
  } else if (w.role !== undefined && w.role !== '*') {
    const r: { type: 'STATIC' | 'DYNAMIC'; role: string; principal?: string; labels?: unknown } = {
      type: w.reservation !== undefined ? 'DYNAMIC' : 'STATIC',
      role: w.role,
    };
    if (w.reservation?.principal !== undefined) r.principal = w.reservation.principal;
    if (w.reservation?.labels !== undefined) r.labels = w.reservation.labels;
    reservations = [r];
  } else {
    reservations = [];
  }
  const base: { -readonly [K in keyof ResourceEntry]: ResourceEntry[K] } = { name: w.name, kind: w.type, reservations };
  if (w.allocation_info?.role !== undefined) base.allocationRole = w.allocation_info.role;
  if (w.disk !== undefined) base.disk = w.disk;
  if (w.revocable !== undefined) base.revocable = true;
  if (w.shared !== undefined) base.shared = true;
  switch (w.type) {
    case 'SCALAR': {
      const v = w.scalar?.value;
      if (v === undefined || !Number.isFinite(v) || v < 0) throw invalid(`Resource '${w.name}' has an invalid scalar value`);
      base.milli = toMilli(v);
      break;
    }
    case 'RANGES': {
      const rs = (w.ranges?.range ?? []).map((r): Range => [r.begin, r.end]);
      if (rs.some(([b, e]) => !Number.isInteger(b) || !Number.isInteger(e) || b > e || b < 0)) {
        throw invalid(`Resource '${w.name}' has an invalid range`);
      }
      base.ranges = mergeRanges(rs);
      break;
    }
    case 'SET':
      base.items = [...new Set(w.set?.item ?? [])].sort();
      break;
  }
  return base;
}

/**
 * Parses the agent `--resources` text syntax: `cpus:4;mem:2048;ports:[31000-32000];disks:{a,b};cpus(ads):8`,
 * or a JSON array of Resource. Entries without a role get defaultRole.
 */
export function parseResources(text: string, defaultRole = '*'): Resources {
  const trimmed = text.trim();
  if (trimmed === '') return Resources.EMPTY;
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw invalid(`Failed to parse resources JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw invalid('Resources JSON must be an array');
    return fromWire(parsed as WireResource[]);
  }
  const entries: ResourceEntry[] = [];
  for (const part of trimmed.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const m = /^([^:(]+)(?:\(([^)]*)\))?:(.+)$/.exec(p);
    if (!m) throw invalid(`Bad resource '${p}': expected name[(role)]:value`);
    const name = (m[1] ?? '').trim();
    const role = (m[2] ?? defaultRole).trim() || defaultRole;
    const value = (m[3] ?? '').trim();
    const reservations = staticReservation(role);
    if (value.startsWith('[')) {
      if (!value.endsWith(']')) throw invalid(`Bad ranges in '${p}'`);
      const rs = value
        .slice(1, -1)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s): Range => {
          const [b, e] = s.split('-').map((x) => Number(x.trim()));
          if (b === undefined || !Number.isInteger(b) || (e !== undefined && !Number.isInteger(e))) throw invalid(`Bad range '${s}' in '${p}'`);
          return [b, e ?? b];
        });
      entries.push({ name, kind: 'RANGES', ranges: mergeRanges(rs), reservations });
    } else if (value.startsWith('{')) {
      if (!value.endsWith('}')) throw invalid(`Bad set in '${p}'`);
      const items = value
        .slice(1, -1)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      entries.push({ name, kind: 'SET', items: [...new Set(items)].sort(), reservations });
    } else {
      const v = Number(value);
      if (!Number.isFinite(v) || v < 0) throw invalid(`Bad scalar value in '${p}'`);
      entries.push({ name, kind: 'SCALAR', milli: toMilli(v), reservations });
    }
  }
  return Resources.of(entries);
}
