/**
 * Builds the Mesos TaskInfo of a job run (spec §6.1, §6.2): Chronos task id and name, the job's resources
 * taken from an offer, the command with the manual arguments, and the injected CHRONOS_* environment, which
 * the job's own variables cannot override.
 */
import type { CommandInfoJson, OfferJson, ResourceJson, TaskInfoJson } from '../../api/mesos/common.js';
import { fromWire, parseResources, type Resources, type WireResource } from '../../core/resources.js';
import { offerResources, taskResourcesFromOffer } from '../../scheduler/index.js';
import type { JobJson } from '../api/job-schema.js';
import { chronosTaskId, type RunRecord } from '../state/records.js';
import { offerMeets } from './constraints.js';

/** The task for `run` on `offer`, or undefined when the offer cannot hold the job's cpus/mem/disk. */
export function buildTask(job: JobJson, run: RunRecord, taskId: string, offer: OfferJson, role: string): TaskInfoJson | undefined {
  const resources = taskResourcesFromOffer(offer, wanted(job), role);
  return resources === undefined ? undefined : taskWith(job, run, taskId, offer, resources);
}

function taskWith(job: JobJson, run: RunRecord, taskId: string, offer: OfferJson, resources: ResourceJson[]): TaskInfoJson {
  const task: TaskInfoJson = {
    name: `ChronosTask:${job.name}`,
    task_id: { value: taskId },
    agent_id: offer.agent_id,
    resources,
    command: commandInfo(job, run, taskId, offer.hostname),
  };
  if (job.maxCompletionTime > 0) task.max_completion_time = { nanoseconds: job.maxCompletionTime * 1_000_000_000 };
  return task;
}

const wantCache = new Map<string, Resources>();

/** The job's cpus/mem/disk, parsed once per distinct shape (1,000 due jobs usually share a few). */
function wanted(job: JobJson): Resources {
  // /v2 jobs default to disk 0: a zero amount is not asked for at all.
  const text = ([['cpus', job.cpus], ['mem', job.mem], ['disk', job.disk]] as const).filter(([, v]) => v > 0).map(([k, v]) => `${k}:${v}`).join(';');
  let r = wantCache.get(text);
  if (r === undefined) {
    if (wantCache.size > 1000) wantCache.clear();
    wantCache.set(text, (r = parseResources(text)));
  }
  return r;
}

function commandInfo(job: JobJson, run: RunRecord, taskId: string, host: string): CommandInfoJson {
  const injected: Record<string, string> = {
    mesos_task_id: taskId,
    MESOS_TASK_ID: taskId,
    CHRONOS_JOB_OWNER: job.owner,
    CHRONOS_JOB_NAME: job.name,
    HOST: host,
    CHRONOS_RESOURCE_MEM: String(job.mem),
    CHRONOS_RESOURCE_CPU: String(job.cpus),
    CHRONOS_RESOURCE_DISK: String(job.disk),
    CHRONOS_JOB_RUN_TIME: String(run.dueAt),
    CHRONOS_JOB_RUN_ATTEMPT: String(run.attempt),
  };
  const variables = Object.entries(injected).map(([name, value]) => ({ name, value }));
  for (const v of job.environmentVariables) if (!(v.name in injected)) variables.push({ name: v.name, value: v.value });
  const uris = [...job.fetch.map((f) => ({ value: f.uri, executable: f.executable, extract: f.extract, cache: f.cache })), ...job.uris.map((u) => ({ value: u, extract: true }))];
  const base: CommandInfoJson = { environment: { variables }, ...(uris.length > 0 ? { uris } : {}), ...(job.runAsUser !== '' ? { user: job.runAsUser } : {}) };
  const extra = run.arguments.trim();
  if (job.shell) return { ...base, shell: true, value: extra === '' ? job.command : `${job.command} ${extra}` };
  // shell=false: argv = the job's arguments plus the manual arguments split on whitespace (spec §2.2 (8)).
  const argv = [...job.arguments, ...(extra === '' ? [] : extra.split(/\s+/))];
  return { ...base, shell: false, value: job.command, arguments: [job.command, ...argv] };
}

