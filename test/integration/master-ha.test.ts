/**
 * `agora master --zk`: two real master processes on one ZooKeeper server. One is elected (`master/elected`
 * 1), the standby redirects leader-only endpoints with a protocol-relative Location (a client following it
 * reaches the leader); kill -9 the leader and the standby takes over after the session timeout.
 */
import { describe, expect, it } from 'vitest';
import { ZkStore, parseZkUrl } from '../../src/coordination/index.js';
import { SchedulerClient } from '../../src/scheduler/index.js';
import { SystemClock } from '../../src/core/clock.js';
import { useCleanup } from '../helpers/cleanup.js';
import { startAgent, startMaster, type Daemon } from '../helpers/daemons.js';
import { postJson, rawRequest } from '../helpers/http.js';
import { subscribeCall } from '../helpers/mesos.js';
import { openFramework, subscribe } from '../helpers/scheduler-client.js';
import { waitFor } from '../helpers/wait.js';
import { useZooKeeper } from '../helpers/use-zookeeper.js';

useCleanup({ perTest: false });

const zk = useZooKeeper();

async function elected(m: Daemon): Promise<number | undefined> {
  try {
    const res = await rawRequest(`${m.url}/metrics/snapshot`, { timeoutMs: 2000 });
    return res.status === 200 ? (JSON.parse(res.body) as Record<string, number>)['master/elected'] : undefined;
  } catch {
    return undefined;
  }
}

