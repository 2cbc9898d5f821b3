/**
 * Issue 6, standbys (spec §1.6): two real masters on a real ZooKeeper. The standby serves `/flags`,
 * `/health`, `/version` (and `/help`, `/files/*`, `/metrics/snapshot`) itself; the scheduler API, the
 * operator API and `/master/state` sent to it are redirected, and real clients following the redirect reach
 * the leader: the scheduler SDK subscribes through the standby's URL, `fetch` (undici) re-POSTs GET_STATE
 * to the leader and GETs the leader's `/master/state`.
 */
import { describe, expect, it } from 'vitest';
import { SchedulerClient } from '../../src/scheduler/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { startMaster, type Daemon } from '../helpers/daemons.js';
import { postJson, rawRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { useZooKeeper } from '../helpers/use-zookeeper.js';

useCleanup({ perTest: false });

const zk = useZooKeeper();

async function elected(m: Daemon): Promise<number | undefined> {
  const res = await rawRequest(`${m.url}/metrics/snapshot`, { timeoutMs: 2000 }).catch(() => undefined);
  return res?.status === 200 ? (JSON.parse(res.body) as Record<string, number>)['master/elected'] : undefined;
}

describe('standby masters', () => {
  it('serve the local endpoints themselves and redirect the rest to the leader', async () => {
    const flags = { zk: zk.url('agora-sb'), zk_session_timeout: '2secs', heartbeat_interval: '1secs' };
    const [m1, m2] = await Promise.all([startMaster({ flags, name: 'sb-m1' }), startMaster({ flags, name: 'sb-m2' })]);
    const [leader, standby] = await waitFor(async () => {
      const [e1, e2] = [await elected(m1), await elected(m2)];
      if (e1 === 1 && e2 === 0) return [m1, m2] as const;
      if (e1 === 0 && e2 === 1) return [m2, m1] as const;
      return undefined;
    }, { timeoutMs: 20_000, what: 'one leader and one standby' });
    // The standby must know the leader (it redirects rather than answering 503).
    await waitFor(async () => (await rawRequest(`${standby.url}/redirect`)).status === 307, { what: 'the standby detects the leader' });

    // Served by the standby itself.
    const flagsRes = await rawRequest(`${standby.url}/flags`);
    expect(flagsRes.status).toBe(200);
    expect((JSON.parse(flagsRes.body) as { flags: Record<string, string> }).flags).toMatchObject({ port: String(standby.port), zk: flags.zk });
    expect((await rawRequest(`${standby.url}/health`)).status).toBe(200);
    const version = await rawRequest(`${standby.url}/version`);
    expect([version.status, (JSON.parse(version.body) as { version: string }).version]).toEqual([200, '1.12.0']);
    expect((await rawRequest(`${standby.url}/help`)).status).toBe(200);
    expect((await rawRequest(`${standby.url}/files/debug`)).status).toBe(200);
    expect(await elected(standby)).toBe(0);

    // Redirected: raw answers.
    const location = `//127.0.0.1:${leader.port}`;
    const sub = await postJson(`${standby.url}/api/v1/scheduler`, { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'root', name: 'x' } } });
    expect([sub.status, sub.headers.location]).toEqual([307, `${location}/api/v1/scheduler`]);
    const op = await postJson(`${standby.url}/api/v1`, { type: 'GET_STATE' });
    expect([op.status, op.headers.location]).toEqual([307, `${location}/api/v1`]);
    const st = await rawRequest(`${standby.url}/master/state`);
    expect([st.status, st.headers.location]).toEqual([307, `${location}/master/state`]);

    // Real clients following the redirect reach the leader.
    const getState = await fetch(`${standby.url}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ type: 'GET_STATE' }), redirect: 'follow' });
    expect(getState.status).toBe(200);
    expect(getState.url).toBe(`http://127.0.0.1:${leader.port}/api/v1`);
    expect(((await getState.json()) as { type: string }).type).toBe('GET_STATE');
    const state = await fetch(`${standby.url}/master/state`, { redirect: 'follow' });
    expect(state.status).toBe(200);
    expect(((await state.json()) as { leader: string }).leader).toBe(`master@127.0.0.1:${leader.port}`);

    const client = new SchedulerClient({ master: standby.url, backoff: { initialMs: 100, maxMs: 1000, factor: 2 } });
    try {
      await client.subscribe({ user: 'root', name: 'sb-framework', failover_timeout: 60 }, {});
      await waitFor(async () => {
        const res = await rawRequest(`${leader.url}/master/frameworks`);
        return (JSON.parse(res.body) as { frameworks: { name: string; active: boolean }[] }).frameworks.some((f) => f.name === 'sb-framework' && f.active);
      }, { timeoutMs: 20_000, what: 'the framework subscribed on the leader through the standby' });
    } finally {
      await client.close();
    }
  }, 60_000);
});
