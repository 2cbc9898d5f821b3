/**
 * The v1 GET_LOGGING_LEVEL / SET_LOGGING_LEVEL state of one daemon (spec §5.9, §5.10). Upstream toggles
 * glog's verbosity `level` for `duration`, then reverts to the start-up level (0). Agora keeps the number
 * and maps it onto the pino logger: 1 → debug, ≥ 2 → trace, 0 → the logger's start-up level. A silent
 * logger (tests) stays silent. The revert runs on the injected Clock.
 */
import type { Clock, Timer } from './clock.js';
import type { Logger } from './log.js';

const RANK: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** Verbosity toggled by operators, reverting on a timer. */
export class LoggingLevel {
  private level = 0;
  private timer: Timer | undefined;
  private readonly baseLevel: string | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {
    this.baseLevel = logger?.level;
  }

  /** The current verbosity (0 unless an operator raised it and the duration has not elapsed). */
  get current(): number {
    return this.level;
  }

  /** Sets `level` for `durationMs`, replacing any earlier toggle; then reverts to 0. */
  set(level: number, durationMs: number): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.apply(level);
    if (level !== 0) {
      this.timer = this.clock.after(durationMs, () => {
        this.timer = undefined;
        this.apply(0);
      });
    }
  }

  /** Cancels a pending revert (daemon stop); the level is reset to 0. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.apply(0);
  }

  private apply(level: number): void {
    this.level = level;
    const logger = this.logger;
    const base = this.baseLevel;
    if (logger === undefined || base === undefined || base === 'silent') return;
    const wanted = level >= 2 ? 'trace' : level === 1 ? 'debug' : base;
    logger.level = (RANK[wanted] ?? 30) < (RANK[base] ?? 30) ? wanted : base;
  }
}
