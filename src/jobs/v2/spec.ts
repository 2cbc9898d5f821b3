/**
 * The `/v2` (Metronome-style, spec §8.2–8.3) job and schedule specs: validation of client JSON into normalised
 * specs with Metronome's defaults, and the errors as 422 `{message:"Object is not valid", details:[{path,
 * errors}]}`. Every problem of a body is reported at once, with a JSON-pointer path like Metronome's.
 */
import { parseCron, CronError } from '../schedule/cron.js';
import { resolveZone } from '../schedule/zone.js';

export type ConcurrencyPolicy = 'ALLOW' | 'FORBID' | 'REPLACE';
export type CatchUpPolicy = 'SKIP' | 'RUN_ONCE' | 'BACKFILL';
export type RestartPolicy = 'NEVER' | 'ON_FAILURE';

export interface V2ScheduleSpec {
  readonly id: string;
  readonly cron: string;
  readonly timezone: string;
  readonly startingDeadlineSeconds: number;
  readonly concurrencyPolicy: ConcurrencyPolicy;
  readonly enabled: boolean;
  /** Beyond Metronome: what happens to occurrences missed while the scheduler was down (default SKIP). */
  readonly catchUp: CatchUpPolicy;
  /** BACKFILL runs at most this many missed occurrences (the newest); the rest are recorded MISSED. */
  readonly catchUpLimit: number;
}

export interface V2RunSpec {
  readonly cmd?: string;
  readonly args?: readonly string[];
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly gpus: number;
  readonly user?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly maxLaunchDelay: number;
  readonly taskKillGracePeriodSeconds?: number;
  readonly restart: { readonly policy: RestartPolicy; readonly activeDeadlineSeconds?: number };
  /** Metronome placement (spec §8.2): every constraint must hold on the offer (src/jobs/engine/constraints.ts). */
  readonly placement?: { readonly constraints: readonly V2Constraint[] };
}

export interface V2Constraint {
  readonly attribute: string;
  readonly operator: 'IS' | 'EQ' | 'LIKE' | 'UNLIKE';
  readonly value: string;
}

export interface V2JobSpec {
  readonly id: string;
  readonly description?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly run: V2RunSpec;
  /** Jobs that must all succeed (since this job's last trigger) before it runs; exclusive with schedules. */
  readonly dependencies?: readonly { readonly id: string }[];
}

export interface V2ErrorDetail {
  readonly path: string;
  readonly errors: readonly string[];
}

/** An error of the /v2 API: `{message}` plus `details` for 422. */
export class V2Error extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422 | 500,
    message: string,
    readonly details?: readonly V2ErrorDetail[],
  ) {
    super(message);
    this.name = 'V2Error';
  }

  body(): { message: string; details?: readonly V2ErrorDetail[] } {
    return this.details === undefined ? { message: this.message } : { message: this.message, details: this.details };
  }
}

export const JOB_ID_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
export const SCHEDULE_ID_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
export const DEFAULT_CATCH_UP_LIMIT = 10;
/** Metronome run fields we cannot honour yet: refused (422) rather than silently ignored. Empty values pass. */
const UNSUPPORTED_RUN_KEYS = ['docker', 'ucr', 'secrets', 'volumes', 'networks', 'artifacts'] as const;

