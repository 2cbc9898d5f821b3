/**
 * RESERVE, UNRESERVE, CREATE and DESTROY (spec §2.5, §3.2): validation and conversion of resources. Pure:
 * each operation turns a bag into another (what it consumes is replaced by what it produces), and the
 * same code serves offer operations (against the pooled offered resources, with allocation roles) and the
 * operator endpoints (against an agent's free resources, without allocation roles).
 */
import { fromWire, Resources, reservationRole, type ResourceEntry, type WireResource } from '../core/resources.js';

/** One resource conversion: `consumed` is replaced by `produced` (same quantities, new reservation or disk). */
export interface Conversion {
  readonly consumed: Resources;
  readonly produced: Resources;
}

/** What a conversion is checked against. */
export interface ConversionContext {
  /** Principal of the framework or operator; when set, reservations and volumes must carry it. */
  readonly principal?: string | undefined;
  /** Allocation role of the offer (offer operations only): reservations must be for it. */
  readonly allocationRole?: string | undefined;
  /** The agent's total resources: persistence ids must be unique per role among them. */
  readonly agentTotal: Resources;
  /** Persistence ids ("role\u0000id") of volumes used by live tasks on the agent. */
  readonly volumesInUse: ReadonlySet<string>;
}

export type ConversionVerdict = { ok: true; conversion: Conversion } | { ok: false; message: string };

export type ConversionKind = 'RESERVE' | 'UNRESERVE' | 'CREATE' | 'DESTROY';

interface DiskJson {
  persistence?: { id?: string; principal?: string };
  volume?: { container_path?: string; mode?: string };
  source?: unknown;
}

function diskOf(e: ResourceEntry): DiskJson | undefined {
  return typeof e.disk === 'object' && e.disk !== null ? (e.disk) : undefined;
}

/** Persistence id of a volume entry, if it is one. */
export function persistenceId(e: ResourceEntry): string | undefined {
  return diskOf(e)?.persistence?.id;
}

/** Key of a volume for the in-use and uniqueness checks: role and persistence id. */
export function volumeKey(role: string, id: string): string {
  return `${role}\u0000${id}`;
}

/** Volume keys of every persistent volume in a bag. */
export function volumeKeys(res: Resources): Set<string> {
  const out = new Set<string>();
  for (const e of res.entries) {
    const id = persistenceId(e);
    if (id !== undefined) out.add(volumeKey(reservationRole(e), id));
  }
  return out;
}

function withoutLastReservation(e: ResourceEntry): ResourceEntry {
  return { ...e, reservations: e.reservations.slice(0, -1) };
}

function withoutVolume(e: ResourceEntry): ResourceEntry {
  const d = diskOf(e);
  const { disk: _drop, ...rest } = e;
  return d?.source !== undefined ? { ...rest, disk: { source: d.source } } : rest;
}

