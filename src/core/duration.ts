/** Mesos duration strings (`5secs`, `10mins`, `250ms`, `1.5hrs`) to milliseconds and back. */
import { invalid } from './errors.js';

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  secs: 1000,
  sec: 1000,
  s: 1000,
  mins: 60_000,
  min: 60_000,
  m: 60_000,
  hrs: 3_600_000,
  hr: 3_600_000,
  h: 3_600_000,
  days: 86_400_000,
  day: 86_400_000,
  d: 86_400_000,
  weeks: 604_800_000,
  week: 604_800_000,
  w: 604_800_000,
};

/** Parses `5secs`; a bare number is seconds. Throws INVALID_REQUEST on anything else. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) throw invalid(`Invalid duration '${text}'`);
  const value = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '') return value * 1000;
  const factor = unitMs[unit];
  if (factor === undefined) throw invalid(`Invalid duration unit in '${text}'`);
  return value * factor;
}

/** Formats milliseconds the way Mesos prints flags (`5secs`, `15mins`, `100ms`). */
export function formatDuration(ms: number): string {
  if (ms % 604_800_000 === 0 && ms > 0) return `${ms / 604_800_000}weeks`;
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}days`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}hrs`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}mins`;
  if (ms % 1000 === 0) return `${ms / 1000}secs`;
  return `${ms}ms`;
}
