// Allocation shares and maintenance through real daemons.
// 1. Roles a and b with weights 3:1 (--weights) and role q with quota guarantee = limit = 4 cpus; three
//    frameworks (one per role) greedily launch 1-cpu tasks, one per offer, declining the rest with no
//    filter. On 6 agents × 2 cpus the cluster converges to q = 4 (quota), and a : b = 6 : 2 (weighted DRF).
// 2. Maintenance: a window for the agent's machine brings the framework an inverse offer, which it
//    accepts (shown in /maintenance/status); /machine/down ends its task; /machine/up lets an agent on
//    that machine register and be offered again.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import {
  FAST_AGENT_FLAGS,
  commandTask,
  getJson,
  openFramework,
  postJson,
  slaves,
  startAgent,
  startCluster,
  subscribeCall,
  waitFor,
  type Subscription,
  type WireOffer,
} from '../helpers/index.js';

useCleanup();

const cpusOf = (o: WireOffer): number => o.resources.filter((r) => r.name === 'cpus').reduce((s, r) => s + (r.scalar?.value ?? 0), 0);
const memOf = (o: WireOffer): number => o.resources.filter((r) => r.name === 'mem').reduce((s, r) => s + (r.scalar?.value ?? 0), 0);

/** Takes one 1-cpu task from each outstanding offer, declining what is left (no filter). Returns tasks launched. */
async function greedy(sub: Subscription, prefix: string, launched: { n: number }): Promise<void> {
  for (const o of sub.outstanding()) {
    sub.markUsed([o.id.value]);
    if (cpusOf(o) >= 1 && memOf(o) >= 32) {
      const task = commandTask({ id: `${prefix}-${launched.n++}`, agentId: o.agent_id.value, argv: ['sleep', '300'], cpus: 1, mem: 32 });
      await sub.accept([o.id.value], [task], { refuse_seconds: 0 });
    } else {
      await sub.decline([o.id.value], 0);
    }
  }
}

function running(sub: Subscription): number {
  const states = new Map<string, string>();
  for (const u of sub.updates()) states.set(u.task_id.value, u.state);
  return [...states.values()].filter((s) => s === 'TASK_RUNNING').length;
}

describe('allocator shares through real daemons', () => {
  it('weights 3:1 and a quota converge to the expected shares', async () => {
    const { master } = await startCluster({ agents: 6, masterFlags: { weights: 'a=3,b=1' } });
    const quota = { type: 'UPDATE_QUOTA', update_quota: { quota_configs: [{ role: 'q', guarantees: { cpus: { value: 4 } }, limits: { cpus: { value: 4 } } }] } };
    expect((await postJson(`${master.url}/api/v1`, quota)).status).toBe(200);
    const subs = await Promise.all(['a', 'b', 'q'].map((role) => openFramework(master.url, subscribeCall({ name: `it-p-${role}`, role }), { autoAck: true })));
    const counters = subs.map(() => ({ n: 0 }));
    const counts = await waitFor(
      async () => {
        await Promise.all(subs.map((s, i) => greedy(s, ['a', 'b', 'q'][i] ?? 'x', counters[i] ?? { n: 0 })));
        const c = subs.map(running);
        return c.reduce((x, y) => x + y, 0) === 12 ? c : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 50, what: 'all 12 cpus running tasks' },
    );
    const [a = 0, b = 0, q = 0] = counts;
    expect(q).toBe(4);
    expect(Math.abs(a - 6)).toBeLessThanOrEqual(1);
    expect(Math.abs(b - 2)).toBeLessThanOrEqual(1);
    // Equal weights would converge to 4 : 4; timing under load may shift one task either way.
    expect(a - b).toBeGreaterThanOrEqual(2);
    const roles = await getJson<{ roles: { name: string; weight: number; quota: { consumed: Record<string, number> } }[] }>(`${master.url}/master/roles`);
    expect(roles.roles.find((r) => r.name === 'a')?.weight).toBe(3);
    expect(roles.roles.find((r) => r.name === 'q')?.quota.consumed['cpus']).toBe(4);
    await Promise.all(subs.map((s) => s.teardown()));
  });

  it('maintenance: inverse offer accepted, machine down ends the task, machine up offers again', async () => {
    const { master, agentIds } = await startCluster({ agents: 1 });
    const agentId = agentIds[0] ?? '';
    const hostname = (await slaves(master)).find((s) => s.id === agentId)?.hostname ?? '';
    const machine = { hostname, ip: '127.0.0.1' };
    const sub = await openFramework(master.url, subscribeCall({ name: 'it-p-maint' }), { autoAck: true });
    const offer = await sub.takeOffer();
    await sub.accept([offer.id.value], [commandTask({ id: 'm1', agentId, argv: ['sleep', '300'], cpus: 1, mem: 32 })]);
    await sub.waitUpdate('m1', 'TASK_RUNNING');
    const window = { machine_ids: [machine], unavailability: { start: { nanoseconds: 4e18 }, duration: { nanoseconds: 3600e9 } } };
    expect((await postJson(`${master.url}/maintenance/schedule`, { windows: [window] })).status).toBe(200);
    const ev = await sub.waitEvent((e) => e.type === 'INVERSE_OFFERS', { what: 'inverse offer' });
    const io = (ev as unknown as { inverse_offers: { inverse_offers: { id: { value: string }; agent_id: { value: string } }[] } }).inverse_offers.inverse_offers[0];
    expect(io?.agent_id.value).toBe(agentId);
    const answer = await sub.call({ framework_id: { value: sub.frameworkId }, type: 'ACCEPT_INVERSE_OFFERS', accept_inverse_offers: { inverse_offer_ids: [io?.id] } });
    expect(answer.status).toBe(202);
    const status = await waitFor(
      async () => {
        const st = await getJson<{ draining_machines?: { statuses?: { status: string; framework_id: { value: string } }[] }[] }>(`${master.url}/maintenance/status`);
        const s = st.draining_machines?.[0]?.statuses?.[0];
        return s?.status === 'ACCEPT' ? s : undefined;
      },
      { timeoutMs: 10_000, what: 'ACCEPT in /maintenance/status' },
    );
    expect(status.framework_id.value).toBe(sub.frameworkId);
    expect((await postJson(`${master.url}/machine/down`, [machine])).status).toBe(200);
    const ended = await sub.waitUpdate('m1', ['TASK_LOST', 'TASK_GONE', 'TASK_KILLED']);
    expect(ended.state).toBe('TASK_LOST');
    const down = await getJson<{ down_machines?: unknown[] }>(`${master.url}/maintenance/status`);
    expect(down.down_machines).toEqual([machine]);
    expect((await postJson(`${master.url}/machine/up`, [machine])).status).toBe(200);
    const fresh = await startAgent({ master, flags: FAST_AGENT_FLAGS, name: 'agent-after-up' });
    const freshId = await waitFor(async () => (await slaves(master)).find((s) => s.port === fresh.port)?.id, { timeoutMs: 20_000, what: 'agent registered after up' });
    const again = await sub.takeOffer((o) => o.agent_id.value === freshId, { timeoutMs: 15_000 });
    expect((again as unknown as { unavailability?: unknown }).unavailability).toBeUndefined();
    await sub.teardown();
  });
});