function parse(wire: readonly unknown[] | undefined): Resources | string {
  try {
    return fromWire((wire ?? []) as WireResource[]);
  } catch (e: unknown) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Validates one operation's resources and computes its conversion (spec §2.5). */
export function convert(kind: ConversionKind, wire: readonly unknown[] | undefined, ctx: ConversionContext, source?: readonly unknown[]): ConversionVerdict {
  const parsed = parse(wire);
  if (typeof parsed === 'string') return { ok: false, message: `Invalid resources: ${parsed}` };
  if (parsed.isEmpty()) return { ok: false, message: `Invalid ${kind} operation: no resources specified` };
  const fail = (message: string): ConversionVerdict => ({ ok: false, message });
  const entries = parsed.entries;
  switch (kind) {
    case 'RESERVE': {
      for (const e of entries) {
        const last = e.reservations[e.reservations.length - 1];
        if (last === undefined) return fail(`Invalid reservation: resource ${Resources.of([e]).toString()} must be reserved`);
        if (last.type !== 'DYNAMIC') return fail('Invalid reservation: a dynamic reservation is required');
        if (last.role === '*') return fail("Invalid reservation: role '*' cannot be reserved for");
        if (ctx.allocationRole !== undefined && last.role !== ctx.allocationRole && !last.role.startsWith(`${ctx.allocationRole}/`)) {
          return fail(
            `A reserve operation was attempted for a resource allocated to role '${ctx.allocationRole}', but the requested reservation was for role '${last.role}'`,
          );
        }
        if (ctx.principal !== undefined && last.principal !== ctx.principal) {
          return fail(`A reserve operation was attempted by principal '${ctx.principal}', but there is a reserved resource in the request with principal '${last.principal ?? ''}' set in 'ReservationInfo'`);
        }
        if (persistenceId(e) !== undefined) return fail('Invalid reservation: persistent volumes cannot be reserved');
      }
      if (source !== undefined && source.length > 0) {
        // Re-reservation: `source` (as currently reserved) becomes `resources`; same quantities (spec §2.5).
        const from = parse(source);
        if (typeof from === 'string') return fail(`Invalid source resources: ${from}`);
        const bare = (r: Resources): Resources => r.unallocated().map((e) => ({ ...e, reservations: [] }));
        if (!bare(from).equals(bare(parsed))) return fail('Invalid reservation: source and resources must have the same quantities');
        return { ok: true, conversion: { consumed: from, produced: parsed } };
      }
      return { ok: true, conversion: { consumed: parsed.map(withoutLastReservation), produced: parsed } };
    }
    case 'UNRESERVE': {
      for (const e of entries) {
        const last = e.reservations[e.reservations.length - 1];
        if (last?.type !== 'DYNAMIC') return fail(`Resource ${Resources.of([e]).toString()} is not dynamically reserved`);
        if (persistenceId(e) !== undefined) return fail('A dynamically reserved persistent volume cannot be unreserved; destroy it first');
      }
      return { ok: true, conversion: { consumed: parsed, produced: parsed.map(withoutLastReservation) } };
    }
    case 'CREATE': {
      const existing = volumeKeys(ctx.agentTotal);
      const seen = new Set<string>();
      for (const e of entries) {
        const d = diskOf(e);
        const id = d?.persistence?.id;
        if (e.name !== 'disk' || id === undefined || id === '') return fail('Invalid persistent volume: a disk resource with disk.persistence.id is required');
        if (id.includes('/') || id.includes('\0') || id === '.' || id === '..') return fail(`Invalid persistence ID '${id}': it must be a plain directory name`);
        if (d?.volume?.container_path === undefined) return fail(`Invalid persistent volume '${id}': disk.volume.container_path is required`);
        const role = reservationRole(e);
        if (role === '*') return fail(`Persistent volume '${id}' cannot be created from unreserved resources`);
        const key = volumeKey(role, id);
        if (existing.has(key) || seen.has(key)) return fail(`Persistence ID '${id}' already exists`);
        seen.add(key);
        const p = d.persistence?.principal;
        if (ctx.principal !== undefined && p !== ctx.principal) {
          return fail(`Create from principal '${ctx.principal}' denied: persistent volume '${id}' has principal '${p ?? ''}'`);
        }
      }
      return { ok: true, conversion: { consumed: parsed.map(withoutVolume), produced: parsed } };
    }
    case 'DESTROY': {
      for (const e of entries) {
        const id = persistenceId(e);
        if (id === undefined) return fail('Invalid persistent volume: disk.persistence.id is required to destroy a volume');
        if (ctx.volumesInUse.has(volumeKey(reservationRole(e), id))) return fail(`Persistent volume '${id}' is in use by a task`);
      }
      return { ok: true, conversion: { consumed: parsed, produced: parsed.map(withoutVolume) } };
    }
  }
}

/**
 * Applies a conversion to a bag that must contain what it consumes. With `allocationRole`, both sides are
 * marked with it (offered resources carry one). Returns the new bag, or undefined when it lacks resources.
 */
export function applyConversion(bag: Resources, c: Conversion, allocationRole?: string): Resources | undefined {
  const consumed = allocationRole !== undefined ? c.consumed.unallocated().allocate(allocationRole) : c.consumed.unallocated();
  const produced = allocationRole !== undefined ? c.produced.unallocated().allocate(allocationRole) : c.produced.unallocated();
  if (!bag.contains(consumed)) return undefined;
  return bag.minus(consumed).plus(produced);
}
