/**
 * Issue 6 after a failover (spec §6.8): three masters on real ZooKeeper, one agent, a PARTITION_AWARE
 * framework (the scheduler SDK following zk://). The agent is stopped (its task keeps running) and the leader
 * is killed: the new leader recovers the agent from the ZooKeeper registry, gives it
 * `--agent_reregister_timeout`, then marks it unreachable (reconciliation answers TASK_UNREACHABLE: as
 * upstream, tasks are not in the registry, agents report them). The agent comes back: the same
 * task process is RUNNING again (REASON_AGENT_REREGISTERED). MARK_AGENT_GONE through that leader gives
 * TASK_GONE_BY_OPERATOR; after one more failover the next leader still knows the agent is gone (registry)
 * and answers its SUBSCRIBE with SHUTDOWN.
 */
import { describe, expect, it } from 'vitest';
import type { OfferJson, TaskStatusJson } from '../../src/api/mesos/common.js';
import { parseResources } from '../../src/core/resources.js';
import { SchedulerClient, taskResourcesFromOffer } from '../../src/scheduler/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { startAgent, startMaster, type Daemon } from '../helpers/daemons.js';
import { postJson, rawRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { cmdline, listPids } from '../helpers/proc.js';
import { useZooKeeper } from '../helpers/use-zookeeper.js';

useCleanup({ perTest: false });

const zk = useZooKeeper();

async function json<T>(m: Daemon, path: string): Promise<T | undefined> {
  const res = await rawRequest(`${m.url}${path}`, { timeoutMs: 3000 }).catch(() => undefined);
  return res?.status === 200 ? (JSON.parse(res.body) as T) : undefined;
}
const elected = async (m: Daemon): Promise<boolean> => (await json<Record<string, number>>(m, '/metrics/snapshot'))?.['master/elected'] === 1;
async function leaderOf(masters: readonly Daemon[]): Promise<Daemon> {
  return waitFor(async () => {
    for (const m of masters) if (m.exitCode() === undefined && (await elected(m))) return m;
    return undefined;
  }, { timeoutMs: 25_000, what: 'an elected master' });
}

/** Host pids of `sleep <secs>` processes. */
function sleepers(secs: number): number[] {
  return listPids().filter((pid) => cmdline(pid) === `sleep ${secs}`);
}

describe('after a failover', () => {
  it('unreachable after --agent_reregister_timeout, RUNNING on return, MARK_AGENT_GONE, gone survives the next failover', async () => {
    const flags = { zk: zk.url('agora-rr'), zk_session_timeout: '2secs', agent_reregister_timeout: '3secs', allocation_interval: '100ms', heartbeat_interval: '1secs' };
    const agentFlags = { registration_backoff_factor: '100ms', status_update_retry_interval: '500ms' };
    const [masters, agent] = await Promise.all([
      Promise.all(['rr-m1', 'rr-m2', 'rr-m3'].map((name) => startMaster({ flags, name }))),
      startAgent({ master: flags.zk, name: 'rr-agent', flags: agentFlags }),
    ]);
    const first = await leaderOf(masters);

    const updates: TaskStatusJson[] = [];
    const secs = 600 + Math.floor(Math.random() * 10_000);
    let launched = false;
    const client = new SchedulerClient({ master: flags.zk, zkSessionTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000, factor: 2 } });
    try {
      const onOffers = async (offers: readonly OfferJson[]): Promise<void> => {
        for (const offer of offers) {
          const resources = taskResourcesFromOffer(offer, parseResources('cpus:0.1;mem:16'));
          if (!launched && resources !== undefined) {
            launched = true;
            await client.launch([offer.id.value], [{ name: 'rr', task_id: { value: 'rr-task' }, agent_id: offer.agent_id, resources, command: { value: `exec sleep ${secs}` } }]);
          } else await client.decline([offer.id.value], { refuse_seconds: 3600 });
        }
      };
      const onUpdate = async (status: TaskStatusJson): Promise<void> => {
        updates.push(status);
        await client.acknowledgeUpdate(status);
      };
      await client.subscribe({ user: 'root', name: 'rr-framework', failover_timeout: 3600, checkpoint: true, capabilities: [{ type: 'PARTITION_AWARE' }] }, { onOffers, onUpdate });
      const stateSeen = (state: string, from = 0, reason?: string): TaskStatusJson | undefined =>
        updates.slice(from).find((u) => u.state === state && (reason === undefined || u.reason === reason));
      await waitFor(() => stateSeen('TASK_RUNNING'), { timeoutMs: 30_000, what: 'task RUNNING' });
      const agentId = stateSeen('TASK_RUNNING')?.agent_id?.value ?? '';
      await waitFor(() => sleepers(secs).length === 1, { what: 'the task process' });
      const pid = sleepers(secs)[0];

      // Agent away (its task keeps running), then the leader dies.
      await agent.stop();
      await first.kill('SIGKILL');
      const second = await leaderOf(masters.filter((m) => m !== first));
      // The new leader knows the agent from the registry but not its tasks (agents report them when they
      // re-register, as upstream): once the agent is unreachable, explicit reconciliation answers
      // TASK_UNREACHABLE for its task.
      await waitFor(async () => (await json<Record<string, number>>(second, '/metrics/snapshot'))?.['master/slave_unreachable_completed'] === 1, {
        timeoutMs: 30_000,
        what: 'the recovered agent marked unreachable after --agent_reregister_timeout',
      });
      const snapshot = await json<Record<string, number>>(second, '/metrics/snapshot');
      expect(snapshot?.['master/recovery_slave_removals']).toBe(1);
      expect(snapshot?.['master/slave_unreachable_scheduled']).toBe(1);
      const state = await json<{ unreachable_slaves: number; recovered_slaves?: unknown[] }>(second, '/master/state');
      expect(state?.unreachable_slaves).toBe(1);
      const beforeReconcile = updates.length;
      await waitFor(async () => {
        await client.reconcile([{ taskId: 'rr-task', agentId }]);
        return waitFor(() => stateSeen('TASK_UNREACHABLE', beforeReconcile), { timeoutMs: 2000 }).catch(() => undefined);
      }, { timeoutMs: 20_000, what: 'TASK_UNREACHABLE by reconciliation' });
      const unreachable = stateSeen('TASK_UNREACHABLE', beforeReconcile);
      expect(unreachable?.reason).toBe('REASON_RECONCILIATION');
      expect(unreachable?.unreachable_time).toBeDefined();
      expect(sleepers(secs)).toEqual([pid]);

      // The agent returns: the same process is RUNNING again.
      const back = updates.length;
      const again = await startAgent({ master: flags.zk, name: 'rr-agent-2', port: agent.port, workDir: agent.workDir, flags: agentFlags });
      const running = await waitFor(() => stateSeen('TASK_RUNNING', back), { timeoutMs: 30_000, what: 'RUNNING after the agent returned' });
      expect(running.reason).toBe('REASON_AGENT_REREGISTERED');
      expect(sleepers(secs)).toEqual([pid]);
      const tasks = await json<{ tasks: { id: string; state: string }[] }>(second, '/master/tasks');
      expect(tasks?.tasks.map((t) => [t.id, t.state])).toEqual([['rr-task', 'TASK_RUNNING']]);

      // MARK_AGENT_GONE through the new leader.
      const gone = await postJson(`${second.url}/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: agentId } } });
      expect(gone.status).toBe(200);
      const byOperator = await waitFor(() => stateSeen('TASK_GONE_BY_OPERATOR'), { timeoutMs: 20_000, what: 'TASK_GONE_BY_OPERATOR' });
      expect(byOperator.reason).toBe('REASON_AGENT_REMOVED_BY_OPERATOR');
      await again.stop();

      // One more failover: the gone mark is in the ZooKeeper registry, the agent id gets SHUTDOWN.
      await second.kill('SIGKILL');
      const third = await leaderOf(masters.filter((m) => m !== first && m !== second));
      const res = await fetch(`${third.url}/agora/api/v1/agent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 'SUBSCRIBE',
          agent_id: { value: agentId },
          subscribe: { version: 1, agent_info: { hostname: '127.0.0.1', port: agent.port, resources: [] }, capabilities: [], frameworks: [], tasks: [] },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(body).toContain('"SHUTDOWN"');
      expect(body).not.toContain('"REGISTERED"');
      const slaves = await json<{ slaves: { id: string }[] }>(third, '/master/slaves');
      expect(slaves?.slaves.map((s) => s.id)).not.toContain(agentId);
    } finally {
      await client.close();
    }
  }, 60_000);
});
