/**
 * TaskChecks: the agent's built-in-executor side of TaskInfo.health_check and TaskInfo.check, for every
 * task the agent runs itself (command tasks; task-group tasks under the default executor). The agent
 * calls start() when a task reaches TASK_RUNNING and stop() when it is being killed or has ended; results
 * come back through `update` (a same-state update carrying `healthy` / `check_status` and the reason) and
 * `kill` (health check failed `consecutive_failures` times past the grace period). decorate() adds what
 * upstream's command executor puts on every update it makes from scratch: an empty `check_status` of the
 * check's type, and `healthy: false` on the terminal update of a task killed for failing its health check.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import { isTerminalState, type CheckStatusInfoJson, type ReasonName, type TaskInfoJson, type TaskStatusJson } from '../../api/mesos/common.js';
import { checkSpec, healthSpec } from '../../api/mesos/health-spec.js';
import { ProbeRunner, type Prober } from './runner.js';
import { systemProber } from './probes.js';
import { checkChanged, checkStatusOf, emptyCheckStatus, failureMessage, healthStep, initialHealth, probeHealthy, type HealthState, type ProbeOutcome } from './state.js';

/** The part of the agent's TaskRecord the checks need. */
export interface CheckedTask {
  readonly task: TaskInfoJson;
  readonly sandbox: string;
}

/** Fields a check or health update adds to the task's current status. */
export interface CheckFields {
  readonly healthy?: boolean;
  readonly check_status?: CheckStatusInfoJson;
}

export interface TaskChecksDeps<T extends CheckedTask> {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Injectable for tests; defaults to the real COMMAND/HTTP/TCP probes. */
  readonly prober?: Prober;
  /** Send a non-terminal update with the task's current state plus `fields`, with `reason`. */
  update(t: T, reason: ReasonName, fields: CheckFields): void;
  /** Kill the task (default kill policy), as the command executor does on `kill_task`. */
  kill(t: T): void;
}

interface Entry {
  readonly runners: ProbeRunner[];
  health: HealthState | undefined;
  healthy: boolean | undefined;
  checkStatus: CheckStatusInfoJson | undefined;
  stopped: boolean;
}

/** Owns every running checker of the agent's tasks. Not thread-safe by design: the agent actor calls it. */
export class TaskChecks<T extends CheckedTask> {
  private readonly entries = new Map<T, Entry>();
  private readonly killedByHealth = new WeakSet<T>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly prober: Prober;

  constructor(private readonly deps: TaskChecksDeps<T>) {
    this.prober = deps.prober ?? systemProber;
  }

  /** True while the task has running checkers. */
  active(t: T): boolean {
    return this.entries.has(t);
  }

