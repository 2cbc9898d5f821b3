/**
 * Mesos-style daemon flags. Each daemon declares a table of FlagSpecs; the CLI turns it into options
 * (`--allocation_interval 1secs`), every flag can also come from `AGORA_<NAME>` in the environment,
 * and `/flags` prints the effective values as strings, as upstream does.
 */
import { invalid } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';

export type FlagType = 'string' | 'int' | 'number' | 'bool' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly help: string;
  /** Default in the flag's own text syntax (durations like `15secs`); undefined = unset. */
  readonly default?: string;
}

export type FlagValue = string | number | boolean;
/** Parsed flags: durations in ms, ints/numbers as numbers, bools as booleans. */
export type FlagValues = Readonly<Record<string, FlagValue | undefined>>;

export function envName(flag: string): string {
  return `AGORA_${flag.toUpperCase()}`;
}

export function parseFlagValue(spec: FlagSpec, text: string): FlagValue {
  switch (spec.type) {
    case 'string':
      return text;
    case 'int': {
      const n = Number(text);
      if (!Number.isInteger(n)) throw invalid(`Flag --${spec.name} expects an integer, got '${text}'`);
      return n;
    }
    case 'number': {
      const n = Number(text);
      if (!Number.isFinite(n)) throw invalid(`Flag --${spec.name} expects a number, got '${text}'`);
      return n;
    }
    case 'bool':
      if (text === 'true' || text === '1' || text === '') return true;
      if (text === 'false' || text === '0') return false;
      throw invalid(`Flag --${spec.name} expects true or false, got '${text}'`);
    case 'duration':
      try {
        return parseDuration(text);
      } catch {
        throw invalid(`Flag --${spec.name} expects a duration such as 5secs, got '${text}'`);
      }
  }
}

/**
 * Resolves flags: explicit values (from the command line) win over `AGORA_*` environment variables,
 * which win over defaults. Unknown explicit names are an error.
 */
export function resolveFlags(specs: readonly FlagSpec[], explicit: Readonly<Record<string, string | undefined>>, env: NodeJS.ProcessEnv = process.env): FlagValues {
  const known = new Set(specs.map((s) => s.name));
  for (const k of Object.keys(explicit)) if (!known.has(k) && explicit[k] !== undefined) throw invalid(`Unknown flag --${k}`);
  const out: Record<string, FlagValue | undefined> = {};
  for (const spec of specs) {
    const text = explicit[spec.name] ?? env[envName(spec.name)] ?? spec.default;
    out[spec.name] = text === undefined ? undefined : parseFlagValue(spec, text);
  }
  return out;
}

/** `/flags` body: every set flag as its string form. */
export function flagsForDisplay(specs: readonly FlagSpec[], values: FlagValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const v = values[spec.name];
    if (v === undefined) continue;
    out[spec.name] = spec.type === 'duration' && typeof v === 'number' ? formatDuration(v) : String(v);
  }
  return out;
}

/** Typed accessors that fail loudly when a required flag is missing. */
export function str(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return v === undefined ? undefined : String(v);
}
export function num(values: FlagValues, name: string): number | undefined {
  const v = values[name];
  return typeof v === 'number' ? v : undefined;
}
export function bool(values: FlagValues, name: string): boolean {
  return values[name] === true;
}
