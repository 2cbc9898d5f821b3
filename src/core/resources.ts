/**
 * The resources algebra: immutable bags of named scalar, range and set resources, each tagged with its
 * reservation and (when offered or used) the role it is allocated to. Scalars are kept in fixed point
 * with three decimals (thousandths), as upstream, so 0.1 + 0.2 is exactly 0.3.
 */
import { invalid } from './errors.js';

export type ResourceKind = 'SCALAR' | 'RANGES' | 'SET';
export type Range = readonly [number, number];

/** Reservation of a resource: STATIC from the agent's flags, DYNAMIC from RESERVE operations. */
export interface Reservation {
  readonly type: 'STATIC' | 'DYNAMIC';
  readonly role: string;
  readonly principal?: string;
  readonly labels?: unknown;
}

export interface ResourceEntry {
  readonly name: string;
  readonly kind: ResourceKind;
  /** Thousandths, for SCALAR. */
  readonly milli?: number;
  /** Sorted, merged, inclusive ranges, for RANGES. */
  readonly ranges?: readonly Range[];
  /** Sorted unique items, for SET. */
  readonly items?: readonly string[];
  /** Empty = unreserved. The last entry is the role the resource is reserved for. */
  readonly reservations: readonly Reservation[];
  /** Role the resource is allocated to (offered or in use), if any. */
  readonly allocationRole?: string;
  readonly disk?: unknown;
  readonly revocable?: boolean;
  readonly shared?: boolean;
}

/** Wire shape of mesos.v1.Resource (the parts Agora reads and writes). */
export interface WireResource {
  name: string;
  type: ResourceKind;
  scalar?: { value: number };
  ranges?: { range: { begin: number; end: number }[] };
  set?: { item: string[] };
  role?: string;
  allocation_info?: { role?: string };
  reservation?: { principal?: string; labels?: unknown };
  reservations?: { type?: 'STATIC' | 'DYNAMIC'; role?: string; principal?: string; labels?: unknown }[];
  disk?: unknown;
  revocable?: Record<string, never>;
  shared?: Record<string, never>;
  provider_id?: unknown;
}

/** How resources are written: pre-refinement (`role`), post-refinement (`reservations`), or both (operator endpoints). */
export type ResourceFormat = 'pre' | 'post' | 'endpoint';

export function toMilli(value: number): number {
  return Math.round(value * 1000);
}
export function fromMilli(milli: number): number {
  return milli / 1000;
}

export function reservationRole(e: ResourceEntry): string {
  const last = e.reservations[e.reservations.length - 1];
  return last === undefined ? '*' : last.role;
}

function identity(e: ResourceEntry): string {
  return JSON.stringify([e.name, e.kind, e.reservations, e.allocationRole ?? null, e.disk ?? null, !!e.revocable, !!e.shared]);
}

export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r[0] <= r[1]).slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [b, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && b <= last[1] + 1) {
      last[1] = Math.max(last[1], e);
    } else {
      out.push([b, e]);
    }
  }
  return out;
}

export function subtractRanges(from: readonly Range[], minus: readonly Range[]): Range[] {
  let current: Range[] = mergeRanges(from);
  for (const [mb, me] of minus) {
    const next: Range[] = [];
    for (const [b, e] of current) {
      if (me < b || mb > e) {
        next.push([b, e]);
        continue;
      }
      if (mb > b) next.push([b, mb - 1]);
      if (me < e) next.push([me + 1, e]);
    }
    current = next;
  }
  return current;
}

export function rangesContain(outer: readonly Range[], inner: readonly Range[]): boolean {
  const merged = mergeRanges(outer);
  return inner.every(([b, e]) => b > e || merged.some(([ob, oe]) => ob <= b && e <= oe));
}

export function rangesSize(ranges: readonly Range[]): number {
  return ranges.reduce((n, [b, e]) => n + (e - b + 1), 0);
}

export function formatRanges(ranges: readonly Range[]): string {
  return `[${ranges.map(([b, e]) => `${b}-${e}`).join(', ')}]`;
}

function isEmptyEntry(e: ResourceEntry): boolean {
  switch (e.kind) {
    case 'SCALAR':
      return (e.milli ?? 0) <= 0;
    case 'RANGES':
      return (e.ranges ?? []).length === 0;
    case 'SET':
      return (e.items ?? []).length === 0;
  }
}

function combine(a: ResourceEntry, b: ResourceEntry, sign: 1 | -1): ResourceEntry {
  switch (a.kind) {
    case 'SCALAR':
      return { ...a, milli: (a.milli ?? 0) + sign * (b.milli ?? 0) };
    case 'RANGES':
      return {
        ...a,
        ranges: sign === 1 ? mergeRanges([...(a.ranges ?? []), ...(b.ranges ?? [])]) : subtractRanges(a.ranges ?? [], b.ranges ?? []),
      };
    case 'SET': {
      const minus = new Set(b.items ?? []);
      const items = sign === 1 ? [...new Set([...(a.items ?? []), ...(b.items ?? [])])] : (a.items ?? []).filter((i) => !minus.has(i));
      return { ...a, items: items.sort() };
    }
  }
}

