/**
 * The resources algebra: immutable bags of named scalar, range and set resources, each tagged with its
 * reservation and (when offered or used) the role it is allocated to. Scalars are kept in fixed point
 * with three decimals (thousandths), as upstream, so 0.1 + 0.2 is exactly 0.3.
 */

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

/**
 * Identity of an entry: two entries with the same identity merge. Built by plain concatenation (the
 * allocator computes millions of these per cycle); JSON only for the rare nested parts (reservations, disk).
 */
function identity(e: ResourceEntry): string {
  let k = `${e.name}\u0000${e.kind}\u0000${e.revocable ? 1 : 0}${e.shared ? 1 : 0}`;
  if (e.reservations.length > 0) k += `\u0000${JSON.stringify(e.reservations)}`;
  if (e.disk !== undefined) k += `\u0002${JSON.stringify(e.disk)}`;
  // The allocation role comes last so that `allocate` can swap it without rebuilding the key.
  return `${k}\u0003${e.allocationRole ?? '\u0001'}`;
}

/** Copy of e allocated to role (explicit fields: much cheaper than an object spread on the hot path). */
function withAllocationRole(e: ResourceEntry, role: string): ResourceEntry {
  const o: { -readonly [K in keyof ResourceEntry]: ResourceEntry[K] } = { name: e.name, kind: e.kind, reservations: e.reservations, allocationRole: role };
  if (e.milli !== undefined) o.milli = e.milli;
  if (e.ranges !== undefined) o.ranges = e.ranges;
  if (e.items !== undefined) o.items = e.items;
  if (e.disk !== undefined) o.disk = e.disk;
  if (e.revocable !== undefined) o.revocable = e.revocable;
  if (e.shared !== undefined) o.shared = e.shared;
  return o;
}

