import { describe, expect, it } from 'vitest';
import { DueBook } from '../../../src/jobs/engine/due-book.js';
import { parseJobBody } from '../../../src/jobs/api/job-input.js';
import { DEFAULT_JOB_DEFAULTS } from '../../../src/jobs/api/job-schema.js';
import { START_CURSOR } from '../../../src/jobs/schedule/cursor.js';
import { SeededRng } from '../../../src/core/rng.js';
import type { JobRecord } from '../../../src/jobs/state/records.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function rec(name: string, startMs: number, disabled = false): JobRecord {
  const job = parseJobBody(JSON.stringify({ name, command: 'true', schedule: `R1/${new Date(startMs).toISOString()}/PT1H`, disabled }), 'scheduled', DEFAULT_JOB_DEFAULTS, T0);
  return { job, cursor: START_CURSOR, parentsDone: [] };
}

describe('DueBook (due-time heap)', () => {
  it('hands out exactly the due jobs in any order of insertion, with lazy updates and deletes', () => {
    const rng = new SeededRng(7);
    const book = new DueBook();
    const due = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const at = T0 + Math.floor(rng.next() * 100) * 1000;
      book.set(rec(`j${i}`, at), T0);
      due.set(`j${i}`, at);
    }
    // Moves, deletes and disabled jobs: stale heap entries must never surface.
    book.set(rec('j0', T0 + 500_000), T0);
    due.set('j0', T0 + 500_000);
    book.delete('j1');
    due.delete('j1');
    book.set(rec('j2', T0, true), T0);
    due.delete('j2');
    expect(book.next()).toBe(Math.min(...due.values()));
    const seen: string[] = [];
    for (let t = T0; t <= T0 + 100_000; t += 5_000) {
      const got = book.takeDue(t);
      for (const name of got) expect(due.get(name)).toBeLessThanOrEqual(t);
      seen.push(...got);
    }
    expect(seen.sort()).toEqual([...due.keys()].filter((n) => n !== 'j0').sort());
    expect(book.next()).toBe(T0 + 500_000);
    expect(book.takeDue(T0 + 500_000)).toEqual(['j0']);
    expect(book.next()).toBe(Infinity);
  });
});
