/**
 * Issue 6 end to end: a 3-server ZooKeeper ensemble, 3 masters with --zk, 2 agents and a framework (the
 * scheduler SDK) all given the zk:// URL. The framework runs 10 tasks; kill -9 the leader: a new leader is
 * elected, the agents re-register, the framework re-subscribes and reconciles, and all 10 tasks are still
 * RUNNING with no terminal update anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OfferJson, TaskStatusJson } from '../../src/api/mesos/common.js';
import { parseResources } from '../../src/core/resources.js';
import { SchedulerClient, taskResourcesFromOffer } from '../../src/scheduler/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { startAgent, startMaster, type Daemon } from '../helpers/daemons.js';
import { rawRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { startZooKeeper, type ZkEnsemble } from '../helpers/zookeeper.js';

useCleanup({ perTest: false });

let zk: ZkEnsemble;

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 3 });
}, 90_000);

afterAll(async () => {
  await zk.stop();
});

async function json<T>(m: Daemon, path: string): Promise<T | undefined> {
  const res = await rawRequest(`${m.url}${path}`, { timeoutMs: 3000 }).catch(() => undefined);
  return res?.status === 200 ? (JSON.parse(res.body) as T) : undefined;
}

const elected = async (m: Daemon): Promise<boolean> => (await json<Record<string, number>>(m, '/metrics/snapshot'))?.['master/elected'] === 1;

describe('HA failover', () => {
  it('kill -9 the leader: new leader, agents re-register, framework re-subscribes, 10 tasks stay RUNNING', async () => {
    const flags = { zk: zk.url('agora'), zk_session_timeout: '3secs' };
    const masters = [await startMaster({ flags, name: 'hm1' })];
    await waitFor(() => elected(masters[0] as Daemon), { timeoutMs: 20_000, what: 'first master elected' });
    masters.push(await startMaster({ flags, name: 'hm2' }), await startMaster({ flags, name: 'hm3' }));
    await Promise.all([1, 2].map((i) => startAgent({ master: flags.zk, name: `ha-agent-${i}`, flags: { registration_backoff_factor: '100ms' } })));

    const states = new Map<string, string>();
    const terminal: string[] = [];
    let launched = 0;
    const want = parseResources('cpus:0.1;mem:16');
    const client = new SchedulerClient({ master: flags.zk, zkSessionTimeoutMs: 3000, backoff: { initialMs: 100, maxMs: 1000, factor: 2 } });
    try {
      const onOffers = async (offers: readonly OfferJson[]): Promise<void> => {
        for (const offer of offers) {
          const tasks = [];
          // Five small tasks per offer (an agent offers cpus:2;mem:1024): the two agents carry the ten tasks.
          const resources = taskResourcesFromOffer(offer, want);
          for (let i = 0; i < 5 && launched < 10 && resources !== undefined; i++) {
            const id = `t${launched++}`;
            tasks.push({ name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, command: { value: 'sleep 600' } });
          }
          if (tasks.length > 0) await client.launch([offer.id.value], tasks);
          else await client.decline([offer.id.value], { refuse_seconds: 3600 });
        }
      };
      const onUpdate = async (status: TaskStatusJson): Promise<void> => {
        states.set(status.task_id.value, status.state);
        if (!['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING'].includes(status.state)) terminal.push(`${status.task_id.value}:${status.state}:${status.reason ?? ''}`);
        await client.acknowledgeUpdate(status);
      };
      await client.subscribe({ user: 'root', name: 'ha-framework', failover_timeout: 3600, checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }] }, { onOffers, onUpdate });
      await waitFor(() => states.size === 10 && [...states.values()].every((s) => s === 'TASK_RUNNING'), { timeoutMs: 30_000, what: '10 tasks RUNNING' });

      const leader = masters[0] as Daemon;
      await leader.kill('SIGKILL');
      const next = await waitFor(async () => {
        for (const m of masters.slice(1)) if (await elected(m)) return m;
        return undefined;
      }, { timeoutMs: 20_000, what: 'a new leader' });
      await waitFor(async () => (await json<{ slaves: { active: boolean }[] }>(next, '/master/slaves'))?.slaves.filter((a) => a.active).length === 2, { timeoutMs: 20_000, what: 'both agents re-registered' });
      await waitFor(async () => (await json<{ frameworks: { name: string; active: boolean }[] }>(next, '/master/frameworks'))?.frameworks.some((f) => f.name === 'ha-framework' && f.active), { timeoutMs: 20_000, what: 'framework re-subscribed' });
      await client.reconcile([]);
      await waitFor(async () => {
        const tasks = (await json<{ tasks: { id: string; state: string }[] }>(next, '/master/tasks'))?.tasks ?? [];
        return tasks.filter((t) => t.state === 'TASK_RUNNING').length === 10;
      }, { timeoutMs: 20_000, what: 'new leader knows 10 RUNNING tasks' });
      expect(terminal).toEqual([]);
      expect([...states.values()].every((s) => s === 'TASK_RUNNING')).toBe(true);
    } finally {
      await client.close();
    }
  }, 90_000);
});