function entryContains(a: ResourceEntry, b: ResourceEntry): boolean {
  switch (a.kind) {
    case 'SCALAR':
      return (a.milli ?? 0) >= (b.milli ?? 0);
    case 'RANGES':
      return rangesContain(a.ranges ?? [], b.ranges ?? []);
    case 'SET': {
      const have = new Set(a.items ?? []);
      return (b.items ?? []).every((i) => have.has(i));
    }
  }
}

/** An immutable bag of resources. All operations return new bags. */
export class Resources {
  static readonly EMPTY = new Resources([]);
  private readonly byKey: ReadonlyMap<string, ResourceEntry>;

  private constructor(entries: readonly ResourceEntry[]) {
    const map = new Map<string, ResourceEntry>();
    for (const e of entries) {
      if (isEmptyEntry(e)) continue;
      const k = identity(e);
      const prev = map.get(k);
      map.set(k, prev === undefined ? e : combine(prev, e, 1));
    }
    this.byKey = map;
  }

  static of(entries: readonly ResourceEntry[]): Resources {
    return new Resources(entries);
  }

  static scalar(name: string, value: number, role = '*'): Resources {
    return new Resources([{ name, kind: 'SCALAR', milli: toMilli(value), reservations: staticReservation(role) }]);
  }

  get entries(): readonly ResourceEntry[] {
    return [...this.byKey.values()];
  }

  isEmpty(): boolean {
    return this.byKey.size === 0;
  }

  plus(other: Resources): Resources {
    return new Resources([...this.entries, ...other.entries]);
  }

  /** Removes other from this; what other has beyond this is ignored (clamped at zero). */
  minus(other: Resources): Resources {
    const map = new Map(this.byKey);
    for (const e of other.entries) {
      const k = identity(e);
      const prev = map.get(k);
      if (prev === undefined) continue;
      const next = combine(prev, e, -1);
      if (isEmptyEntry(next)) map.delete(k);
      else map.set(k, next);
    }
    return new Resources([...map.values()]);
  }

  /** True when every entry of other is covered by an entry with the same identity here. */
  contains(other: Resources): boolean {
    for (const e of other.entries) {
      const mine = this.byKey.get(identity(e));
      if (mine === undefined || !entryContains(mine, e)) return false;
    }
    return true;
  }

  equals(other: Resources): boolean {
    return this.contains(other) && other.contains(this);
  }

  filter(pred: (e: ResourceEntry) => boolean): Resources {
    return new Resources(this.entries.filter(pred));
  }

  map(fn: (e: ResourceEntry) => ResourceEntry): Resources {
    return new Resources(this.entries.map(fn));
  }

  /** Same resources marked as allocated to role. */
  allocate(role: string): Resources {
    return this.map((e) => ({ ...e, allocationRole: role }));
  }

  /** Same resources with no allocation role. */
  unallocated(): Resources {
    return this.map((e) => {
      const { allocationRole: _drop, ...rest } = e;
      return rest;
    });
  }

  /** Resources allocatable to role: unreserved, or reserved to role or one of its ancestors. */
  allocatableTo(role: string): Resources {
    return this.filter((e) => {
      const r = reservationRole(e);
      return r === '*' || r === role || role.startsWith(`${r}/`);
    });
  }

  reserved(role?: string): Resources {
    return this.filter((e) => e.reservations.length > 0 && (role === undefined || reservationRole(e) === role));
  }

  unreserved(): Resources {
    return this.filter((e) => e.reservations.length === 0);
  }

  /** Sum of a scalar resource across reservations and allocations. */
  scalar(name: string): number {
    let milli = 0;
    for (const e of this.byKey.values()) if (e.name === name && e.kind === 'SCALAR') milli += e.milli ?? 0;
    return fromMilli(milli);
  }

  /** All ranges of a ranges resource, merged. */
  ranges(name: string): Range[] {
    const all: Range[] = [];
    for (const e of this.byKey.values()) if (e.name === name && e.kind === 'RANGES') all.push(...(e.ranges ?? []));
    return mergeRanges(all);
  }

  names(): string[] {
    return [...new Set(this.entries.map((e) => e.name))].sort();
  }

