/**
 * Status updates in batches, for frameworks whose state lives in a Store (apps ADR 0046, jobs ADR 0045).
 * Updates are queued as they arrive and drained by one serial task: every update queued while earlier work
 * ran is applied in stream order, plain record changes (a task starting or running) are deferred into one
 * durable write instead of one write (one fsync) each, and the ACKNOWLEDGEs leave together only after that
 * write. If the write fails, no update of the batch is acknowledged (the agents resend them) and each
 * caller's promise rejects.
 */
import type { TaskStatusJson } from '../api/mesos/common.js';

/** What a batch needs from the framework; `T` is its per-task record (an apps Instance, a jobs RunRecord). */
export interface UpdateBatchDeps<T> {
  /** Runs `drain` after every earlier serial task of the framework. */
  serial(drain: () => Promise<void>): Promise<void>;
  /**
   * Applies one update: a plain change goes into `deferred` (keyed by record id, read back by later
   * updates of the batch); anything else must `flush()` first, then change the state itself.
   */
  apply(status: TaskStatusJson, deferred: Map<string, T>, flush: () => Promise<void>): Promise<void>;
  /** Stores records durably, then in memory. */
  save(list: T[]): Promise<void>;
  /** After the batch is durable, before the acknowledgements (e.g. finish converged deployments). */
  afterSaved?(): Promise<void>;
  /** Sends one ACKNOWLEDGE; must not throw (log instead). */
  acknowledge(status: TaskStatusJson): Promise<void>;
  /** After the batch's acknowledgements (e.g. the scheduling loop's tick). */
  afterAcknowledged?(): Promise<void>;
}

interface Queued {
  readonly status: TaskStatusJson;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** The queue of updates not yet applied; one drain task is scheduled whenever the queue becomes non-empty. */
export class UpdateBatcher<T> {
  private pending: Queued[] = [];

  constructor(private readonly deps: UpdateBatchDeps<T>) {}

  /** Resolves once the update is durably applied and acknowledged; rejects if it could not be applied. */
  push(status: TaskStatusJson): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ status, resolve, reject });
      // drain() never rejects: failures reach each update's own promise.
      if (this.pending.length === 1) void this.deps.serial(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    const batch = this.pending.splice(0);
    const deferred = new Map<string, T>();
    const flush = async (): Promise<void> => {
      if (deferred.size === 0) return;
      const list = [...deferred.values()];
      deferred.clear();
      await this.deps.save(list);
    };
    const applied: Queued[] = [];
    for (const item of batch) {
      try {
        await this.deps.apply(item.status, deferred, flush);
        applied.push(item);
      } catch (e: unknown) {
        item.reject(e);
      }
    }
    try {
      await flush();
      await this.deps.afterSaved?.();
    } catch (e: unknown) {
      for (const item of applied) item.reject(e);
      return;
    }
    await Promise.all(
      applied.map(async (item) => {
        await this.deps.acknowledge(item.status);
        item.resolve();
      }),
    );
    await this.deps.afterAcknowledged?.();
  }
}
