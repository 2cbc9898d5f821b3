/**
 * Runs one probe periodically on the injected Clock, like upstream's CheckerProcess: the first run after
 * `delayMs`, each next one `intervalMs` after the previous result arrived (so runs never overlap), and a
 * run that takes longer than `timeoutMs` (0 = never) ends as an `error` outcome at once while its probe
 * is aborted (the command probe kills its process group). After stop() no result is delivered.
 */
import type { Clock, Timer } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { ProbeSpec, CheckTiming } from '../../api/mesos/health-spec.js';
import type { ProbeOutcome } from './state.js';

/** Where and how a command probe runs: the task's sandbox and environment. */
export interface ProbeContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Performs one probe. Must settle soon after `signal` aborts (and clean up what it started). */
export type Prober = (probe: ProbeSpec, ctx: ProbeContext, signal: AbortSignal) => Promise<ProbeOutcome>;

/** A periodic probe. Owned by one checker; stop() is idempotent and waits for the in-flight probe. */
export class ProbeRunner {
  private timer: Timer | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private abort: AbortController | undefined;
  private stopped = false;
  /** Number of probes started (tests and metrics). */
  runs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timing: CheckTiming,
    private readonly probe: ProbeSpec,
    private readonly ctx: ProbeContext,
    private readonly prober: Prober,
    private readonly onResult: (o: ProbeOutcome) => void,
  ) {}

  /** Schedules the first probe after the delay. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.schedule(this.timing.delayMs);
  }

  /** Cancels the schedule, aborts the running probe and waits for it to settle. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.abort?.abort(new Error('checking stopped'));
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private schedule(ms: number): void {
    this.timer = this.clock.after(ms, () => {
      this.timer = undefined;
      this.runOnce();
    });
  }

  private runOnce(): void {
    if (this.stopped) return;
    this.runs++;
    const ac = new AbortController();
    this.abort = ac;
    let done = false;
    let timeout: Timer | undefined;
    const finish = (o: ProbeOutcome): void => {
      if (done) return;
      done = true;
      timeout?.cancel();
      if (this.stopped) return;
      this.onResult(o);
      if (!this.stopped) this.schedule(this.timing.intervalMs);
    };
    if (this.timing.timeoutMs > 0) {
      const secs = this.timing.timeoutMs / 1000;
      timeout = this.clock.after(this.timing.timeoutMs, () => {
        ac.abort(new Error('timed out'));
        finish({ kind: 'error', message: `Probe timed out after ${secs}secs` });
      });
    }
    let p: Promise<ProbeOutcome>;
    try {
      p = this.prober(this.probe, this.ctx, ac.signal);
    } catch (e: unknown) {
      p = Promise.resolve({ kind: 'error', message: errorMessage(e) });
    }
    const settled = p.then(finish, (e: unknown) => finish({ kind: 'error', message: errorMessage(e) }));
    const tracked = settled.finally(() => {
      if (this.abort === ac) this.abort = undefined;
      this.inflight.delete(tracked);
    });
    this.inflight.add(tracked);
  }
}
