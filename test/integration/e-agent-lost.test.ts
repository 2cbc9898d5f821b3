// Acceptance (e): kill -9 an agent and leave it down: after the ping timeouts its tasks become TASK_LOST for
// a non-PARTITION_AWARE framework and TASK_UNREACHABLE for a PARTITION_AWARE one.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { commandTask, getJson, openFramework, startCluster, subscribeCall } from '../helpers/index.js';

useCleanup();

describe('acceptance (e): agent lost', () => {
  it('reports TASK_LOST (non partition-aware) and TASK_UNREACHABLE (partition-aware) after the ping timeouts', async () => {
    const { master, agents, agentIds } = await startCluster({ agents: 1 });
    const agent = agents[0];
    const agentId = agentIds[0] ?? '';
    if (agent === undefined) throw new Error('no agent');
    // checkpoint: true so the tasks survive the socket break and go through the ping-timeout path (§6.8).
    const plain = await openFramework(master.url, subscribeCall({ name: 'it-e-plain', checkpoint: true, failoverTimeoutSecs: 3600 }), { autoAck: true });
    const aware = await openFramework(master.url, subscribeCall({ name: 'it-e-aware', checkpoint: true, failoverTimeoutSecs: 3600, capabilities: ['PARTITION_AWARE'] }), {
      autoAck: true,
    });
    // Both flows run concurrently: whichever framework gets the agent first returns the rest for the other.
    const launch = async (sub: typeof plain, id: string): Promise<void> => {
      const o = await sub.takeOffer(undefined, { timeoutMs: 20_000, what: `offer for ${id}` });
      expect((await sub.accept([o.id.value], [commandTask({ id, agentId, shell: 'sleep 1000', cpus: 0.5, mem: 64 })], { refuse_seconds: 3600 })).status).toBe(202);
    };
    await Promise.all([launch(plain, 'plain-task'), launch(aware, 'aware-task')]);
    await plain.waitUpdate('plain-task', 'TASK_RUNNING');
    await aware.waitUpdate('aware-task', 'TASK_RUNNING');

    const killedAt = Date.now();
    await agent.kill('SIGKILL');

    const lost = await plain.waitUpdate('plain-task', ['TASK_LOST', 'TASK_UNREACHABLE', 'TASK_GONE', 'TASK_DROPPED', 'TASK_FAILED', 'TASK_KILLED'], { timeoutMs: 20_000 });
    const unreachable = await aware.waitUpdate('aware-task', ['TASK_UNREACHABLE', 'TASK_LOST', 'TASK_GONE', 'TASK_DROPPED', 'TASK_FAILED', 'TASK_KILLED'], { timeoutMs: 20_000 });
    const elapsed = Date.now() - killedAt;
    expect(lost.state).toBe('TASK_LOST');
    expect(lost.reason).toBe('REASON_AGENT_REMOVED');
    expect(lost.source).toBe('SOURCE_MASTER');
    expect(lost.uuid).toBeUndefined();
    expect(unreachable.state).toBe('TASK_UNREACHABLE');
    expect(unreachable.reason).toBe('REASON_AGENT_REMOVED');
    expect(unreachable.unreachable_time).toBeDefined();
    // Ping timeout 1 s × 2 misses: neither immediate nor much later.
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(15_000);
    // Both frameworks get FAILURE{agent_id}.
    await plain.waitEvent((e) => e.type === 'FAILURE' && e.failure?.agent_id?.value === agentId && e.failure.executor_id === undefined, { what: 'FAILURE for the agent' });
    const st = await getJson<{ unreachable_slaves: number; frameworks: Array<{ id: string; unreachable_tasks: Array<{ id: string }> }> }>(`${master.url}/master/state`);
    expect(st.unreachable_slaves).toBe(1);
    expect(st.frameworks.find((f) => f.id === aware.frameworkId)?.unreachable_tasks.map((t) => t.id)).toContain('aware-task');
  });
});