/** Collects problems by path; `done` throws the 422 when there are any. */
class Problems {
  private readonly byPath = new Map<string, string[]>();
  add(path: string, error: string): undefined {
    this.byPath.set(path, [...(this.byPath.get(path) ?? []), error]);
    return undefined;
  }
  done(): void {
    if (this.byPath.size === 0) return;
    throw new V2Error(422, 'Object is not valid', [...this.byPath].map(([path, errors]) => ({ path, errors })));
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a request body as a JSON object; malformed JSON → 400 like Metronome's invalid-JSON answer. */
export function parseBody(text: string): Obj {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e: unknown) {
    throw new V2Error(400, `Invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObj(v)) throw new V2Error(422, 'Object is not valid', [{ path: '/', errors: ['expected a JSON object'] }]);
  return v;
}

function num(p: Problems, o: Obj, key: string, path: string, dflt: number, min: number): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) return p.add(`${path}/${key}`, 'error.expected.jsnumber') ?? dflt;
  if (v < min) return p.add(`${path}/${key}`, `error.min: must be >= ${min}`) ?? dflt;
  return v;
}

function optStr(p: Problems, o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return p.add(`${path}/${key}`, 'error.expected.jsstring');
  return v;
}

function strMap(p: Problems, v: unknown, path: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) return p.add(path, 'error.expected.jsobject') ?? {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = x;
    else if (isObj(x) && 'secret' in x) p.add(`${path}/${k}`, 'secrets are not supported by agora jobs');
    else p.add(`${path}/${k}`, 'error.expected.jsstring');
  }
  return out;
}

function oneOf<T extends string>(p: Problems, o: Obj, key: string, path: string, allowed: readonly T[], dflt: T): T {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  return p.add(`${path}/${key}`, `error.expected.one.of: ${allowed.join(', ')}`) ?? dflt;
}

/** Validates a job body (POST/PUT `/v2/jobs[/{id}]`); `schedules` in it are returned too (at most one). */
export function parseJobSpec(o: Obj, idFromPath?: string): { job: V2JobSpec; schedules?: V2ScheduleSpec[] } {
  const p = new Problems();
  const id = optStr(p, o, 'id', '') ?? idFromPath ?? '';
  if (!JOB_ID_RE.test(id)) p.add('/id', 'error.pattern: dot-separated segments of [a-z0-9-], starting and ending with [a-z0-9]');
  if (idFromPath !== undefined && id !== idFromPath) p.add('/id', `must match the path id '${idFromPath}'`);
  const runRaw = o.run;
  let run: V2RunSpec = { cpus: 1, mem: 128, disk: 0, gpus: 0, env: {}, maxLaunchDelay: 3600, restart: { policy: 'NEVER' } };
  if (!isObj(runRaw)) p.add('/run', 'error.path.missing');
  else run = parseRun(p, runRaw);
  const dependencies = parseDependencies(p, o.dependencies, id);
  let schedules: V2ScheduleSpec[] | undefined;
  if (o.schedules !== undefined && o.schedules !== null) {
    if (!Array.isArray(o.schedules)) p.add('/schedules', 'error.expected.jsarray');
    else if (o.schedules.length > 1) p.add('/schedules', 'at most one schedule is supported');
    else schedules = o.schedules.map((s: unknown, i) => parseScheduleWith(p, s, `/schedules(${i})`));
  }
  if (dependencies !== undefined && (schedules ?? []).length > 0) p.add('/dependencies', 'schedules and dependencies are mutually exclusive');
  const description = optStr(p, o, 'description', '');
  const labels = strMap(p, o.labels, '/labels');
  p.done();
  return { job: { id, ...(description !== undefined ? { description } : {}), labels, run, ...(dependencies !== undefined ? { dependencies } : {}) }, ...(schedules !== undefined ? { schedules } : {}) };
}

/** `dependencies: [{id}]`: valid, unique ids, not the job itself (existence and cycles: V2Service). */
function parseDependencies(p: Problems, v: unknown, self: string): V2JobSpec['dependencies'] {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return p.add('/dependencies', 'error.expected.jsarray');
  const ids: string[] = [];
  v.forEach((d: unknown, i) => {
    const id = isObj(d) && typeof d.id === 'string' ? d.id : undefined;
    if (id === undefined || !JOB_ID_RE.test(id)) p.add(`/dependencies(${i})/id`, 'error.pattern: a job id');
    else if (id === self) p.add(`/dependencies(${i})/id`, 'a job cannot depend on itself');
    else if (ids.includes(id)) p.add(`/dependencies(${i})/id`, `duplicate dependency '${id}'`);
    else ids.push(id);
  });
  return ids.length > 0 ? ids.map((id) => ({ id })) : undefined;
}

function parseRun(p: Problems, r: Obj): V2RunSpec {
  const cmd = optStr(p, r, 'cmd', '/run');
  let args: string[] | undefined;
  if (r.args !== undefined && r.args !== null) {
    if (!Array.isArray(r.args) || !r.args.every((a) => typeof a === 'string') || r.args.length === 0) p.add('/run/args', 'error.expected.non-empty string array');
    else args = r.args;
  }
  if (cmd === undefined && args === undefined) p.add('/run', 'one of cmd or args is required (docker and ucr are not supported yet)');
  if (cmd !== undefined && args !== undefined) p.add('/run', 'cmd and args are exclusive');
  const restartRaw = r.restart;
  let restart: V2RunSpec['restart'] = { policy: 'NEVER' };
  if (restartRaw !== undefined && restartRaw !== null) {
    if (!isObj(restartRaw)) p.add('/run/restart', 'error.expected.jsobject');
    else {
      const policy = oneOf(p, restartRaw, 'policy', '/run/restart', ['NEVER', 'ON_FAILURE'] as const, 'NEVER');
      const ads = restartRaw.activeDeadlineSeconds;
      restart = ads === undefined || ads === null ? { policy } : { policy, activeDeadlineSeconds: num(p, restartRaw, 'activeDeadlineSeconds', '/run/restart', 0, 1) };
    }
  }
  for (const key of UNSUPPORTED_RUN_KEYS) {
    const v = r[key];
    const empty = v === undefined || v === null || (Array.isArray(v) && v.length === 0);
    if (!empty) p.add(`/run/${key}`, `${key} is not supported by agora jobs yet`);
  }
  const user = optStr(p, r, 'user', '/run');
  const grace = r.taskKillGracePeriodSeconds;
  const placement = parsePlacement(p, r.placement);
  return {
    ...(cmd !== undefined ? { cmd } : {}),
    ...(args !== undefined ? { args } : {}),
    cpus: num(p, r, 'cpus', '/run', 1, 0.01),
    mem: num(p, r, 'mem', '/run', 128, 32),
    disk: num(p, r, 'disk', '/run', 0, 0),
    gpus: num(p, r, 'gpus', '/run', 0, 0),
    ...(user !== undefined ? { user } : {}),
    env: strMap(p, r.env, '/run/env'),
    maxLaunchDelay: num(p, r, 'maxLaunchDelay', '/run', 3600, 1),
    ...(grace !== undefined && grace !== null ? { taskKillGracePeriodSeconds: num(p, r, 'taskKillGracePeriodSeconds', '/run', 0, 0) } : {}),
    restart,
    ...(placement !== undefined ? { placement } : {}),
  };
}

/** `run.placement`: `{constraints: [{attribute, operator IS|EQ|LIKE|UNLIKE, value}]}`; regexes must compile. */
function parsePlacement(p: Problems, v: unknown): V2RunSpec['placement'] {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) return p.add('/run/placement', 'error.expected.jsobject');
  const list = v.constraints ?? [];
  if (!Array.isArray(list)) return p.add('/run/placement/constraints', 'error.expected.jsarray');
  const out: V2Constraint[] = [];
  list.forEach((c: unknown, i) => {
    const path = `/run/placement/constraints(${i})`;
    if (!isObj(c)) return p.add(path, 'error.expected.jsobject');
    const attribute = optStr(p, c, 'attribute', path);
    const value = optStr(p, c, 'value', path) ?? '';
    const operator = oneOf(p, c, 'operator', path, ['IS', 'EQ', 'LIKE', 'UNLIKE'] as const, 'IS');
    if (attribute === undefined || attribute === '') return p.add(`${path}/attribute`, 'error.path.missing');
    if (operator === 'LIKE' || operator === 'UNLIKE') {
      try {
        new RegExp(value);
      } catch {
        return p.add(`${path}/value`, `invalid regular expression '${value}'`);
      }
    }
    out.push({ attribute, operator, value });
    return undefined;
  });
  return out.length > 0 ? { constraints: out } : undefined;
}

/** Validates a schedule body (POST/PUT `/v2/jobs/{id}/schedules[/{sid}]`). */
export function parseScheduleSpec(v: unknown, idFromPath?: string): V2ScheduleSpec {
  const p = new Problems();
  const s = parseScheduleWith(p, v, '', idFromPath);
  p.done();
  return s;
}

function parseScheduleWith(p: Problems, v: unknown, path: string, idFromPath?: string): V2ScheduleSpec {
  const o = isObj(v) ? v : (p.add(path === '' ? '/' : path, 'error.expected.jsobject') ?? {});
  const id = optStr(p, o, 'id', path) ?? idFromPath ?? '';
  if (!SCHEDULE_ID_RE.test(id)) p.add(`${path}/id`, 'error.pattern: [a-z0-9][a-z0-9-]*[a-z0-9]');
  if (idFromPath !== undefined && id !== idFromPath) p.add(`${path}/id`, `must match the path id '${idFromPath}'`);
  const cron = optStr(p, o, 'cron', path);
  if (cron === undefined) p.add(`${path}/cron`, 'error.path.missing');
  else {
    try {
      parseCron(cron);
    } catch (e: unknown) {
      if (!(e instanceof CronError)) throw e;
      p.add(`${path}/cron`, e.message);
    }
  }
  const timezone = optStr(p, o, 'timezone', path) ?? 'UTC';
  if (resolveZone(timezone) === undefined) p.add(`${path}/timezone`, `unknown time zone '${timezone}' (use an IANA id)`);
  const enabled = o.enabled;
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') p.add(`${path}/enabled`, 'error.expected.jsboolean');
  const catchUpLimit = num(p, o, 'catchUpLimit', path, DEFAULT_CATCH_UP_LIMIT, 1);
  if (!Number.isInteger(catchUpLimit)) p.add(`${path}/catchUpLimit`, 'error.expected.integer');
  return {
    id,
    cron: cron ?? '',
    timezone,
    startingDeadlineSeconds: num(p, o, 'startingDeadlineSeconds', path, 900, 60),
    concurrencyPolicy: oneOf(p, o, 'concurrencyPolicy', path, ['ALLOW', 'FORBID', 'REPLACE'] as const, 'ALLOW'),
    enabled: enabled !== false,
    catchUp: oneOf(p, o, 'catchUp', path, ['SKIP', 'RUN_ONCE', 'BACKFILL'] as const, 'SKIP'),
    catchUpLimit,
  };
}
