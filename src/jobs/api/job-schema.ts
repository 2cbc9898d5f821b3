/**
 * The Chronos job JSON (spec §3) as TypeBox schemas. `JobInput` is the tolerant reader's view (numbers and
 * booleans may arrive as strings, null means absent, unknown keys are ignored); `Job` is the normalised form
 * we store and serve, with every upstream default applied (§3.2) and keys in upstream's order (§3.4).
 */
import { Type as T, type Static, type TSchema } from '@sinclair/typebox';

const Num = T.Union([T.Number(), T.String(), T.Null()]);
const Bool = T.Union([T.Boolean(), T.String(), T.Null()]);
const Str = T.Union([T.String(), T.Null()]);
const Opt = <S extends TSchema>(s: S) => T.Optional(s);

export const FetchEntry = T.Object({
  uri: T.String(),
  executable: T.Boolean(),
  cache: T.Boolean(),
  extract: T.Boolean(),
  output_file: Opt(T.String()),
});
export type FetchEntryJson = Static<typeof FetchEntry>;

export const EnvVar = T.Object({ name: T.String(), value: T.String() });
export type EnvVarJson = Static<typeof EnvVar>;

/** What a client may POST to `/iso8601` or `/dependency`. */
export const JobInput = T.Object({
  name: Opt(Str),
  command: Opt(Str),
  shell: Opt(Bool),
  executor: Opt(Str),
  executorFlags: Opt(Str),
  taskInfoData: Opt(Str),
  retries: Opt(Num),
  owner: Opt(Str),
  ownerName: Opt(Str),
  description: Opt(Str),
  successCount: Opt(Num),
  errorCount: Opt(Num),
  lastSuccess: Opt(Str),
  lastError: Opt(Str),
  cpus: Opt(Num),
  disk: Opt(Num),
  mem: Opt(Num),
  disabled: Opt(Bool),
  softError: Opt(Bool),
  dataProcessingJobType: Opt(Bool),
  errorsSinceLastSuccess: Opt(Num),
  fetch: Opt(T.Union([T.Array(T.Unknown()), T.Null()])),
  uris: Opt(T.Union([T.Array(T.String()), T.Null()])),
  environmentVariables: Opt(T.Union([T.Array(T.Unknown()), T.Null()])),
  arguments: Opt(T.Union([T.Array(T.String()), T.Null()])),
  highPriority: Opt(Bool),
  runAsUser: Opt(Str),
  concurrent: Opt(Bool),
  maxCompletionTime: Opt(Num),
  container: Opt(T.Unknown()),
  constraints: Opt(T.Union([T.Array(T.Array(T.String())), T.Null()])),
  parents: Opt(T.Union([T.Array(T.String()), T.Null()])),
  schedule: Opt(Str),
  scheduleTimeZone: Opt(Str),
  epsilon: Opt(Str),
  async: Opt(Bool),
});
export type JobInputJson = Static<typeof JobInput>;

/** The stored and served job (spec §3.4). Exactly one of `schedule` and `parents` is set. */
export const Job = T.Object({
  name: T.String(),
  command: T.String(),
  shell: T.Boolean(),
  executor: T.String(),
  executorFlags: T.String(),
  taskInfoData: T.String(),
  retries: T.Integer(),
  owner: T.String(),
  ownerName: T.String(),
  description: T.String(),
  successCount: T.Integer(),
  errorCount: T.Integer(),
  lastSuccess: T.String(),
  lastError: T.String(),
  cpus: T.Number(),
  disk: T.Number(),
  mem: T.Number(),
  disabled: T.Boolean(),
  softError: T.Boolean(),
  dataProcessingJobType: T.Boolean(),
  errorsSinceLastSuccess: T.Integer(),
  fetch: T.Array(FetchEntry),
  uris: T.Array(T.String()),
  environmentVariables: T.Array(EnvVar),
  arguments: T.Array(T.String()),
  highPriority: T.Boolean(),
  runAsUser: T.String(),
  concurrent: T.Boolean(),
  maxCompletionTime: T.Integer(),
  container: Opt(T.Unknown()),
  constraints: T.Array(T.Array(T.String())),
  parents: Opt(T.Array(T.String())),
  schedule: Opt(T.String()),
  scheduleTimeZone: Opt(T.String()),
  epsilon: Opt(T.String()),
  async: Opt(T.Boolean()),
});
export type JobJson = Static<typeof Job>;

/** Server defaults filled in at parse time (flags `--mesos_task_cpu` etc., spec §3.2 and §7.3). */
export interface JobDefaults {
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly user: string;
}

export const DEFAULT_JOB_DEFAULTS: JobDefaults = { cpus: 0.1, mem: 128, disk: 256, user: 'root' };
