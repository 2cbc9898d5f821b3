/**
 * Decodes JSON request bodies against a TypeBox schema with upstream's protobuf⇄JSON rules (stout):
 * `null` means unset, unknown keys are ignored, integers and doubles may be strings, a single value is
 * accepted for a repeated field, enums must be names (unknown names drop an optional field), bytes must be
 * base64, and missing required fields are reported together. The schema is the one source of truth.
 */
import type { OptionalKind} from '@sinclair/typebox';
import { Kind, type TSchema, type Static } from '@sinclair/typebox';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

type Json = unknown;

interface SchemaLike {
  [Kind]?: string;
  [OptionalKind]?: string;
  type?: string;
  properties?: Record<string, SchemaLike>;
  required?: string[];
  items?: SchemaLike;
  anyOf?: SchemaLike[];
  const?: unknown;
  patternProperties?: Record<string, SchemaLike>;
  format?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function isEnum(s: SchemaLike): s is SchemaLike & { anyOf: SchemaLike[] } {
  return Array.isArray(s.anyOf) && s.anyOf.length > 0 && s.anyOf.every((m) => typeof m.const === 'string');
}

function decodeValue(schema: SchemaLike, value: Json, path: string, missing: string[]): { ok: true; value: Json } | { ok: false } {
  if (isEnum(schema)) {
    if (typeof value !== 'string') throw new DecodeError(`Expected a string enum name for '${path}'`);
    if (!schema.anyOf.some((m) => m.const === value)) return { ok: false };
    return { ok: true, value };
  }
  const kind = schema[Kind];
  switch (kind) {
    case 'Unknown':
    case 'Any':
      return { ok: true, value };
    case 'Object':
      return { ok: true, value: decodeObject(schema, value, path, missing) };
    case 'Record': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError(`Expected a JSON object for '${path}'`);
      const inner = Object.values(schema.patternProperties ?? {})[0] ?? {};
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(value as Record<string, Json>)) {
        if (v === null) continue;
        const d = decodeValue(inner, v, `${path}.${k}`, missing);
        if (d.ok) out[k] = d.value;
      }
      return { ok: true, value: out };
    }
    case 'Array': {
      const items = Array.isArray(value) ? value : [value];
      const out: Json[] = [];
      items.forEach((item, i) => {
        if (item === null) return;
        const d = decodeValue(schema.items ?? {}, item, `${path}[${i}]`, missing);
        if (d.ok) out.push(d.value);
      });
      return { ok: true, value: out };
    }
    case 'String': {
      if (typeof value !== 'string') throw new DecodeError(`Expected a string for '${path}'`);
      if (schema.format === 'byte' && !BASE64.test(value)) throw new DecodeError(`Invalid base64 in '${path}'`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) {
        throw new DecodeError(`'${path}' is longer than ${schema.maxLength} characters`);
      }
      return { ok: true, value };
    }
    case 'Number':
    case 'Integer': {
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && value.trim() !== '') {
        n = value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : Number(value);
      } else throw new DecodeError(`Expected a number for '${path}'`);
      if (Number.isNaN(n)) throw new DecodeError(`Expected a number for '${path}'`);
      if (kind === 'Integer' && !Number.isInteger(n)) throw new DecodeError(`Expected an integer for '${path}'`);
      if (schema.minimum !== undefined && n < schema.minimum) throw new DecodeError(`'${path}' must be >= ${schema.minimum}`);
      return { ok: true, value: n };
    }
    case 'Boolean': {
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
      throw new DecodeError(`Expected a boolean for '${path}'`);
    }
    default:
      return { ok: true, value };
  }
}

function decodeObject(schema: SchemaLike, value: Json, path: string, missing: string[]): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DecodeError(`Expected a JSON object for '${path || 'body'}'`);
  }
  const src = value as Record<string, Json>;
  const out: Record<string, Json> = {};
  const props = schema.properties ?? {};
  for (const [name, prop] of Object.entries(props)) {
    const v = src[name];
    const fieldPath = path === '' ? name : `${path}.${name}`;
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && prop[Kind] !== 'Array' && prop[Kind] !== 'Unknown' && prop[Kind] !== 'Any') {
      throw new DecodeError(`Unexpected JSON array for non-repeated field '${fieldPath}'`);
    }
    const d = decodeValue(prop, v, fieldPath, missing);
    if (d.ok) out[name] = d.value;
  }
  for (const name of schema.required ?? []) {
    if (!(name in out)) missing.push(path === '' ? name : `${path}.${name}`);
  }
  return out;
}

/** Decodes value against schema, or throws DecodeError naming the problem. */
export function decode<S extends TSchema>(schema: S, value: unknown): Static<S> {
  const missing: string[] = [];
  const out = decodeObject(schema, value, '', missing);
  if (missing.length > 0) throw new DecodeError(`Missing required fields: ${missing.join(', ')}`);
  return out;
}

/** Parses a JSON text and decodes it; the error says which step failed, as upstream does. */
export function parseAndDecode<S extends TSchema>(schema: S, text: string, messageName: string): Static<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DecodeError(`Failed to parse body into JSON: ${(e as Error).message}`);
  }
  try {
    return decode(schema, json);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(`Failed to convert JSON into ${messageName} protobuf: ${e.message}`);
    throw e;
  }
}
