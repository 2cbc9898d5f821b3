/**
 * Request body → typed app body: malformed JSON is a 400 with the parser's message, shape errors (wrong
 * type, missing required id) a 422 `Invalid JSON` with Play-JSON style keys at Marathon paths (`/a(0)/b`).
 */
import type { TSchema, Static } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { invalidJson, shapeError, groupDetails } from '../api/errors.js';

/** Parses text as JSON or throws the 400 `Invalid JSON` ApiError. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e: unknown) {
    throw invalidJson(e instanceof Error ? e.message : String(e));
  }
}

/** `/healthChecks/0/portIndex` → `/healthChecks(0)/portIndex`. */
export function marathonPath(pointer: string): string {
  if (pointer === '') return '/';
  return pointer.replace(/\/(\d+)(?=\/|$)/g, '($1)');
}

function playKey(e: ValueError): string {
  const s = e.schema as { type?: string; anyOf?: { type?: string }[] };
  if (e.value === undefined) return 'error.path.missing';
  const type = s.type ?? s.anyOf?.find((x) => x.type !== 'null')?.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 'error.expected.jsnumber';
    case 'string':
      return 'error.expected.jsstring';
    case 'array':
      return 'error.expected.jsarray';
    case 'boolean':
      return 'error.expected.jsboolean';
    default:
      return 'error.expected.jsobject';
  }
}

/** Checks `value` against `schema`; throws 422 `Invalid JSON` listing every shape error by path. */
export function checkShape<S extends TSchema>(schema: S, value: unknown): Static<S> {
  if (Value.Check(schema, value)) return value;
  const seen = new Set<string>();
  const list: { path: string; error: string }[] = [];
  for (const e of Value.Errors(schema, value)) {
    // A union reports its members' errors too; keep the first (outermost) one per path.
    if (seen.has(e.path)) continue;
    seen.add(e.path);
    list.push({ path: marathonPath(e.path), error: playKey(e) });
  }
  throw shapeError(groupDetails(list));
}
