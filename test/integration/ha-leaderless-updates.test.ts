/**
 * Issue 6: status updates produced while no leader exists are delivered after the failover, in order, none
 * lost. One master with --zk (no standby), one agent and the scheduler SDK following zk://. Three tasks are
 * launched and the master is killed as soon as the agent knows them; every task runs and ends (FINISHED,
 * FAILED, FINISHED) while there is no master at all. Then a new master is started: it is elected, the agent
 * re-registers and re-sends its queued updates (spec §6.6), the framework re-subscribes, and for each task it
 * receives exactly the agent's sequence of states, in order (duplicates allowed: at-least-once).
 */
import { describe, expect, it } from 'vitest';
import type { OfferJson, TaskStatusJson } from '../../src/api/mesos/common.js';
import { parseResources } from '../../src/core/resources.js';
import { SchedulerClient, taskResourcesFromOffer } from '../../src/scheduler/index.js';
import { useCleanup } from '../helpers/cleanup.js';
import { startAgent, startMaster, type Daemon } from '../helpers/daemons.js';
import { rawRequest } from '../helpers/http.js';
import { waitFor } from '../helpers/wait.js';
import { useZooKeeper } from '../helpers/use-zookeeper.js';

useCleanup({ perTest: false });

const zk = useZooKeeper();

async function json<T>(url: string): Promise<T | undefined> {
  const res = await rawRequest(url, { timeoutMs: 3000 }).catch(() => undefined);
  return res?.status === 200 ? (JSON.parse(res.body) as T) : undefined;
}

interface AgentTask {
  readonly id: string;
  readonly state: string;
  readonly statuses: readonly { readonly state: string }[];
}
interface AgentState {
  readonly frameworks: readonly { readonly executors: readonly { readonly tasks: readonly AgentTask[]; readonly completed_tasks: readonly AgentTask[] }[]; readonly completed_executors?: readonly { readonly completed_tasks: readonly AgentTask[] }[] }[];
}

/** Every task the agent reports, active or completed. */
async function agentTasks(agent: Daemon): Promise<AgentTask[]> {
  const st = await json<AgentState>(`${agent.url}/state`);
  return (st?.frameworks ?? []).flatMap((f) => [...f.executors.flatMap((e) => [...e.tasks, ...e.completed_tasks]), ...(f.completed_executors ?? []).flatMap((e) => e.completed_tasks)]);
}

/** Consecutive duplicates collapsed: at-least-once delivery may repeat an update. */
function collapsed(states: readonly string[]): string[] {
  return states.filter((s, i) => i === 0 || states[i - 1] !== s);
}

const TASKS = [
  { id: 'lt-ok-1', command: 'sleep 1; exit 0', end: 'TASK_FINISHED' },
  { id: 'lt-fail', command: 'sleep 1.5; exit 3', end: 'TASK_FAILED' },
  { id: 'lt-ok-2', command: 'sleep 2; exit 0', end: 'TASK_FINISHED' },
] as const;

describe('updates while leaderless', () => {
  it('are delivered after the next election, in order, none lost', async () => {
    const flags = { zk: zk.url('agora-ll'), zk_session_timeout: '2secs', allocation_interval: '100ms', heartbeat_interval: '1secs' };
    const [master, agent] = await Promise.all([
      startMaster({ flags, name: 'll-m1' }),
      startAgent({ master: flags.zk, name: 'll-agent', flags: { registration_backoff_factor: '100ms', status_update_retry_interval: '500ms' } }),
    ]);
    const updates: TaskStatusJson[] = [];
    let launched = false;
    const client = new SchedulerClient({ master: flags.zk, zkSessionTimeoutMs: 2000, backoff: { initialMs: 100, maxMs: 1000, factor: 2 } });
    try {
      const onOffers = async (offers: readonly OfferJson[]): Promise<void> => {
        for (const offer of offers) {
          const resources = taskResourcesFromOffer(offer, parseResources('cpus:0.1;mem:16'));
          if (!launched && resources !== undefined) {
            launched = true;
            const infos = TASKS.map((t) => ({ name: t.id, task_id: { value: t.id }, agent_id: offer.agent_id, resources, command: { value: t.command } }));
            await client.launch([offer.id.value], infos);
          } else await client.decline([offer.id.value], { refuse_seconds: 3600 });
        }
      };
      const onUpdate = async (status: TaskStatusJson): Promise<void> => {
        updates.push(status);
        await client.acknowledgeUpdate(status);
      };
      await client.subscribe({ user: 'root', name: 'll-framework', failover_timeout: 3600, checkpoint: true }, { onOffers, onUpdate });

      // Kill the only master as soon as the agent has the three tasks: they run and end with no leader.
      await waitFor(async () => (await agentTasks(agent)).length === TASKS.length, { timeoutMs: 30_000, intervalMs: 10, what: 'the agent knows the three tasks' });
      await master.kill('SIGKILL');
      const ended = await waitFor(async () => {
        const tasks = await agentTasks(agent);
        return tasks.length === TASKS.length && tasks.every((t) => t.state === TASKS.find((x) => x.id === t.id)?.end) ? tasks : undefined;
      }, { timeoutMs: 20_000, what: 'all three tasks ended on the agent' });
      const deliveredBefore = updates.filter((u) => u.state === 'TASK_FINISHED' || u.state === 'TASK_FAILED').length;
      expect(deliveredBefore).toBe(0);

      // A new master: elected, the agent re-registers and re-sends, the framework re-subscribes.
      const next = await startMaster({ flags, name: 'll-m2' });
      await waitFor(async () => (await json<Record<string, number>>(`${next.url}/metrics/snapshot`))?.['master/elected'] === 1, { timeoutMs: 20_000, what: 'the new master elected' });
      await waitFor(() => TASKS.every((t) => updates.some((u) => u.task_id.value === t.id && u.state === t.end)), { timeoutMs: 30_000, what: 'every terminal update delivered' });
      for (const t of ended) {
        const want = collapsed(t.statuses.map((s) => s.state));
        const got = collapsed(updates.filter((u) => u.task_id.value === t.id).map((u) => u.state));
        expect({ task: t.id, states: got }).toEqual({ task: t.id, states: want });
        expect(want.at(-1)).toBe(TASKS.find((x) => x.id === t.id)?.end);
      }
      // Every update the agent produced carried a uuid and was acknowledged: nothing is left to resend.
      await waitFor(async () => {
        const tasks = (await json<{ tasks: { id: string; state: string }[] }>(`${next.url}/master/tasks`))?.tasks ?? [];
        return TASKS.every((t) => tasks.some((x) => x.id === t.id && x.state === t.end));
      }, { timeoutMs: 20_000, what: 'the new master knows the three terminal states' });
    } finally {
      await client.close();
    }
  }, 60_000);
});
