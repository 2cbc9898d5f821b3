/**
 * The launch path in batches (ADR 0046): a scale-up's scheduled instances, an offer round's staged instances
 * and updates that arrive together are each stored as one Store batch; acknowledgements leave only after
 * it; a scale-up revives at once and a deployment ends as soon as its app converged (no tick needed).
 */
import { describe, expect, it, vi } from 'vitest';
import type { StoreWrite } from '../../../src/coordination/index.js';
import { harness, offer } from './harness.js';

const INSTANCE_KEY = /^apps\/instance\//;

/** Records the instance writes of each put / putMany call of the harness's store, and the acks, in order. */
function recordWrites(h: ReturnType<typeof harness>): { log: string[]; batches: number[] } {
  const log: string[] = [];
  const batches: number[] = [];
  const put = h.store.put.bind(h.store);
  vi.spyOn(h.store, 'put').mockImplementation((key, value, expected) => {
    if (INSTANCE_KEY.test(key)) {
      log.push('put');
      batches.push(1);
    }
    return put(key, value, expected);
  });
  const putMany = h.store.putMany.bind(h.store);
  vi.spyOn(h.store, 'putMany').mockImplementation((writes: readonly StoreWrite[]) => {
    const n = writes.filter((w) => INSTANCE_KEY.test(w.key)).length;
    if (n > 0) {
      log.push(`putMany ${n}`);
      batches.push(n);
    }
    return putMany(writes);
  });
  const ack = h.driver.acknowledgeUpdate.bind(h.driver);
  vi.spyOn(h.driver, 'acknowledgeUpdate').mockImplementation((s) => {
    log.push('ack');
    return ack(s);
  });
  const launch = h.driver.launch.bind(h.driver);
  vi.spyOn(h.driver, 'launch').mockImplementation((o, t, f) => {
    log.push(`launch ${t.length}`);
    return launch(o, t, f);
  });
  return { log, batches };
}

