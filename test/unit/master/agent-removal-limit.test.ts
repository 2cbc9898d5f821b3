/**
 * `--agent_removal_rate_limit` (ADR 0042): the limiter alone (FakeClock), then the master's two unreachable
 * paths through it — ping timeouts and `--agent_reregister_timeout` after a restart — with upstream's
 * `master/slave_unreachable_scheduled/completed/canceled` metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { MemoryStore } from '../../../src/coordination/index.js';
import { RemovalRateLimiter, parseRemovalRate } from '../../../src/master/agent-removal-limit.js';
import { FakeAgent, startHarness, waitFor, type Harness } from './harness.js';

const open: Harness[] = [];
async function harness(flags: Record<string, string>, store = new MemoryStore()): Promise<Harness> {
  const h = await startHarness(flags, store);
  open.push(h);
  return h;
}
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

const metric = (h: Harness, name: string): number => h.master.counters.get(name);
const stateOf = (h: Harness, id: string): string | undefined => h.master.agents.get(id as never)?.state;

describe('parseRemovalRate', () => {
  it('accepts <count>/<duration>', () => {
    expect(parseRemovalRate('1/10mins')).toEqual({ permits: 1, durationMs: 600_000 });
    expect(parseRemovalRate('5/1secs')).toEqual({ permits: 5, durationMs: 1000 });
  });
  it.each(['', '1', '0/1secs', '-1/1secs', 'x/1secs', '1/', '1/abc', '1/0secs', '1.5/1secs'])('rejects %j', (text) => {
    expect(() => parseRemovalRate(text)).toThrow(/agent_removal_rate_limit/);
  });
});

describe('RemovalRateLimiter', () => {
  it('grants the first permit at once, then one per duration/count, in FIFO order', async () => {
    const clock = new FakeClock();
    const limiter = new RemovalRateLimiter(clock, { permits: 2, durationMs: 10_000 });
    const ran: string[] = [];
    const req = (name: string) => ({ due: () => true, run: () => ran.push(`${name}@${clock.now()}`), canceled: () => ran.push(`${name}:canceled`) });
    const t0 = clock.now();
    limiter.acquire(req('a'));
    limiter.acquire(req('b'));
    limiter.acquire(req('c'));
    expect(ran).toEqual([`a@${t0}`]);
    expect(limiter.pending).toBe(2);
    await clock.advance(4999);
    expect(ran).toHaveLength(1);
    await clock.advance(1);
    expect(ran).toEqual([`a@${t0}`, `b@${t0 + 5000}`]);
    await clock.advance(5000);
    expect(ran).toEqual([`a@${t0}`, `b@${t0 + 5000}`, `c@${t0 + 10_000}`]);
    // Idle for more than an interval: the next permit is immediate again.
    await clock.advance(20_000);
    limiter.acquire(req('d'));
    expect(ran.at(-1)).toBe(`d@${t0 + 30_000}`);
  });
  it('a canceled or no-longer-due request uses no permit', async () => {
    const clock = new FakeClock();
    const limiter = new RemovalRateLimiter(clock, { permits: 1, durationMs: 1000 });
    const ran: string[] = [];
    let bDue = true;
    limiter.acquire({ due: () => true, run: () => ran.push('a'), canceled: () => ran.push('a:canceled') });
    const b = limiter.acquire({ due: () => bDue, run: () => ran.push('b'), canceled: () => ran.push('b:canceled') });
    const c = limiter.acquire({ due: () => true, run: () => ran.push('c'), canceled: () => ran.push('c:canceled') });
    limiter.acquire({ due: () => true, run: () => ran.push('d'), canceled: () => ran.push('d:canceled') });
    expect(c.cancel()).toBe(true);
    expect(c.cancel()).toBe(false);
    bDue = false;
    await clock.advance(1000);
    // b is no longer due and c was canceled: d gets the permit b would have used.
    expect(ran).toEqual(['a', 'c:canceled', 'b:canceled', 'd']);
    expect(b.cancel()).toBe(false);
  });
  it('stop() drops the queue and its timer', async () => {
    const clock = new FakeClock();
    const limiter = new RemovalRateLimiter(clock, { permits: 1, durationMs: 1000 });
    const ran: string[] = [];
    limiter.acquire({ due: () => true, run: () => ran.push('a'), canceled: () => ran.push('x') });
    limiter.acquire({ due: () => true, run: () => ran.push('b'), canceled: () => ran.push('x') });
    limiter.stop();
    await clock.advance(5000);
    expect(ran).toEqual(['a']);
    expect(clock.pending()).toBe(0);
  });
});

describe('master with --agent_removal_rate_limit', () => {
  it('ping timeouts: agents are marked unreachable one per interval; a PONG before its turn cancels', async () => {
    const h = await harness({ agent_ping_timeout: '1secs', max_agent_ping_timeouts: '1', agent_removal_rate_limit: '1/10secs' });
    const a = await FakeAgent.subscribe(h);
    const b = await FakeAgent.subscribe(h);
    const c = await FakeAgent.subscribe(h);
    // First tick sends PING; nobody answers; the second tick counts the miss for all three.
    await h.clock.advance(1000);
    await h.clock.advance(1000);
    await waitFor(() => metric(h, 'master/slave_unreachable_scheduled') === 3, 'three markings scheduled');
    const unreachable = [a, b, c].filter((x) => stateOf(h, x.agentId) === 'unreachable');
    expect(unreachable).toHaveLength(1);
    expect(metric(h, 'master/slave_unreachable_completed')).toBe(1);
    // One of the two queued agents answers a ping: its marking is canceled without using a permit.
    const [q1, q2] = [a, b, c].filter((x) => stateOf(h, x.agentId) !== 'unreachable');
    if (q1 === undefined || q2 === undefined) throw new Error('expected two queued agents');
    expect((await q1.call('PONG')).status).toBe(202);
    expect(metric(h, 'master/slave_unreachable_canceled')).toBe(1);
    // A queued agent keeps being pinged (so that it can still answer).
    const pings = q2.stream.of('PING').length;
    await h.clock.advance(1000);
    await waitFor(() => q2.stream.of('PING').length > pings, 'PING to the queued agent');
    await h.clock.advance(7000);
    expect(stateOf(h, q2.agentId)).toBe('registered');
    await h.clock.advance(2000);
    await waitFor(() => stateOf(h, q2.agentId) === 'unreachable', 'second marking after 10 s');
    expect(metric(h, 'master/slave_unreachable_completed')).toBe(2);
    expect(stateOf(h, q1.agentId)).toBe('registered');
  });

  it('recovered agents past --agent_reregister_timeout: rate limited; re-registering before its turn cancels', async () => {
    const store = new MemoryStore();
    const first = await harness({}, store);
    const agents = [await FakeAgent.subscribe(first), await FakeAgent.subscribe(first), await FakeAgent.subscribe(first)];
    await first.master.registry.drain();
    await first.close();
    for (const x of agents) x.stream.close();

    const h = await harness({ agent_reregister_timeout: '5secs', agent_removal_rate_limit: '1/1mins' }, store);
    expect(agents.map((x) => stateOf(h, x.agentId))).toEqual(['recovered', 'recovered', 'recovered']);
    await h.clock.advance(5000);
    expect(metric(h, 'master/slave_unreachable_scheduled')).toBe(3);
    expect(metric(h, 'master/slave_unreachable_completed')).toBe(1);
    expect(metric(h, 'master/recovery_slave_removals')).toBe(1);
    const queued = agents.filter((x) => stateOf(h, x.agentId) === 'recovered');
    expect(queued).toHaveLength(2);
    const back = queued[0] as FakeAgent;
    const again = await FakeAgent.subscribe(h, { agentId: back.agentId, port: 6000 });
    expect(again.agentId).toBe(back.agentId);
    expect(metric(h, 'master/slave_unreachable_canceled')).toBe(1);
    await h.clock.advance(60_000);
    const last = queued[1] as FakeAgent;
    await waitFor(() => stateOf(h, last.agentId) === 'unreachable', 'the other recovered agent unreachable a minute later');
    expect(stateOf(h, back.agentId)).toBe('registered');
    expect(metric(h, 'master/slave_unreachable_completed')).toBe(2);
  });

  it('without the flag every marking completes at once', async () => {
    const h = await harness({ agent_ping_timeout: '1secs', max_agent_ping_timeouts: '1' });
    const agents = [await FakeAgent.subscribe(h), await FakeAgent.subscribe(h)];
    await h.clock.advance(2000);
    await waitFor(() => agents.every((x) => stateOf(h, x.agentId) === 'unreachable'), 'both unreachable');
    expect([metric(h, 'master/slave_unreachable_scheduled'), metric(h, 'master/slave_unreachable_completed'), metric(h, 'master/slave_unreachable_canceled')]).toEqual([2, 2, 0]);
  });

  it('an invalid rate is refused at start-up', async () => {
    await expect(startHarness({ agent_removal_rate_limit: '1per10mins' })).rejects.toThrow(/agent_removal_rate_limit/);
  });
});
