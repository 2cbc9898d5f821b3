/**
 * The tolerant reader for job bodies (spec §3.1, §3.5): JSON → a normalised JobJson with defaults applied,
 * or a JobsError(400) with a short message. Graph checks (parents exist, no cycle) need the other jobs and
 * live in graph.ts; this file checks one body on its own.
 */
import { Value } from '@sinclair/typebox/value';
import { JobInput, type EnvVarJson, type FetchEntryJson, type JobDefaults, type JobInputJson, type JobJson } from './job-schema.js';
import { badRequest } from './errors.js';
import { constraintError, knownOperatorConstraints } from '../engine/constraints.js';
import { formatSchedule, parseEpsilon, parseSchedule, ScheduleError } from '../schedule/iso8601.js';

/** Upstream's name rule, applied on every write (spec §3.5). */
export const JOB_NAME_RE = /^[\w.-]+$/;

export type JobKind = 'scheduled' | 'dependent';

/** Parses and normalises a job body posted to `/iso8601` (scheduled) or `/dependency` (dependent). */
export function parseJobBody(text: string, kind: JobKind, defaults: JobDefaults, now: number): JobJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e: unknown) {
    throw badRequest(`Malformed JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('Expected a JSON object describing a job');
  if (!Value.Check(JobInput, raw)) {
    const first = Value.Errors(JobInput, raw).First();
    throw badRequest(`Invalid job: ${first ? `${first.path} ${first.message}` : 'malformed'}`);
  }
  return normaliseJob(raw, kind, defaults, now);
}

/** Applies defaults and the single-body validation rules to an already shape-checked input. */
export function normaliseJob(input: JobInputJson, kind: JobKind, defaults: JobDefaults, now: number): JobJson {
  const name = str(input.name);
  if (name === '') throw badRequest("Job name is required");
  if (!JOB_NAME_RE.test(name)) throw badRequest(`Job name '${name}' must match [\\w.-]+`);
  const hasParents = input.parents !== undefined && input.parents !== null;
  const hasSchedule = input.schedule !== undefined && input.schedule !== null;
  if (hasParents && hasSchedule) throw badRequest(`Job '${name}' has both a schedule and parents; a job is either scheduled or dependent`);
  const uris = input.uris ?? [];
  const fetch = (input.fetch ?? []).map((f, i) => fetchEntry(f, i));
  if (uris.length > 0 && fetch.length > 0) throw badRequest('Tried to specify both uris (deprecated) and fetch');
  const constraints = knownOperatorConstraints(input.constraints ?? []);
  const badConstraint = constraintError(constraints);
  if (badConstraint !== undefined) throw badRequest(badConstraint);
  const job: JobJson = {
    name,
    command: str(input.command),
    shell: bool(input.shell, true, 'shell'),
    executor: str(input.executor),
    executorFlags: str(input.executorFlags),
    taskInfoData: str(input.taskInfoData),
    retries: int(input.retries, 2, 'retries'),
    owner: str(input.owner),
    ownerName: str(input.ownerName),
    description: str(input.description),
    successCount: int(input.successCount, 0, 'successCount'),
    errorCount: int(input.errorCount, 0, 'errorCount'),
    lastSuccess: str(input.lastSuccess),
    lastError: str(input.lastError),
    cpus: positive(input.cpus, defaults.cpus, 'cpus'),
    disk: positive(input.disk, defaults.disk, 'disk'),
    mem: positive(input.mem, defaults.mem, 'mem'),
    disabled: bool(input.disabled, false, 'disabled'),
    softError: bool(input.softError, false, 'softError'),
    dataProcessingJobType: bool(input.dataProcessingJobType, false, 'dataProcessingJobType'),
    errorsSinceLastSuccess: int(input.errorsSinceLastSuccess, 0, 'errorsSinceLastSuccess'),
    fetch,
    uris: [...uris],
    environmentVariables: (input.environmentVariables ?? []).map((e, i) => envVar(e, i)),
    arguments: [...(input.arguments ?? [])],
    highPriority: bool(input.highPriority, false, 'highPriority'),
    runAsUser: str(input.runAsUser) || defaults.user,
    concurrent: bool(input.concurrent, false, 'concurrent'),
    maxCompletionTime: int(input.maxCompletionTime, 0, 'maxCompletionTime'),
    // Upstream's key order (spec §3.4): container sits between maxCompletionTime and constraints.
    ...(input.container !== undefined && input.container !== null ? { container: input.container } : {}),
    constraints,
  };
  if (input.epsilon !== undefined && input.epsilon !== null) {
    try {
      parseEpsilon(input.epsilon);
    } catch {
      throw badRequest(`Cannot parse epsilon '${input.epsilon}'`);
    }
    job.epsilon = input.epsilon;
  }
  if (input.async !== undefined && input.async !== null) job.async = bool(input.async, false, 'async');
  if (job.retries < 0) throw badRequest('retries must not be negative');
  if (kind === 'dependent') {
    const parents = [...new Set(input.parents ?? [])];
    if (parents.length === 0) throw badRequest(`Dependent job '${name}' needs at least one parent`);
    job.parents = parents;
    return job;
  }
  if (hasParents) throw badRequest(`Job '${name}' has parents; post it to /dependency`);
  const zoneId = str(input.scheduleTimeZone);
  // No schedule: run once now (v3's `R1/<now>/PT24H`).
  const text = hasSchedule ? str(input.schedule) : 'R1//PT24H';
  try {
    const s = parseSchedule(text, zoneId, now);
    // An empty start is frozen at submission so the anchor never moves (spec §4.1 evaluates it on every parse).
    job.schedule = text.split('/')[1] === '' ? formatSchedule(s.count, s.zone, s.startMs, s.period) : text;
  } catch (e: unknown) {
    if (e instanceof ScheduleError) throw badRequest(e.message);
    throw e;
  }
  job.scheduleTimeZone = zoneId;
  return job;
}

function str(v: string | null | undefined): string {
  return v ?? '';
}

function bool(v: boolean | string | null | undefined, dflt: boolean, field: string): boolean {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  if (v.toLowerCase() === 'true') return true;
  if (v.toLowerCase() === 'false') return false;
  throw badRequest(`${field} must be a boolean, got '${v}'`);
}

function num(v: number | string | null | undefined, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw badRequest(`${field} must be a number, got '${String(v)}'`);
  return n;
}

function int(v: number | string | null | undefined, dflt: number, field: string): number {
  const n = num(v, field);
  if (n === undefined) return dflt;
  if (!Number.isInteger(n)) throw badRequest(`${field} must be an integer, got '${String(v)}'`);
  return n;
}

/** 0 or absent → the server default (upstream). */
function positive(v: number | string | null | undefined, dflt: number, field: string): number {
  const n = num(v, field);
  if (n === undefined || n === 0) return dflt;
  if (n < 0) throw badRequest(`${field} must not be negative`);
  return n;
}

function fetchEntry(v: unknown, i: number): FetchEntryJson {
  if (typeof v !== 'object' || v === null) throw badRequest(`fetch[${i}] must be an object`);
  const o = v as Record<string, unknown>;
  if (typeof o.uri !== 'string') throw badRequest(`fetch[${i}].uri is required`);
  const b = (x: unknown, d: boolean, f: string): boolean => bool(typeof x === 'boolean' || typeof x === 'string' ? x : undefined, d, `fetch[${i}].${f}`);
  const out: FetchEntryJson = { uri: o.uri, executable: b(o.executable, false, 'executable'), cache: b(o.cache, false, 'cache'), extract: b(o.extract, true, 'extract') };
  if (typeof o.output_file === 'string' && o.output_file !== '') out.output_file = o.output_file;
  return out;
}

function envVar(v: unknown, i: number): EnvVarJson {
  if (typeof v !== 'object' || v === null) throw badRequest(`environmentVariables[${i}] must be an object`);
  const o = v as Record<string, unknown>;
  if (typeof o.name !== 'string' || typeof o.value !== 'string') throw badRequest(`environmentVariables[${i}] needs a name and a value`);
  return { name: o.name, value: o.value };
}