describe('apps launch path in batches (ADR 0046)', () => {
  it('stores the scale-up and then each offer round as one batch, before any ACCEPT', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'big', cmd: 'x', cpus: 0.01, mem: 1, instances: 0 });
    await h.runtime.tick(); // the creation's deployment ends
    const { log } = recordWrites(h);
    expect((await h.inject('PUT', '/v2/apps/big', { instances: 12 })).status).toBe(200);
    expect(log).toEqual(['putMany 12']);
    expect([...h.state.instances.values()].every((i) => i.state === 'SCHEDULED')).toBe(true);
    // Three offers, 5 per offer at most: 12 staged in one write, then one ACCEPT per offer.
    await h.runtime.onOffers([offer('h1'), offer('h2'), offer('h3')]);
    expect(log.slice(1)).toEqual(['putMany 12', 'launch 5', 'launch 5', 'launch 2']);
    expect(h.state.instancesOf('/big').map((i) => i.state)).toEqual(Array(12).fill('TASK_STAGING'));
    // Nothing waits any more: the default refuse filter applies to every ACCEPT of the round.
    expect(h.driver.launched.map((l) => l.filters)).toEqual([undefined, undefined, undefined]);
    // The stored copies are the staged ones (a restart finds them staging, not scheduled).
    const reloaded = await h.repo.load();
    expect(reloaded.instances.map((i) => i.state)).toEqual(Array(12).fill('TASK_STAGING'));
  });

  it('keeps one instance per offer slot: the rest of a round waits for the next offers', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'web', cmd: 'x', cpus: 1, mem: 1, instances: 6 });
    // 2 cpus per offer: two instances each, the remaining two wait and the ACCEPTs hand the rest back at once.
    await h.runtime.onOffers([offer('h1', { cpus: 2 }), offer('h2', { cpus: 2 })]);
    expect(h.driver.launched.map((l) => l.tasks.length)).toEqual([2, 2]);
    expect(h.driver.launched.map((l) => l.filters)).toEqual([{ refuse_seconds: 0 }, { refuse_seconds: 0 }]);
    expect(h.state.instancesOf('/web').filter((i) => i.state === 'SCHEDULED')).toHaveLength(2);
  });

  it('applies updates that arrive together in one batch and acknowledges them after it', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'u', cmd: 'x', cpus: 0.01, mem: 1, instances: 10 });
    await h.runtime.onOffers([offer('h1'), offer('h2')]);
    const ids = h.driver.tasks.map((t) => t.task_id.value);
    expect(ids).toHaveLength(10);
    const { log } = recordWrites(h);
    await Promise.all(ids.map((id) => h.update(id, 'TASK_RUNNING')));
    expect(log).toEqual(['putMany 10', ...Array<string>(10).fill('ack')]);
    expect(h.driver.acked).toHaveLength(10);
    expect(h.state.instancesOf('/u').every((i) => i.state === 'TASK_RUNNING' && i.startedAt !== undefined)).toBe(true);
  });

  it('keeps stream order inside a batch: RUNNING then FAILED of one task, beside plain updates of others', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'm', cmd: 'x', cpus: 0.01, mem: 1, instances: 3 });
    await h.runtime.onOffers([offer('h1')]);
    const [a, b, c] = h.driver.tasks.map((t) => t.task_id.value) as [string, string, string];
    await Promise.all([h.update(a, 'TASK_RUNNING'), h.update(b, 'TASK_RUNNING'), h.update(b, 'TASK_FAILED', { uuid: 'fail-b' }), h.update(c, 'TASK_RUNNING')]);
    const insts = h.state.instancesOf('/m');
    expect(insts.filter((i) => i.state === 'TASK_RUNNING').map((i) => i.taskId).sort()).toEqual([a, c].sort());
    // b is gone and replaced by a new scheduled instance; its failure is recorded.
    expect(insts.find((i) => i.taskId === b)).toBeUndefined();
    expect(insts.filter((i) => i.state === 'SCHEDULED')).toHaveLength(1);
    expect(h.state.failures.get('/m')?.taskId).toBe(b);
    expect(h.driver.acked).toHaveLength(4);
    // Durable as in memory.
    const stored = await h.repo.load();
    expect(stored.instances.map((i) => i.state).sort()).toEqual(['SCHEDULED', 'TASK_RUNNING', 'TASK_RUNNING']);
  });

  it('revives on a scale-up without waiting for a tick, and ends the deployment once converged', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'r', cmd: 'x', cpus: 0.01, mem: 1, instances: 0 });
    await h.runtime.tick();
    const before = h.driver.revives;
    expect((await h.inject('PUT', '/v2/apps/r', { instances: 2 })).status).toBe(200);
    expect(h.driver.revives).toBe(before + 1);
    await h.runtime.onOffers([offer('h1')]);
    expect((await h.inject('GET', '/v2/deployments')).json).toHaveLength(1);
    for (const t of h.driver.tasks) await h.update(t.task_id.value, 'TASK_RUNNING');
    expect((await h.inject('GET', '/v2/deployments')).json).toEqual([]);
  });

  it('does not wait for ACCEPT answers; a failed ACCEPT puts its instances back to SCHEDULED', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'a', cmd: 'x', cpus: 0.01, mem: 1, instances: 4 });
    let fail: (e: Error) => void = () => undefined;
    vi.spyOn(h.driver, 'launch').mockImplementationOnce(() => new Promise<void>((_, reject) => (fail = reject)));
    await h.runtime.onOffers([offer('h1', { cpus: 0.02 }), offer('h2')]);
    // The first ACCEPT has not answered yet; the second offer's instances are launched, updates flow.
    const second = h.driver.tasks.map((t) => t.task_id.value);
    expect(second).toHaveLength(2);
    await h.update(second[0] ?? '', 'TASK_RUNNING');
    fail(new Error('master unreachable'));
    await new Promise((r) => setImmediate(r)); // the rejection is handled, its reschedule queued
    await h.state.serial(() => undefined);
    const states = h.state.instancesOf('/a').map((i) => i.state).sort();
    expect(states).toEqual(['SCHEDULED', 'SCHEDULED', 'TASK_RUNNING', 'TASK_STAGING']);
  });

  it('does not acknowledge updates whose batch could not be stored (the agent resends them)', async () => {
    const h = harness();
    await h.inject('POST', '/v2/apps', { id: 'f', cmd: 'x', cpus: 0.01, mem: 1, instances: 2 });
    await h.runtime.onOffers([offer('h1')]);
    vi.spyOn(h.store, 'putMany').mockRejectedValueOnce(new Error('disk full'));
    const results = await Promise.allSettled(h.driver.tasks.map((t) => h.update(t.task_id.value, 'TASK_RUNNING')));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(h.driver.acked).toEqual([]);
    expect(h.state.instancesOf('/f').map((i) => i.state)).toEqual(['TASK_STAGING', 'TASK_STAGING']);
  });
});