  /** Scalar quantities by name (used by DRF and metrics). */
  quantities(): Map<string, number> {
    const q = new Map<string, number>();
    for (const e of this.byKey.values()) {
      if (e.kind === 'SCALAR') q.set(e.name, (q.get(e.name) ?? 0) + (e.milli ?? 0));
      else if (e.kind === 'RANGES') q.set(e.name, (q.get(e.name) ?? 0) + rangesSize(e.ranges ?? []) * 1000);
      else q.set(e.name, (q.get(e.name) ?? 0) + (e.items ?? []).length * 1000);
    }
    for (const [k, v] of q) q.set(k, fromMilli(v));
    return q;
  }

  /**
   * Legacy summary object of `/master/state`: cpus, gpus, mem, disk always present; other scalars as numbers;
   * ranges as `"[a-b, c-d]"`; sets as `"{a, b}"`; revocable under `<name>_revocable`.
   */
  summary(): Record<string, number | string> {
    const out: Record<string, number | string> = { cpus: 0, gpus: 0, mem: 0, disk: 0 };
    const scalars = new Map<string, number>();
    const ranges = new Map<string, Range[]>();
    const sets = new Map<string, Set<string>>();
    for (const e of this.byKey.values()) {
      const key = e.revocable ? `${e.name}_revocable` : e.name;
      if (e.kind === 'SCALAR') scalars.set(key, (scalars.get(key) ?? 0) + (e.milli ?? 0));
      else if (e.kind === 'RANGES') ranges.set(key, [...(ranges.get(key) ?? []), ...(e.ranges ?? [])]);
      else sets.set(key, new Set([...(sets.get(key) ?? []), ...(e.items ?? [])]));
    }
    for (const [k, v] of scalars) out[k] = fromMilli(v);
    for (const [k, v] of ranges) out[k] = formatRanges(mergeRanges(v));
    for (const [k, v] of sets) out[k] = `{${[...v].sort().join(', ')}}`;
    return out;
  }

  /** Resources as mesos.v1.Resource JSON. `withAllocation` controls allocation_info (MULTI_ROLE frameworks). */
  toWire(format: ResourceFormat = 'pre', withAllocation = true): WireResource[] {
    return this.entries
      .slice()
      .sort((a, b) => wireOrder(a.name) - wireOrder(b.name) || a.name.localeCompare(b.name))
      .map((e) => entryToWire(e, format, withAllocation));
  }

  toString(): string {
    return this.entries
      .map((e) => {
        const role = reservationRole(e);
        const name = role === '*' ? e.name : `${e.name}(${role})`;
        switch (e.kind) {
          case 'SCALAR':
            return `${name}:${fromMilli(e.milli ?? 0)}`;
          case 'RANGES':
            return `${name}:[${(e.ranges ?? []).map(([b, x]) => `${b}-${x}`).join(',')}]`;
          case 'SET':
            return `${name}:{${(e.items ?? []).join(',')}}`;
        }
      })
      .join(';');
  }
}

const ORDER = ['cpus', 'gpus', 'mem', 'disk', 'ports'];
function wireOrder(name: string): number {
  const i = ORDER.indexOf(name);
  return i === -1 ? ORDER.length : i;
}

function staticReservation(role: string): Reservation[] {
  return role === '*' ? [] : [{ type: 'STATIC', role }];
}

function entryToWire(e: ResourceEntry, format: ResourceFormat, withAllocation: boolean): WireResource {
  const w: WireResource = { name: e.name, type: e.kind };
  if (e.kind === 'SCALAR') w.scalar = { value: fromMilli(e.milli ?? 0) };
  if (e.kind === 'RANGES') w.ranges = { range: (e.ranges ?? []).map(([begin, end]) => ({ begin, end })) };
  if (e.kind === 'SET') w.set = { item: [...(e.items ?? [])] };
  if (format === 'pre' || format === 'endpoint') {
    w.role = reservationRole(e);
    const last = e.reservations[e.reservations.length - 1];
    if (last !== undefined && last.type === 'DYNAMIC') {
      const r: { principal?: string; labels?: unknown } = {};
      if (last.principal !== undefined) r.principal = last.principal;
      if (last.labels !== undefined) r.labels = last.labels;
      w.reservation = r;
    }
  }
  if ((format === 'post' || format === 'endpoint') && e.reservations.length > 0) {
    w.reservations = e.reservations.map((r) => {
      const o: { type: 'STATIC' | 'DYNAMIC'; role: string; principal?: string; labels?: unknown } = { type: r.type, role: r.role };
      if (r.principal !== undefined) o.principal = r.principal;
      if (r.labels !== undefined) o.labels = r.labels;
      return o;
    });
  }
  if (withAllocation && e.allocationRole !== undefined) w.allocation_info = { role: e.allocationRole };
  if (e.disk !== undefined) w.disk = e.disk;
  if (e.revocable) w.revocable = {};
  if (e.shared) w.shared = {};
  return w;
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