/** Identity key of the same entry allocated to role. */
function withAllocationKey(key: string, role: string): string {
  return key.slice(0, key.lastIndexOf('\u0003') + 1) + role;
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

/** Bags up to this size are searched linearly; larger ones get a lazily built key index. */
const LINEAR_MAX = 8;

/**
 * An immutable bag of resources. All operations return new bags (or the same bag when nothing changes).
 * Internally: parallel arrays of entries and their identity keys, no empty entries, one entry per identity.
 */
export class Resources {
  static readonly EMPTY = new Resources([], []);
  private index: Map<string, number> | undefined;
  /** Last `allocate(role)` result (bags are immutable, so it stays valid). */
  private allocMemo: Resources | undefined;
  /** `unallocated()` of this bag, when known. */
  private unallocMemo: Resources | undefined;

  private constructor(
    private readonly list: readonly ResourceEntry[],
    private readonly keys: readonly string[],
  ) {}

  /** Builds a bag from entries (keys, when given, are their identities): drops empties, merges same identities. */
  private static build(entries: readonly ResourceEntry[], keys?: readonly string[]): Resources {
    const list: ResourceEntry[] = [];
    const ks: string[] = [];
    let index: Map<string, number> | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as ResourceEntry;
      if (isEmptyEntry(e)) continue;
      const k = keys?.[i] ?? identity(e);
      let at = -1;
      if (index !== undefined) at = index.get(k) ?? -1;
      else for (let j = 0; j < ks.length; j++) if (ks[j] === k) at = j;
      if (at >= 0) {
        list[at] = combine(list[at] as ResourceEntry, e, 1);
        continue;
      }
      list.push(e);
      ks.push(k);
      if (index !== undefined) index.set(k, ks.length - 1);
      else if (ks.length > LINEAR_MAX) index = new Map(ks.map((x, j) => [x, j]));
    }
    if (list.length === 0) return Resources.EMPTY;
    const r = new Resources(list, ks);
    r.index = index;
    return r;
  }

  /** Position of the entry with identity k, or -1. */
  private find(k: string): number {
    if (this.keys.length <= LINEAR_MAX) {
      for (let j = 0; j < this.keys.length; j++) if (this.keys[j] === k) return j;
      return -1;
    }
    this.index ??= new Map(this.keys.map((x, j) => [x, j]));
    return this.index.get(k) ?? -1;
  }

  static of(entries: readonly ResourceEntry[]): Resources {
    return Resources.build(entries);
  }

  static scalar(name: string, value: number, role = '*'): Resources {
    return Resources.build([{ name, kind: 'SCALAR', milli: toMilli(value), reservations: staticReservation(role) }]);
  }

  /** The entries (one per identity, none empty). Do not mutate. */
  get entries(): readonly ResourceEntry[] {
    return this.list;
  }

  isEmpty(): boolean {
    return this.list.length === 0;
  }

  plus(other: Resources): Resources {
    if (other.list.length === 0) return this;
    if (this.list.length === 0) return other;
    return Resources.build([...this.list, ...other.list], [...this.keys, ...other.keys]);
  }

  /** Removes other from this; what other has beyond this is ignored (clamped at zero). */
  minus(other: Resources): Resources {
    if (other.list.length === 0 || this.list.length === 0) return this;
    if (other === this) return Resources.EMPTY;
    const list = this.list.slice();
    let changed = false;
    for (let i = 0; i < other.list.length; i++) {
      const at = this.find(other.keys[i] as string);
      if (at < 0) continue;
      list[at] = combine(list[at] as ResourceEntry, other.list[i] as ResourceEntry, -1);
      changed = true;
    }
    if (!changed) return this;
    const keep: ResourceEntry[] = [];
    const ks: string[] = [];
    for (let j = 0; j < list.length; j++) {
      const e = list[j] as ResourceEntry;
      if (isEmptyEntry(e)) continue;
      keep.push(e);
      ks.push(this.keys[j] as string);
    }
    return keep.length === 0 ? Resources.EMPTY : new Resources(keep, ks);
  }

  /** True when every entry of other is covered by an entry with the same identity here. */
  contains(other: Resources): boolean {
    if (other === this) return true;
    for (let i = 0; i < other.list.length; i++) {
      const at = this.find(other.keys[i] as string);
      if (at < 0 || !entryContains(this.list[at] as ResourceEntry, other.list[i] as ResourceEntry)) return false;
    }
    return true;
  }

  equals(other: Resources): boolean {
    return other === this || (this.list.length === other.list.length && this.contains(other) && other.contains(this));
  }

  filter(pred: (e: ResourceEntry) => boolean): Resources {
    const list: ResourceEntry[] = [];
    const ks: string[] = [];
    for (let j = 0; j < this.list.length; j++) {
      const e = this.list[j] as ResourceEntry;
      if (!pred(e)) continue;
      list.push(e);
      ks.push(this.keys[j] as string);
    }
    if (list.length === this.list.length) return this;
    return list.length === 0 ? Resources.EMPTY : new Resources(list, ks);
  }

  map(fn: (e: ResourceEntry) => ResourceEntry): Resources {
    return Resources.build(this.list.map(fn));
  }

  /** Same resources marked as allocated to role. */
  allocate(role: string): Resources {
    if (this.list.length === 0) return this;
    const memo = this.allocMemo;
    if (memo !== undefined && memo.list[0]?.allocationRole === role) return memo;
    const first = this.list[0]?.allocationRole;
    let uniform = true;
    for (const e of this.list) {
      if (e.allocationRole !== first) {
        uniform = false;
        break;
      }
    }
    if (uniform && first === role) return this;
    if (!uniform) return this.map((e) => ({ ...e, allocationRole: role }));
    // One allocation role (or none) throughout: no two entries can merge, keys are rewritten in place.
    const list: ResourceEntry[] = new Array<ResourceEntry>(this.list.length);
    const ks: string[] = new Array<string>(this.list.length);
    for (let j = 0; j < this.list.length; j++) {
      list[j] = withAllocationRole(this.list[j] as ResourceEntry, role);
      ks[j] = withAllocationKey(this.keys[j] as string, role);
    }
    const out = new Resources(list, ks);
    if (first === undefined) out.unallocMemo = this;
    this.allocMemo = out;
    return out;
  }

  /** Same resources with no allocation role. */
  unallocated(): Resources {
    if (this.unallocMemo !== undefined) return this.unallocMemo;
    if (this.list.every((e) => e.allocationRole === undefined)) return this;
    const out = this.map((e) => {
      const { allocationRole: _drop, ...rest } = e;
      return rest;
    });
    this.unallocMemo = out;
    return out;
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
    for (const e of this.list) if (e.name === name && e.kind === 'SCALAR') milli += e.milli ?? 0;
    return fromMilli(milli);
  }

  /** All ranges of a ranges resource, merged. */
  ranges(name: string): Range[] {
    const all: Range[] = [];
    for (const e of this.list) if (e.name === name && e.kind === 'RANGES') all.push(...(e.ranges ?? []));
    return mergeRanges(all);
  }

  names(): string[] {
    return [...new Set(this.entries.map((e) => e.name))].sort();
  }

  /** Scalar quantities by name (used by DRF and metrics). */
  quantities(): Map<string, number> {
    const q = new Map<string, number>();
    for (const e of this.list) {
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
    for (const e of this.list) {
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
    return this.list
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

// Parsing (wire JSON and the agent `--resources` text) lives in resources-parse.ts; re-exported here so
// callers keep one import.
export { fromWire, parseResources, wireToEntry } from './resources-parse.js';
