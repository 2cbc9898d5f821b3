import { describe, expect, it } from 'vitest';
import { parseCron } from '../../../src/jobs/schedule/cron.js';
import { resolveZone, type Zone } from '../../../src/jobs/schedule/zone.js';
import { cronStep, retryDecision } from '../../../src/jobs/v2/policy.js';
import { parseJobSpec, parseScheduleSpec } from '../../../src/jobs/v2/spec.js';
import { newRun } from '../../../src/jobs/engine/outcomes.js';
import { chronosView } from '../../../src/jobs/v2/service.js';
import { START_CURSOR } from '../../../src/jobs/schedule/cursor.js';
import type { JobRecord } from '../../../src/jobs/state/records.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const UTC = resolveZone('UTC') as Zone;
const MIN = 60_000;

describe('cronStep (pure)', () => {
  it('records only the newest 100 skipped occurrences of a long downtime, and takes the current one', () => {
    const s = parseScheduleSpec({ id: 's', cron: '* * * * *' });
    const step = cronStep('j', s, parseCron(s.cron), UTC, T0, T0 + 1000 * MIN, []);
    expect(step?.lastTaken).toBe(T0 + 1000 * MIN);
    const missed = step?.create.filter((r) => r.status === 'MISSED') ?? [];
    expect(missed).toHaveLength(100);
    expect(missed[0]?.message).toContain('999 occurrences skipped');
    expect(step?.create.filter((r) => r.status === 'QUEUED').map((r) => r.occurrence)).toEqual([T0 + 1000 * MIN]);
  });

  it('REPLACE stops active runs only when something new runs; nothing is due before the first occurrence', () => {
    const s = parseScheduleSpec({ id: 's', cron: '0 * * * *', concurrencyPolicy: 'REPLACE', startingDeadlineSeconds: 60 });
    const active = [newRun('j', 'manual-1', 'manual', T0, '')];
    expect(cronStep('j', s, parseCron(s.cron), UTC, T0, T0 + 59 * MIN, active)).toBeUndefined();
    // 01:00 is past its 60 s deadline at 01:05 and catchUp is SKIP: MISSED, and the active run is left alone.
    const late = cronStep('j', s, parseCron(s.cron), UTC, T0, T0 + 65 * MIN, active);
    expect(late?.stop).toEqual([]);
    expect(late?.create.map((r) => r.status)).toEqual(['MISSED']);
    expect(cronStep('j', s, parseCron(s.cron), UTC, T0, T0 + 60 * MIN, active)?.stop).toEqual(active);
  });
});

describe('retryDecision', () => {
  const rec = (run: object): JobRecord => {
    const spec = parseJobSpec({ id: 'j', run: { cmd: 'x', ...run } }).job;
    return { job: chronosView(spec, 'root'), cursor: START_CURSOR, parentsDone: [], v2: { spec, schedules: [], lastTaken: {}, createdAt: T0 } };
  };
  it('backs off 1 s doubling up to maxLaunchDelay and stops at activeDeadlineSeconds', () => {
    const r = rec({ restart: { policy: 'ON_FAILURE', activeDeadlineSeconds: 100 }, maxLaunchDelay: 8 });
    const run = newRun('j', 'x', 'manual', T0, '');
    expect([0, 1, 2, 3, 4, 10].map((attempt) => retryDecision(r, { ...run, attempt }, T0, 0))).toEqual([{ delayMs: 1000 }, { delayMs: 2000 }, { delayMs: 4000 }, { delayMs: 8000 }, { delayMs: 8000 }, { delayMs: 8000 }]);
    expect(retryDecision(r, run, T0 + 99_500, 0)).toEqual({ reason: 'activeDeadlineSeconds (100) reached' });
    expect(retryDecision(rec({}), run, T0, 0)).toEqual({ reason: 'restart policy NEVER' });
  });
});