export interface PlannedLaunch {
  readonly run: RunRecord;
  readonly offer: OfferJson;
  readonly task: TaskInfoJson;
}

/**
 * Matches waiting runs (in priority order) to offers, packing as many tasks into each offer as it holds (the
 * offer's remaining resources shrink with each task placed), on offers that meet the job's placement
 * constraints (constraints.ts). A non-concurrent job gets at most one task and
 * none while one is launching or running: its runs wait (upstream drops them).
 */
export function planLaunches(runs: readonly RunRecord[], offers: readonly OfferJson[], jobOf: (name: string) => JobJson | undefined, busy: (name: string) => boolean, role: string): PlannedLaunch[] {
  const remaining = new Map(offers.map((o) => [o.id.value, o]));
  // Offers without reservations: a shape's pick is the same every time, so it is computed once per (offer,
  // shape) and the remainder is tracked as Resources (no wire round trip per task: 1,000 tasks in ~ms).
  const plainLeft = new Map(offers.filter(isPlain).map((o) => [o.id.value, offerResources(o)]));
  const picks = new Map<string, { wire: ResourceJson[]; r: Resources } | null>();
  const started = new Set<string>();
  const out: PlannedLaunch[] = [];
  for (const run of runs) {
    const job = jobOf(run.job);
    if (job === undefined || (!job.concurrent && (busy(run.job) || started.has(run.job)))) continue;
    for (const [id, offer] of remaining) {
      if (job.constraints.length > 0 && !offerMeets(job.constraints, offer)) continue;
      let task: TaskInfoJson | undefined;
      const left = plainLeft.get(id);
      if (left !== undefined) {
        const key = `${id}|${job.cpus}|${job.mem}|${job.disk}`;
        let pick = picks.get(key);
        if (pick === undefined) {
          const wire = taskResourcesFromOffer(offer, wanted(job), role);
          picks.set(key, (pick = wire === undefined ? null : { wire, r: fromWire(wire as WireResource[]) }));
        }
        if (pick === null || !left.contains(pick.r)) continue;
        task = taskWith(job, run, chronosTaskId(run), offer, pick.wire);
        plainLeft.set(id, left.minus(pick.r));
      } else {
        task = buildTask(job, run, chronosTaskId(run), offer, role);
        if (task === undefined) continue;
        remaining.set(id, shrink(offer, task));
      }
      started.add(run.job);
      out.push({ run, offer, task });
      break;
    }
  }
  return out;
}

/** No reservations, persistent volumes or pre-refinement roles other than `*` on any resource. */
function isPlain(offer: OfferJson): boolean {
  return offer.resources.every((r) => {
    if (typeof r !== 'object' || r === null) return false;
    const o = r as { reservations?: unknown[]; reservation?: unknown; disk?: unknown; role?: string };
    return (o.reservations ?? []).length === 0 && o.reservation === undefined && o.disk === undefined && (o.role ?? '*') === '*';
  });
}

/** The offer minus what the task takes, written in the offer's own resource format. */
function shrink(offer: OfferJson, task: TaskInfoJson): OfferJson {
  const left = offerResources(offer).minus(fromWire((task.resources ?? []) as WireResource[]));
  const post = offer.resources.some((r) => typeof r === 'object' && r !== null && 'reservations' in r);
  return { ...offer, resources: left.toWire(post ? 'post' : 'pre', offer.allocation_info !== undefined || offer.resources.some((r) => typeof r === 'object' && r !== null && 'allocation_info' in r)) };
}

/** Planned launches grouped by offer: each offer is accepted once with all of its tasks. */
export function byOffer(plan: readonly PlannedLaunch[]): PlannedLaunch[][] {
  const groups = new Map<string, PlannedLaunch[]>();
  for (const p of plan) {
    const g = groups.get(p.offer.id.value);
    // Appended in place: copying the group per task made a 1,000-task offer quadratic.
    if (g === undefined) groups.set(p.offer.id.value, [p]);
    else g.push(p);
  }
  return [...groups.values()];
}
