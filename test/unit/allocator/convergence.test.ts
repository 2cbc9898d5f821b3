// Through the master (in process, fake clock, fake agents speaking the agent protocol): two roles with
// weights 3:1, a third role with a quota, three frameworks holding every offer; shares converge.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeAgent, Scheduler, frameworkInfo, startHarness, waitFor, type Harness } from '../master/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function cpusOf(s: Scheduler): number {
  let n = 0;
  for (const o of s.offers()) for (const r of o.resources as { name: string; scalar?: { value: number } }[]) if (r.name === 'cpus') n += r.scalar?.value ?? 0;
  return n;
}

describe('roles, weights and quota through the master', () => {
  it('weights 3:1 split what the quota role leaves; the quota role gets exactly its guarantee', async () => {
    h = await startHarness({ weights: 'a=3' });
    const harness = h;
    const AGENTS = 18; // 4 cpus each
    for (let i = 0; i < AGENTS; i++) await FakeAgent.subscribe(harness, { hostname: `host-${i}` });
    const quota = await harness.app.inject({
      method: 'POST',
      url: '/quota',
      payload: JSON.stringify({ role: 'c', guarantee: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 8 } }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(quota.statusCode).toBe(200);
    const a = await Scheduler.subscribe(harness, frameworkInfo({ name: 'fa', role: 'a' }));
    const b = await Scheduler.subscribe(harness, frameworkInfo({ name: 'fb', role: 'b' }));
    const c = await Scheduler.subscribe(harness, frameworkInfo({ name: 'fc', role: 'c' }));
    await harness.clock.advance(1000);
    await waitFor(() => cpusOf(a) + cpusOf(b) + cpusOf(c) >= AGENTS * 4, 'every cpu offered');
    expect(cpusOf(c)).toBe(8);
    // 64 cpus left for a (weight 3) and b (weight 1): 48 / 16, within one agent.
    expect(Math.abs(cpusOf(a) - 48)).toBeLessThanOrEqual(4);
    expect(cpusOf(a) + cpusOf(b)).toBe(64);
    const roles = (JSON.parse((await harness.app.inject({ method: 'GET', url: '/master/roles' })).body) as { roles: { name: string; weight: number; offered: { cpus?: number } }[] }).roles;
    expect(roles.map((r) => [r.name, r.weight, r.offered.cpus])).toEqual([
      ['a', 3, cpusOf(a)],
      ['b', 1, cpusOf(b)],
      ['c', 1, 8],
    ]);
  });
});