  /**
   * Starts the task's health check and check (if any). `env` is the task's environment (command probes
   * run with it, in the sandbox); without it (a task recovered after an agent restart) a minimal one is
   * built. An invalid definition is logged and not run, as upstream's executor does.
   */
  start(t: T, env?: Readonly<Record<string, string>>): void {
    if (this.entries.has(t)) return;
    const hc = t.task.health_check;
    const ci = t.task.check;
    if (hc === undefined && ci === undefined) return;
    const tid = t.task.task_id.value;
    const ctx = { cwd: t.sandbox, env: env ?? fallbackEnvironment(t) };
    const e: Entry = { runners: [], health: undefined, healthy: undefined, checkStatus: undefined, stopped: false };
    if (hc !== undefined) {
      const spec = healthSpec(hc);
      if (typeof spec === 'string') {
        this.deps.logger.error({ taskId: tid, err: spec }, 'failed to create health checker');
      } else {
        e.health = initialHealth(this.deps.clock.now());
        const onResult = (o: ProbeOutcome): void => {
          if (e.stopped || e.health === undefined) return;
          const ok = probeHealthy(o);
          const step = healthStep(e.health, ok, this.deps.clock.now(), spec);
          e.health = step.state;
          if (!ok) this.deps.logger.info({ taskId: tid, failures: step.state.consecutiveFailures, reported: step.report !== undefined, err: failureMessage(o) }, 'health check failed');
          if (step.report === undefined) return;
          e.healthy = step.report.healthy;
          this.deps.update(t, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED', this.fields(e));
          if (step.report.killTask) {
            this.deps.logger.warn({ taskId: tid, failures: step.report.consecutiveFailures }, 'killing task: health check failed');
            this.killedByHealth.add(t);
            this.stop(t);
            this.deps.kill(t);
          }
        };
        e.runners.push(new ProbeRunner(this.deps.clock, spec, spec.probe, ctx, this.prober, onResult));
      }
    }
    if (ci !== undefined) {
      const spec = checkSpec(ci);
      if (typeof spec === 'string') {
        this.deps.logger.error({ taskId: tid, err: spec }, 'failed to create checker');
      } else {
        e.checkStatus = emptyCheckStatus(spec.type);
        const onResult = (o: ProbeOutcome): void => {
          if (e.stopped) return;
          const next = checkStatusOf(spec.type, o);
          if (e.checkStatus !== undefined && !checkChanged(e.checkStatus, next)) return;
          e.checkStatus = next;
          this.deps.update(t, 'REASON_TASK_CHECK_STATUS_UPDATED', this.fields(e));
        };
        e.runners.push(new ProbeRunner(this.deps.clock, spec, spec.probe, ctx, this.prober, onResult));
      }
    }
    if (e.runners.length === 0) return;
    this.entries.set(t, e);
    for (const r of e.runners) r.start();
  }

  /** Stops the task's checkers (kill requested, or the task ended). No result is reported afterwards. */
  stop(t: T): void {
    const e = this.entries.get(t);
    if (e === undefined) return;
    this.entries.delete(t);
    e.stopped = true;
    const p = Promise.allSettled(e.runners.map((r) => r.stop())).then(() => undefined);
    this.stopping.add(p);
    void p.finally(() => this.stopping.delete(p));
  }

  /** Stops every checker and waits for in-flight probes (agent shutdown; the tasks keep running). */
  async stopAll(): Promise<void> {
    for (const t of [...this.entries.keys()]) this.stop(t);
    while (this.stopping.size > 0) await Promise.allSettled([...this.stopping]);
  }

  /**
   * Adds to an update the agent makes for a task (from scratch, SOURCE_EXECUTOR) what upstream's command
   * executor adds: an empty check status when the task has a check, and `healthy: false` on the terminal
   * update of a task killed because of its health check. Other updates are returned unchanged.
   */
  decorate(t: T, st: TaskStatusJson): TaskStatusJson {
    if (st.source !== 'SOURCE_EXECUTOR') return st;
    let out = st;
    const ci = t.task.check;
    if (ci !== undefined && st.check_status === undefined) {
      const spec = checkSpec(ci);
      if (typeof spec !== 'string') out = { ...out, check_status: emptyCheckStatus(spec.type) };
    }
    if (isTerminalState(st.state) && this.killedByHealth.has(t)) out = { ...out, healthy: false };
    return out;
  }

  private fields(e: Entry): CheckFields {
    return {
      ...(e.healthy !== undefined ? { healthy: e.healthy } : {}),
      ...(e.checkStatus !== undefined ? { check_status: e.checkStatus } : {}),
    };
  }
}

/** The environment of a recovered task's command probes: the basics plus the task's own variables. */
export function fallbackEnvironment(t: CheckedTask): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env['HOME'] ?? '/',
    MESOS_SANDBOX: t.sandbox,
    MESOS_DIRECTORY: t.sandbox,
    MESOS_TASK_ID: t.task.task_id.value,
  };
  for (const v of t.task.command?.environment?.variables ?? []) if (v.type !== 'SECRET') env[v.name] = v.value ?? '';
  return env;
}
