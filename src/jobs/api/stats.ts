/**
 * Job statistics computed from stored run records (spec §2.2 (11), (12), §6.8), so they survive restarts.
 * Durations are finish − due time of successful runs, like upstream. Deviation (documented): `mean` is the
 * real mean, not the median.
 */
import type { RunRecord } from '../state/records.js';
import { pad } from '../schedule/zone.js';

export const PERCENTILE_KEYS = ['99thPercentile', '98thPercentile', '95thPercentile', '75thPercentile', 'median', 'mean', 'count'] as const;
export type PercentileKey = (typeof PERCENTILE_KEYS)[number];

export interface Histogram {
  readonly '75thPercentile': number;
  readonly '95thPercentile': number;
  readonly '98thPercentile': number;
  readonly '99thPercentile': number;
  readonly median: number;
  readonly mean: number;
  readonly count: number;
}

function durations(runs: readonly RunRecord[]): number[] {
  return runs.filter((r) => r.status === 'SUCCESS' && r.finishedAt !== undefined).map((r) => (r.finishedAt ?? 0) - r.dueAt).sort((a, b) => a - b);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Histogram of successful run durations in ms. */
export function histogram(runs: readonly RunRecord[]): Histogram {
  const d = durations(runs);
  const mean = d.length === 0 ? 0 : d.reduce((a, b) => a + b, 0) / d.length;
  return {
    '75thPercentile': quantile(d, 0.75),
    '95thPercentile': quantile(d, 0.95),
    '98thPercentile': quantile(d, 0.98),
    '99thPercentile': quantile(d, 0.99),
    median: quantile(d, 0.5),
    mean,
    count: d.length,
  };
}

function fmtTime(ms: number | undefined): string {
  if (ms === undefined) return 'N/A';
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1, 2)}/${pad(d.getUTCDate(), 2)}/${pad(d.getUTCFullYear() % 100, 2)} ${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
}

function fmtDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h${Math.floor((s % 3600) / 60)}m${s % 60}s`;
}

const STATUS: Record<RunRecord['status'], string> = {
  QUEUED: 'Idle',
  LAUNCHING: 'Running',
  RUNNING: 'Running',
  SUCCESS: 'Success',
  FAILED: 'Fail',
  KILLED: 'Fail',
  MISSED: 'Fail',
};

/** `GET {P}/job/stat/{name}`: histogram plus the newest `limit` launched runs. */
export function jobStat(name: string, runs: readonly RunRecord[], limit: number): object {
  const launched = runs.filter((r) => r.taskId !== undefined || r.attempts.length > 0).sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
  return {
    histogram: histogram(runs),
    taskStatHistory: launched.map((r) => ({
      taskId: r.taskId ?? r.attempts[r.attempts.length - 1]?.taskId ?? '',
      jobName: name,
      slaveId: r.agentId ?? '',
      startTime: fmtTime(r.startedAt ?? r.dueAt),
      endTime: fmtTime(r.finishedAt),
      ...(r.finishedAt !== undefined ? { duration: fmtDuration(r.finishedAt - (r.startedAt ?? r.dueAt)) } : {}),
      status: STATUS[r.status],
    })),
  };
}

/** `GET {P}/stats/{percentile}`: `[{jobNameLabel, time (s)}]` sorted by time descending; `[]` for an unknown key. */
export function percentileStats(key: string, runsByJob: ReadonlyMap<string, readonly RunRecord[]>): Array<{ jobNameLabel: string; time: number }> {
  if (!(PERCENTILE_KEYS as readonly string[]).includes(key)) return [];
  const k = key as PercentileKey;
  const out = [...runsByJob].map(([job, runs]) => ({ jobNameLabel: job, time: k === 'count' ? histogram(runs).count : histogram(runs)[k] / 1000 }));
  return out.sort((a, b) => b.time - a.time);
}
