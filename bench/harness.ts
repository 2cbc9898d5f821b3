/**
 * The benchmark harness API. A benchmark is a module `bench/<name>.bench.ts` exporting
 * `run(): Promise<BenchResult>`; `bench/run.ts` finds, runs, prints and records them.
 */
import { performance } from 'node:perf_hooks';

/** What one benchmark module returns. Rows become an aligned table; summary is a few headline numbers. */
export interface BenchResult {
  readonly name: string;
  readonly rows: Array<Record<string, string | number>>;
  readonly summary: Record<string, number | string>;
}

/** The contract of a `*.bench.ts` module. */
export interface BenchModule {
  run(): Promise<BenchResult>;
}

/** Milliseconds taken by fn (high resolution). */
export function timeMs(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/** Milliseconds taken by an async fn (high resolution). */
export async function timeMsAsync(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Rounds to the given number of decimals (for table cells). */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Rows as an aligned text table (columns = union of keys, in first-seen order; numbers right-aligned). */
export function formatTable(rows: ReadonlyArray<Record<string, string | number>>): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: string | number | undefined): string => (v === undefined ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: Array<string | number | undefined>): string =>
    values
      .map((v, i) => {
        const w = widths[i] ?? 0;
        return typeof v === 'number' ? cell(v).padStart(w) : cell(v).padEnd(w);
      })
      .join('  ')
      .trimEnd();
  return [line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n');
}