describe('agora master --zk', () => {
  it('elects one master, redirects from the standby, and fails over on kill -9', async () => {
    const flags = { zk: zk.url('agora-ha'), zk_session_timeout: '2secs' };
    const m1 = await startMaster({ flags, name: 'm1' });
    const m2 = await startMaster({ flags, name: 'm2' });
    const [leader, standby] = await waitFor(
      async () => {
        const [e1, e2] = [await elected(m1), await elected(m2)];
        if (e1 === 1 && e2 === 0) return [m1, m2] as const;
        if (e1 === 0 && e2 === 1) return [m2, m1] as const;
        return undefined;
      },
      { timeoutMs: 20_000, what: 'exactly one elected master' },
    );
    expect((await rawRequest(`${leader.url}/master/state`)).status).toBe(200);

    const state = await rawRequest(`${standby.url}/master/state?x=1`);
    expect(state.status).toBe(307);
    expect(state.headers.location).toBe(`//127.0.0.1:${leader.port}/master/state?x=1`);
    const call = await postJson(`${standby.url}/api/v1/scheduler`, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n' } } });
    expect(call.status).toBe(307);
    expect(call.headers.location).toBe(`//127.0.0.1:${leader.port}/api/v1/scheduler`);
    const redirect = await rawRequest(`${standby.url}/redirect`);
    expect([redirect.status, redirect.headers.location]).toEqual([307, `//127.0.0.1:${leader.port}`]);
    // A real client resolves the protocol-relative Location against the standby's URL and reaches the leader.
    const followed = await fetch(`${standby.url}/master/state`);
    expect(followed.status).toBe(200);
    expect(((await followed.json()) as { leader?: string }).leader).toBe(`master@127.0.0.1:${leader.port}`);

    // Registry state written by the first leader (a torn-down framework) is recovered by the next one.
    const sub = await openFramework(leader.url, subscribeCall({ name: 'ha-fw', failoverTimeoutSecs: 3600 }));
    const fwId = sub.frameworkId;
    await sub.teardown();
    // The removal is durable in ZooKeeper (the registry's own store) before the leader dies.
    const registry = await ZkStore.open(parseZkUrl(flags.zk), { sessionTimeoutMs: 5000, clock: new SystemClock() });
    try {
      await waitFor(async () => {
        const v = await registry.get(`master/registry/frameworks/${fwId}`);
        return v !== undefined && (JSON.parse(Buffer.from(v.value).toString()) as { removed?: boolean }).removed === true;
      }, { timeoutMs: 10_000, what: 'framework removal in the ZooKeeper registry' });
    } finally {
      await registry.close();
    }

    await leader.kill('SIGKILL');
    await waitFor(async () => (await elected(standby)) === 1, { timeoutMs: 20_000, what: 'standby elected after the leader died' });
    expect((await rawRequest(`${standby.url}/master/state`)).status).toBe(200);
    const again = await subscribe(standby.url, subscribeCall({ id: fwId, name: 'ha-fw', failoverTimeoutSecs: 3600 }));
    await waitFor(() => again.isEnded, { timeoutMs: 10_000, what: 're-subscription of a removed framework refused' }).catch((e: unknown) => {
      throw new Error(`${String(e)}: status ${again.status}, events ${JSON.stringify(again.events).slice(0, 500)}`);
    });
    expect(again.events.map((e) => e.error?.message ?? e.type)).toEqual(['Framework has been removed']);
  }, 60_000);

  it('a leader paused past the session timeout steps down on resume and rejoins as a standby', async () => {
    const flags = { zk: zk.url('agora-ha-pause'), zk_session_timeout: '2secs' };
    const m1 = await startMaster({ flags, name: 'p1' });
    const m2 = await startMaster({ flags, name: 'p2' });
    const [leader, standby] = await waitFor(
      async () => {
        const [e1, e2] = [await elected(m1), await elected(m2)];
        if (e1 === 1 && e2 === 0) return [m1, m2] as const;
        if (e1 === 0 && e2 === 1) return [m2, m1] as const;
        return undefined;
      },
      { timeoutMs: 20_000, what: 'exactly one elected master' },
    );
    process.kill(leader.pid, 'SIGSTOP');
    try {
      await waitFor(async () => (await elected(standby)) === 1, { timeoutMs: 20_000, what: 'standby elected while the leader is paused' });
    } finally {
      process.kill(leader.pid, 'SIGCONT');
    }
    await waitFor(async () => (await elected(leader)) === 0, { timeoutMs: 10_000, what: 'the resumed master serves as a standby' });
    expect(await elected(standby)).toBe(1);
    // As a standby it redirects to the new leader once its detector has seen it (503 "no leader" until then).
    const state = await waitFor(async () => {
      const r = await rawRequest(`${leader.url}/master/state`);
      return r.status === 503 ? undefined : r;
    }, { timeoutMs: 10_000, what: 'the resumed master to learn the new leader' });
    expect([state.status, state.headers.location]).toEqual([307, `//127.0.0.1:${standby.port}/master/state`]);
    expect(leader.log()).toMatch(/lost leadership|stepping down/);
  }, 60_000);

  it('an agent given --master zk://... registers with the leader and follows it to the next one', async () => {
    const flags = { zk: zk.url('agora-ha-agent'), zk_session_timeout: '2secs' };
    const m1 = await startMaster({ flags, name: 'a1' });
    await waitFor(async () => (await elected(m1)) === 1, { timeoutMs: 20_000, what: 'a1 elected' });
    const m2 = await startMaster({ flags, name: 'a2' });
    const agent = await startAgent({ master: flags.zk, name: 'zk-agent' });
    const activeAgents = async (m: Daemon): Promise<string[]> => {
      const res = await rawRequest(`${m.url}/master/slaves`).catch(() => undefined);
      if (res?.status !== 200) return [];
      return (JSON.parse(res.body) as { slaves: { id: string; active: boolean }[] }).slaves.filter((a) => a.active).map((a) => a.id);
    };
    const [id] = await waitFor(async () => {
      const ids = await activeAgents(m1);
      return ids.length === 1 ? ids : undefined;
    }, { timeoutMs: 20_000, what: 'agent registered with a1' });
    await m1.kill('SIGKILL');
    await waitFor(async () => (await elected(m2)) === 1, { timeoutMs: 20_000, what: 'a2 elected' });
    await waitFor(async () => (await activeAgents(m2)).includes(id ?? '?'), { timeoutMs: 20_000, what: 'agent re-registered with a2 under the same id' });
    expect(agent.log()).toContain('leading master changed');
  }, 60_000);

  it('the scheduler SDK given a zk:// master subscribes to the leader and re-subscribes to the next one', async () => {
    const flags = { zk: zk.url('agora-ha-sdk'), zk_session_timeout: '2secs' };
    const m1 = await startMaster({ flags, name: 's1' });
    await waitFor(async () => (await elected(m1)) === 1, { timeoutMs: 20_000, what: 's1 elected' });
    const m2 = await startMaster({ flags, name: 's2' });
    const client = new SchedulerClient({ master: flags.zk, zkSessionTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 500, factor: 2 } });
    try {
      const fwId = await client.subscribe({ user: 'root', name: 'ha-sdk', failover_timeout: 3600 });
      const activeOn = async (m: Daemon): Promise<boolean> => {
        const res = await rawRequest(`${m.url}/master/frameworks`).catch(() => undefined);
        if (res?.status !== 200) return false;
        return (JSON.parse(res.body) as { frameworks: { id: string; active: boolean }[] }).frameworks.some((f) => f.id === fwId && f.active);
      };
      expect(await activeOn(m1)).toBe(true);
      await m1.kill('SIGKILL');
      await waitFor(async () => (await elected(m2)) === 1, { timeoutMs: 20_000, what: 's2 elected' });
      await waitFor(() => activeOn(m2), { timeoutMs: 20_000, what: 'framework re-subscribed to s2 with its id' });
    } finally {
      await client.close();
    }
  }, 60_000);
});
