/**
 * The tasks whose state must be confirmed by the master before the engine launches anything (after a
 * restart, a re-subscription or a LAUNCH call that failed). It re-asks for the unanswered ones every
 * `intervalMs` until each has an answer; `send` runs inside the engine's serial chain.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { ReconcileTask } from '../../scheduler/index.js';

export class Reconciler {
  private readonly pending = new Map<string, string | undefined>();
  private timer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    /** Wraps the periodic re-send (the engine passes its serial chain). */
    private readonly schedule: (fn: () => Promise<void>) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  add(taskId: string, agentId: string | undefined): void {
    this.pending.set(taskId, agentId);
  }

  /** An answer arrived; true when the task was pending. Stops re-asking once nothing is pending. */
  resolve(taskId: string): boolean {
    const was = this.pending.delete(taskId);
    if (this.pending.size === 0) this.cancel();
    return was;
  }

  /** Asks for every pending task now (when `canSend`), then again after the interval while any is pending. */
  async send(canSend: boolean, reconcile: (tasks: readonly ReconcileTask[]) => Promise<void>): Promise<void> {
    this.cancel();
    if (this.pending.size === 0 || !canSend) return;
    const tasks = [...this.pending].map(([taskId, agentId]) => ({ taskId, ...(agentId !== undefined ? { agentId } : {}) }));
    try {
      await reconcile(tasks);
    } finally {
      this.timer = this.clock.after(this.intervalMs, () => this.schedule(() => this.send(canSend, reconcile)));
    }
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
