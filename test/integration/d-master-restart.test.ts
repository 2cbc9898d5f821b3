// Acceptance (d): kill -9 the master and start it again on the same work dir and port: the agent
// re-registers, the running task keeps running (same pid) and shows in /master/state, and the framework
// re-subscribes with its id and reconciles (TASK_RUNNING, REASON_RECONCILIATION, no uuid).
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import {
  FAST_MASTER_FLAGS,
  commandTask,
  getJson,
  isAlive,
  openFramework,
  pidsWithMarker,
  slaves,
  startCluster,
  startMaster,
  subscribeCall,
  uniqueMarker,
  waitFor,
} from '../helpers/index.js';

useCleanup();

interface MasterState {
  slaves: Array<{ id: string }>;
  frameworks: Array<{ id: string; recovered?: boolean; active?: boolean; tasks: Array<{ id: string; state: string; slave_id: string }> }>;
}

describe('acceptance (d): master failover', () => {
  it('keeps tasks running across a master kill -9 and restart; the framework re-subscribes and reconciles', async () => {
    const { master, agentIds } = await startCluster({ agents: 2 });
    const agentId = agentIds[0] ?? '';
    const info = { name: 'it-d', failoverTimeoutSecs: 3600, checkpoint: true };
    const sub = await openFramework(master.url, subscribeCall(info), { autoAck: true });
    const fid = sub.frameworkId;
    const marker = uniqueMarker();
    const offer = await sub.takeOffer((o) => o.agent_id.value === agentId);
    await sub.accept([offer.id.value], [commandTask({ id: 'long', agentId, shell: `sleep 1000; echo ${marker}` })]);
    await sub.waitUpdate('long', 'TASK_RUNNING');
    const pids = await waitFor(() => {
      const p = pidsWithMarker(marker);
      return p.length > 0 ? p : undefined;
    }, { what: 'task shell pid' });
    const taskPid = Math.min(...pids);

    await master.kill('SIGKILL');
    sub.close();
    expect(isAlive(taskPid)).toBe(true);

    const again = await startMaster({ workDir: master.workDir, port: master.port, flags: FAST_MASTER_FLAGS, name: 'master-restarted' });
    // Both agents re-register with their ids.
    await waitFor(async () => {
      const ids = (await slaves(again)).map((s) => s.id);
      return agentIds.every((id) => ids.includes(id));
    }, { timeoutMs: 30_000, what: `agents ${agentIds.join(', ')} re-registered` });
    // The task is still running (same process) and the master re-learned it.
    expect(isAlive(taskPid)).toBe(true);
    const state = await waitFor(
      async () => {
        const s = await getJson<MasterState>(`${again.url}/master/state`);
        const t = s.frameworks.find((f) => f.id === fid)?.tasks.find((x) => x.id === 'long');
        return t !== undefined ? { s, t } : undefined;
      },
      { timeoutMs: 15_000, what: 'task long in /master/state after failover' },
    );
    expect(state.t.state).toBe('TASK_RUNNING');
    expect(state.t.slave_id).toBe(agentId);

    // The framework re-subscribes with its id and reconciles explicitly.
    const resub = await openFramework(again.url, subscribeCall({ ...info, id: fid }), { autoAck: true });
    expect(resub.frameworkId).toBe(fid);
    const mark = resub.events.length;
    expect((await resub.reconcile([{ taskId: 'long', agentId }])).status).toBe(202);
    const answer = await resub.waitEvent((e) => e.type === 'UPDATE' && e.update?.status.task_id.value === 'long' && e.update.status.reason === 'REASON_RECONCILIATION', {
      from: mark,
      what: 'reconciliation answer for long',
    });
    expect(answer.update?.status.state).toBe('TASK_RUNNING');
    expect(answer.update?.status.source).toBe('SOURCE_MASTER');
    expect(answer.update?.status.uuid).toBeUndefined();
    expect(answer.update?.status.agent_id?.value).toBe(agentId);
    // Implicit reconciliation also reports it.
    const mark2 = resub.events.length;
    expect((await resub.reconcile([])).status).toBe(202);
    await resub.waitEvent((e) => e.type === 'UPDATE' && e.update?.status.task_id.value === 'long' && e.update.status.state === 'TASK_RUNNING', { from: mark2, what: 'implicit reconciliation answer' });
    expect(isAlive(taskPid)).toBe(true);
    const fw = (await getJson<MasterState>(`${again.url}/master/state`)).frameworks.find((f) => f.id === fid);
    expect(fw?.active).toBe(true);
  });
});
