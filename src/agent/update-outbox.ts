/**
 * Coalesces the status updates the agent sends to the master: every update queued in one turn of the
 * event loop goes out in a single STATUS_UPDATE call (`status_updates`, in queue order), so a burst of
 * launches costs a few POSTs instead of one per update. Reliability is unchanged: the status update
 * manager still re-sends each unacknowledged head until the scheduler acknowledges it.
 */
import type { StatusUpdateBodyJson } from '../api/agora/agent-protocol.js';

/** Upper bound on one call's size; a larger burst is split, in order. */
export const MAX_UPDATES_PER_CALL = 256;

export class UpdateOutbox {
  private queue: StatusUpdateBodyJson[] = [];
  private scheduled = false;

  constructor(private readonly send: (batch: readonly StatusUpdateBodyJson[]) => void) {}

  /** Queues one update; it leaves with the others of this turn. */
  add(update: StatusUpdateBodyJson): void {
    this.queue.push(update);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends everything queued now (also used on stop, so nothing queued is silently dropped). */
  flush(): void {
    this.scheduled = false;
    const all = this.queue;
    this.queue = [];
    for (let i = 0; i < all.length; i += MAX_UPDATES_PER_CALL) this.send(all.slice(i, i + MAX_UPDATES_PER_CALL));
  }
}
