/**
 * Status updates handled in batches (ADR 0045): updates that arrive while the engine's serial chain is busy
 * are handled together in its next step. The common transitions (a task STAGING/STARTING/RUNNING) are written
 * in one Store batch instead of one write (one fsync) each, so 1,000 tasks starting together cost one
 * transaction; every other state goes through applyStatus one by one, in arrival order.
 *
 * Guarantees: updates are applied in arrival order (a batch of RUNNING records is written before any later
 * update of the same batch is applied); each update is acknowledged only after its effect is durable; the
 * promise `push` returns resolves once that update was handled.
 */
import type { TaskStatusJson } from '../../api/mesos/common.js';
import type { RunRecord } from '../state/records.js';
import { classify } from './outcomes.js';

/** What a batch needs from the engine (called inside its serial chain). */
export interface BatchHost {
  now(): number;
  /** The reconciliation answer for `taskId`, if it was pending (true). */
  resolve(taskId: string): boolean;
  runOf(taskId: string): RunRecord | undefined;
  /** Writes the runs in one Store batch and indexes them. */
  persist(runs: readonly RunRecord[]): Promise<void>;
  /** The full rules for one update (applyStatus). */
  apply(run: RunRecord, status: TaskStatusJson, fromReconcile: boolean): Promise<void>;
  acknowledge(status: TaskStatusJson): Promise<void>;
  /** After each batch: the loop's tick. */
  after(reconciledAll: boolean): Promise<void>;
}

export class UpdateBatcher {
  private pending: TaskStatusJson[] = [];
  private step: Promise<void> | undefined;

  constructor(
    private readonly serial: (fn: () => Promise<void>) => Promise<void>,
    private readonly host: BatchHost,
  ) {}

  push(status: TaskStatusJson): Promise<void> {
    this.pending.push(status);
    if (this.step === undefined) {
      this.step = this.serial(async () => {
        // Updates pushed from here on belong to the next step.
        this.step = undefined;
        const batch = this.pending;
        this.pending = [];
        await this.handle(batch);
      });
    }
    return this.step;
  }

  private async handle(batch: readonly TaskStatusJson[]): Promise<void> {
    const { host } = this;
    const running = new Map<string, RunRecord>();
    const flush = async (): Promise<void> => {
      if (running.size === 0) return;
      const runs = [...running.values()];
      running.clear();
      await host.persist(runs);
    };
    let reconciled = false;
    for (const status of batch) {
      const taskId = status.task_id.value;
      const wasReconciling = host.resolve(taskId);
      reconciled ||= wasReconciling;
      const run = running.get(taskId) ?? host.runOf(taskId);
      if (run === undefined) continue;
      if (classify(status.state) === 'running') {
        if (run.status !== 'RUNNING') running.set(taskId, { ...run, status: 'RUNNING', startedAt: run.startedAt ?? host.now() });
        continue;
      }
      await flush();
      await host.apply(host.runOf(taskId) ?? run, status, wasReconciling);
    }
    await flush();
    for (const status of batch) await host.acknowledge(status);
    await host.after(reconciled);
  }
}
