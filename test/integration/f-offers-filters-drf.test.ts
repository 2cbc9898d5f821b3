// Acceptance (f): DECLINE filters hold for refuse_seconds unless the framework revives; SUPPRESS stops offers;
// two frameworks share the cluster by DRF so that neither starves.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { commandTask, delay, offered, openFramework, startCluster, subscribeCall, waitFor, type Subscription } from '../helpers/index.js';

useCleanup();

describe('acceptance (f): offer filters, revive, suppress, DRF', () => {
  it('does not re-offer a declined agent before refuse_seconds unless the framework revives; SUPPRESS stops offers', async () => {
    const { master, agentIds } = await startCluster({ agents: 2 });
    const [a1, a2] = agentIds as [string, string];
    const sub = await openFramework(master.url, subscribeCall({ name: 'it-f1' }));
    const o1 = await sub.takeOffer((o) => o.agent_id.value === a1);
    const o2 = await sub.takeOffer((o) => o.agent_id.value === a2);
    const t0 = Date.now();
    expect((await sub.decline([o1.id.value], 3)).status).toBe(202);
    expect((await sub.decline([o2.id.value], 1)).status).toBe(202);
    const mark = sub.offers.length;

    // a2's 1 s filter expires and it comes back (allocation is running); a1 stays filtered.
    const o2b = await sub.takeOffer((o) => o.agent_id.value === a2, { timeoutMs: 5000, what: 'a2 re-offered after its 1 s filter' });
    const waitUntil = t0 + 2000;
    if (Date.now() < waitUntil) await delay(waitUntil - Date.now());
    expect(sub.offers.slice(mark).filter((o) => o.agent_id.value === a1).map((o) => `${o.id.value} after ${Date.now() - t0} ms`)).toEqual([]);

    // REVIVE clears the filter: a1 comes at once (well before the 3 s filter would expire).
    const tRevive = Date.now();
    expect((await sub.revive()).status).toBe(202);
    const o1b = await sub.takeOffer((o) => o.agent_id.value === a1, { timeoutMs: 3000, what: 'a1 offered after REVIVE' });
    const reviveLatency = Date.now() - tRevive;
    expect(reviveLatency).toBeLessThan(900);
    expect(Date.now() - t0).toBeLessThan(3000);

    // SUPPRESS, then give everything back without a filter: no offers while suppressed.
    expect((await sub.suppress()).status).toBe(202);
    const held = [o1b.id.value, o2b.id.value, ...sub.outstanding().map((o) => o.id.value)];
    sub.markUsed(held);
    expect((await sub.decline(held, 0)).status).toBe(202);
    const mark2 = sub.offers.length;
    await delay(1500);
    expect(sub.offers.slice(mark2).map((o) => o.agent_id.value)).toEqual([]);
    // REVIVE un-suppresses.
    expect((await sub.revive()).status).toBe(202);
    await sub.takeOffer(undefined, { timeoutMs: 3000, what: 'offer after REVIVE of a suppressed framework' });
  });

  it('shares two agents between two greedy frameworks by DRF', async () => {
    const { master } = await startCluster({ agents: 2 });
    const subs = await Promise.all([
      openFramework(master.url, subscribeCall({ name: 'it-drf-1' }), { autoAck: true }),
      openFramework(master.url, subscribeCall({ name: 'it-drf-2' }), { autoAck: true }),
    ]);
    const launched: string[] = [];
    let stop = false;
    // Each framework takes one 0.5-cpu task out of every offer it gets and returns the rest unfiltered.
    const greedy = async (sub: Subscription, label: string): Promise<void> => {
      let n = 0;
      while (!stop) {
        const o = await sub.takeOffer(undefined, { timeoutMs: 500 }).catch(() => undefined);
        if (o === undefined) continue;
        if (stop) break;
        if (offered(o, 'cpus') >= 0.5 && offered(o, 'mem') >= 128) {
          const id = `${label}-${n++}`;
          launched.push(label);
          await sub.accept([o.id.value], [commandTask({ id, agentId: o.agent_id.value, shell: 'sleep 1000', cpus: 0.5, mem: 128 })], { refuse_seconds: 0 });
        } else {
          await sub.decline([o.id.value], 0);
        }
      }
    };
    const loops = [greedy(subs[0], 'A'), greedy(subs[1], 'B')];
    // 2 agents × 2 cpus = 8 tasks of 0.5 cpus.
    await waitFor(() => launched.length >= 8, { timeoutMs: 30_000, what: `8 launches (so far ${launched.join('')})` });
    stop = true;
    await Promise.all(loops);
    for (const s of subs) s.close();
    const a = launched.filter((x) => x === 'A').length;
    const b = launched.filter((x) => x === 'B').length;
    // DRF: neither framework starves; the split is even within one task.
    expect(Math.min(a, b), `launch order ${launched.join('')}`).toBeGreaterThanOrEqual(3);
    expect(Math.abs(a - b), `launch order ${launched.join('')}`).toBeLessThanOrEqual(2);
  });
});
