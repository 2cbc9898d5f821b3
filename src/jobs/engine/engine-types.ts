/** The job engine's options and the write access it hands to API operations (JobEngine.transact). */
import type { Logger } from '../../core/log.js';
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../coordination/index.js';
import type { JobRecord, RunRecord } from '../state/records.js';

export interface JobEngineOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly role?: string;
  /** Delay before a failed attempt is retried (`--failure_retry`). */
  readonly failureRetryMs: number;
  readonly disableAfterFailures?: number;
  /** How often unanswered reconciliation entries are asked again. */
  readonly reconcileIntervalMs?: number;
  /** Offers are revived (and held) this long before an occurrence falls due. */
  readonly reviveLeadMs?: number;
  /**
   * Occurrences are taken and their runs armed on held offers this long ahead (default 1 s, at most the
   * revive lead; 0 turns it off): the Store writes of a wave happen before its instant (ADR 0045).
   */
  readonly prepareLeadMs?: number;
}

/** Write access to the engine's state inside one serial step (see JobEngine.transact). */
export interface EngineTx {
  readonly now: number;
  saveJob(rec: JobRecord): Promise<void>;
  /** Creates a run under the first free id `make(seq)` returns (CAS 'absent'). */
  createRun(make: (seq: number) => RunRecord): Promise<RunRecord>;
  stopRun(run: RunRecord, message: string): Promise<void>;
  deleteJob(name: string): Promise<void>;
}
