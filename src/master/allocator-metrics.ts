/**
 * A latency timer for `/metrics/snapshot` (spec §5.8: a timer expands to `<name>` plus `/count`, `/min`,
 * `/max`, `/p50`, `/p90`, `/p95`, `/p99`, `/p999`, `/p9999`). Keeps the last WINDOW samples, as upstream's
 * timers keep a bounded time series. Owned by the Master actor.
 */
const WINDOW = 1000;
const PERCENTILES: ReadonlyArray<[string, number]> = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
  ['p9999', 0.9999],
];

/** Duration samples in milliseconds; see the module comment. */
export class DurationTimer {
  private readonly samples: number[] = [];
  private next = 0;
  private count = 0;

  record(ms: number): void {
    if (this.samples.length < WINDOW) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    this.count++;
  }

  /** `{name: last, name/count, name/min, ...}`; empty before the first sample (as upstream). */
  snapshot(name: string): Record<string, number> {
    if (this.samples.length === 0) return {};
    const sorted = [...this.samples].sort((a, b) => a - b);
    const last = this.samples[(this.next + WINDOW - 1) % WINDOW] ?? this.samples[this.samples.length - 1] ?? 0;
    const out: Record<string, number> = {
      [name]: last,
      [`${name}/count`]: this.count,
      [`${name}/min`]: sorted[0] ?? 0,
      [`${name}/max`]: sorted[sorted.length - 1] ?? 0,
    };
    for (const [k, q] of PERCENTILES) out[`${name}/${k}`] = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return out;
  }
}
