/**
 * Reliable status updates (spec §6.6). Every update is made durable in the agent journal before it can
 * be sent; each task has a FIFO queue of which only the head is sent to the master, re-sent with
 * back-off (retry interval doubling up to the maximum) until the scheduler's acknowledgement for its
 * uuid comes back, and only then is the next one sent. Delivery is at-least-once and in order per task.
 *
 * Retries share one ticker (no timer per task). The manager does not know about connections beyond
 * `setConnected`: while disconnected nothing is sent; on (re)connection every head is sent at once.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { TaskStatusJson } from '../../api/mesos/common.js';

/** Journal records the manager writes (the agent's recovery replays them through `restore*`). */
export type UpdateRecord =
  | { readonly k: 'upd'; readonly fid: string; readonly st: TaskStatusJson }
  | { readonly k: 'ack'; readonly fid: string; readonly tid: string; readonly uuid: string };

export interface UpdateSink {
  /** Durably appends a record (resolves when on disk). */
  append(record: UpdateRecord): Promise<void>;
}

interface Item {
  readonly status: TaskStatusJson;
  durable: boolean;
}

interface Queue {
  readonly fid: string;
  readonly tid: string;
  readonly items: Item[];
  /** When the head is next due to be (re-)sent; undefined while it has not been sent yet. */
  nextAt: number | undefined;
  intervalMs: number;
}

export interface StatusUpdateManagerOptions {
  readonly clock: Clock;
  readonly sink: UpdateSink;
  /** Sends one update to the master; failures are fine (the retry covers them). */
  readonly send: (frameworkId: string, status: TaskStatusJson) => void;
  /** Called after an update was acknowledged and removed from its queue. */
  readonly onAcknowledged?: (frameworkId: string, status: TaskStatusJson, queueEmpty: boolean) => void;
  readonly retryIntervalMs: number;
  readonly retryMaxMs: number;
}

const key = (fid: string, tid: string): string => `${fid}\u0000${tid}`;

/** Owned by the agent actor; all methods are synchronous except the durable `update`. */
export class StatusUpdateManager {
  private readonly queues = new Map<string, Queue>();
  private connected = false;
  private ticker: Timer | undefined;
  validUpdates = 0;

  constructor(private readonly opts: StatusUpdateManagerOptions) {}

  /** Persists, then queues the update; sends it if it is the head and the agent is connected. */
  async update(frameworkId: string, status: TaskStatusJson): Promise<void> {
    const item: Item = { status, durable: false };
    this.enqueue(frameworkId, status.task_id.value, item);
    this.validUpdates++;
    await this.opts.sink.append({ k: 'upd', fid: frameworkId, st: status });
    item.durable = true;
    this.trySendHead(frameworkId, status.task_id.value);
  }

  /** Replay of a persisted update (recovery): queued as durable, not re-persisted, not sent yet. */
  restore(frameworkId: string, status: TaskStatusJson): void {
    this.enqueue(frameworkId, status.task_id.value, { status, durable: true });
  }

  /** Replay of a persisted acknowledgement. */
  restoreAck(frameworkId: string, taskId: string, uuid: string): void {
    const q = this.queues.get(key(frameworkId, taskId));
    const head = q?.items[0];
    if (q === undefined || head?.status.uuid !== uuid) return;
    q.items.shift();
    if (q.items.length === 0) this.queues.delete(key(frameworkId, taskId));
  }

  /**
   * Handles an acknowledgement. Only an ack for the head's uuid counts (anything else, including acks
   * for unknown uuids and duplicates, is ignored and returns false).
   */
  acknowledge(frameworkId: string, taskId: string, uuid: string): boolean {
    const k = key(frameworkId, taskId);
    const q = this.queues.get(k);
    const head = q?.items[0];
    if (q === undefined || head === undefined || head.status.uuid !== uuid || !head.durable) return false;
    q.items.shift();
    q.nextAt = undefined;
    q.intervalMs = this.opts.retryIntervalMs;
    // The ack need not be waited for: losing it only means one duplicate after a crash.
    void this.opts.sink.append({ k: 'ack', fid: frameworkId, tid: taskId, uuid }).catch(() => undefined);
    const empty = q.items.length === 0;
    if (empty) this.queues.delete(k);
    else this.trySendHead(frameworkId, taskId);
    this.opts.onAcknowledged?.(frameworkId, head.status, empty);
    return true;
  }

  /** On connect: send every head now (fresh back-off). On disconnect: stop sending. */
  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) return;
    for (const q of this.queues.values()) {
      q.nextAt = undefined;
      q.intervalMs = this.opts.retryIntervalMs;
      this.trySendHead(q.fid, q.tid);
    }
  }

  /** Forgets a framework's queues (framework shut down: no update needs to reach it). */
  dropFramework(frameworkId: string): void {
    for (const [k, q] of this.queues) if (q.fid === frameworkId) this.queues.delete(k);
  }

  /** Forgets one task's queue. */
  dropTask(frameworkId: string, taskId: string): void {
    this.queues.delete(key(frameworkId, taskId));
  }

  /** The head (oldest unacknowledged) update of a task, if any. */
  head(frameworkId: string, taskId: string): TaskStatusJson | undefined {
    return this.queues.get(key(frameworkId, taskId))?.items[0]?.status;
  }

  /** Number of unacknowledged updates of a task. */
  pendingCount(frameworkId: string, taskId: string): number {
    return this.queues.get(key(frameworkId, taskId))?.items.length ?? 0;
  }

  /** Every queued update in order, for journal compaction. */
  queuedRecords(): UpdateRecord[] {
    const out: UpdateRecord[] = [];
    for (const q of this.queues.values()) for (const it of q.items) out.push({ k: 'upd', fid: q.fid, st: it.status });
    return out;
  }

  stop(): void {
    this.ticker?.cancel();
    this.ticker = undefined;
  }

  private enqueue(fid: string, tid: string, item: Item): void {
    const k = key(fid, tid);
    let q = this.queues.get(k);
    if (q === undefined) {
      q = { fid, tid, items: [], nextAt: undefined, intervalMs: this.opts.retryIntervalMs };
      this.queues.set(k, q);
    }
    q.items.push(item);
  }

  private trySendHead(fid: string, tid: string): void {
    const q = this.queues.get(key(fid, tid));
    const head = q?.items[0];
    if (q === undefined || head === undefined || !head.durable || !this.connected || q.nextAt !== undefined) return;
    this.sendHead(q, head);
  }

  private sendHead(q: Queue, head: Item): void {
    q.nextAt = this.opts.clock.now() + q.intervalMs;
    q.intervalMs = Math.min(q.intervalMs * 2, this.opts.retryMaxMs);
    this.ensureTicker();
    this.opts.send(q.fid, head.status);
  }

  private ensureTicker(): void {
    if (this.ticker !== undefined) return;
    // Fine enough for second-scale retries, coarse enough to cost nothing; short intervals (tests) tick faster.
    const tick = Math.max(10, Math.min(1000, Math.floor(this.opts.retryIntervalMs / 4)));
    this.ticker = this.opts.clock.every(tick, () => this.onTick());
  }

  private onTick(): void {
    if (!this.connected) return;
    const now = this.opts.clock.now();
    let waiting = false;
    for (const q of this.queues.values()) {
      const head = q.items[0];
      if (head === undefined || !head.durable) continue;
      if (q.nextAt === undefined) continue;
      waiting = true;
      if (q.nextAt <= now) this.sendHead(q, head);
    }
    if (!waiting) this.stop();
  }
}
