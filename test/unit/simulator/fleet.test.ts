import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFlags } from '../../../src/core/flags.js';
import { silentLogger } from '../../../src/core/log.js';
import { MASTER_FLAGS, startMaster, type RunningMaster } from '../../../src/master/index.js';
import { startAgentFleet, type Fleet } from '../../../src/simulator/index.js';
import { closeAllSubscriptions, openFramework } from '../../helpers/scheduler-client.js';
import { commandTask, subscribeCall } from '../../helpers/mesos.js';
import { waitFor } from '../../helpers/wait.js';

interface StateJson {
  slaves: { id: string; hostname: string; active: boolean }[];
  frameworks: { tasks: { id: string; state: string; slave_id: string }[] }[];
}

async function state(url: string): Promise<StateJson> {
  return (await (await fetch(`${url}/master/state`)).json()) as StateJson;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeAllSubscriptions();
  for (const c of cleanups.splice(0).reverse()) await c();
});

function masterFlags(dir: string, port: number): ReturnType<typeof resolveFlags> {
  return resolveFlags(MASTER_FLAGS, { port: String(port), work_dir: dir, allocation_interval: '50ms', heartbeat_interval: '1secs' }, {});
}

describe('simulated agent fleet', () => {
  it('registers 50 agents, runs and kills tasks, and re-registers every agent with its tasks after a master restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agora-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let master: RunningMaster = await startMaster(masterFlags(dir, 0), { logger: silentLogger() });
    cleanups.push(() => master.stop());
    const fleet: Fleet = await startAgentFleet({ master: master.url, agents: 50, backoffMs: 100, concurrency: 20, statusRetryMs: 2000 });
    cleanups.push(() => fleet.stop());
    await fleet.ready(30_000);
    const ids = fleet.agentIds();
    expect(new Set(ids).size).toBe(50);
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect((await state(master.url)).slaves).toHaveLength(50);

    const fw = await openFramework(master.url, subscribeCall({ name: 'sim-fw', checkpoint: true, failoverTimeoutSecs: 3600 }), { autoAck: true });
    const launched: string[] = [];
    while (launched.length < 20) {
      const offer = await fw.takeOffer();
      const tasks = [0, 1].map((k) => commandTask({ id: `t-${launched.length + k}`, agentId: offer.agent_id.value }));
      launched.push(...tasks.map((t) => (t.task_id as { value: string }).value));
      expect((await fw.accept([offer.id.value], tasks)).status).toBe(202);
    }
    for (const t of launched) {
      const u = await fw.waitUpdate(t, 'TASK_RUNNING');
      expect(u.source).toBe('SOURCE_EXECUTOR');
    }
    expect((await fw.kill('t-0')).status).toBe(202);
    await fw.waitUpdate('t-0', 'TASK_KILLED');
    // Acknowledged: the simulated agent forgets the killed task, and every other update was acked.
    await waitFor(() => fleet.stats().tasks === 19 && fleet.stats().tasksByState['TASK_RUNNING'] === 19, { timeoutMs: 15_000, what: '19 running tasks in the fleet' });
    await waitFor(() => fleet.stats().unacknowledged === 0, { timeoutMs: 15_000, what: 'every update acknowledged' });

    // Restart the master on the same work dir and port: every agent re-registers with its id and tasks.
    fw.close();
    const port = master.port;
    await master.stop();
    master = await startMaster(masterFlags(dir, port), { logger: silentLogger() });
    await waitFor(() => fleet.stats().reregistrations >= 50 && fleet.stats().registered === 50, { timeoutMs: 30_000, what: 'all agents re-registered' });
    expect(fleet.agentIds()).toEqual(ids);
    const s = await waitFor(
      async () => {
        const st = await state(master.url);
        const tasks = st.frameworks.flatMap((f) => f.tasks);
        return st.slaves.filter((a) => a.active).length === 50 && tasks.length === 19 ? st : undefined;
      },
      { timeoutMs: 15_000, what: 'restarted master knows 50 agents and 19 tasks' },
    );
    expect(s.slaves.map((a) => a.id).sort()).toEqual([...(ids as string[])].sort());
    const tasks = s.frameworks.flatMap((f) => f.tasks);
    expect(tasks.every((t) => t.state === 'TASK_RUNNING')).toBe(true);
    expect(tasks.map((t) => t.id).sort()).toEqual(launched.filter((t) => t !== 't-0').sort());
  }, 60_000);

  it('runs tasks to FINISHED or FAILED as taskBehaviour says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agora-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const master = await startMaster(masterFlags(dir, 0), { logger: silentLogger() });
    cleanups.push(() => master.stop());
    const fleet = await startAgentFleet({
      master: master.url.replace('http://', ''),
      agents: 2,
      backoffMs: 100,
      taskBehaviour: (t) => (t.task_id.value.startsWith('ok') ? 'finish' : 'fail'),
    });
    cleanups.push(() => fleet.stop());
    await fleet.ready(30_000);
    const fw = await openFramework(master.url, subscribeCall({ name: 'sim-fw' }), { autoAck: true });
    const offer = await fw.takeOffer();
    const tasks = ['ok-1', 'bad-1'].map((id) => commandTask({ id, agentId: offer.agent_id.value }));
    expect((await fw.accept([offer.id.value], tasks)).status).toBe(202);
    await fw.waitUpdate('ok-1', 'TASK_FINISHED');
    await fw.waitUpdate('bad-1', 'TASK_FAILED');
    expect(fw.updates('ok-1').map((u) => u.state)).toEqual(['TASK_RUNNING', 'TASK_FINISHED']);
    await waitFor(() => fleet.stats().tasks === 0, { timeoutMs: 15_000, what: 'ended tasks forgotten once acknowledged' });
  }, 60_000);
});
