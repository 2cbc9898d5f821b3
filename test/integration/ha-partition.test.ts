/**
 * Issue 6, partition (spec §6.8): the agent runs in its own network namespace, joined to the host by a
 * veth pair; the master listens on 0.0.0.0. Cutting the link makes the master miss its pongs: the
 * PARTITION_AWARE framework sees TASK_UNREACHABLE. Healing it: the agent re-registers, the task is RUNNING
 * again (REASON_AGENT_REREGISTERED) and it is the same process (one `sleep` with its unique argument, same pid).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { FAST_MASTER_FLAGS } from '../helpers/cluster.js';
import { flagArgs, isHealthy, spawnAgora, tempDir, SMALL_RESOURCES } from '../helpers/daemons.js';
import { getJson } from '../helpers/http.js';
import { commandTask, subscribeCall } from '../helpers/mesos.js';
import { createNetns, spawnAgoraIn, type Netns } from '../helpers/netns.js';
import { freePort } from '../helpers/ports.js';
import { cmdline, listPids } from '../helpers/proc.js';
import { openFramework } from '../helpers/scheduler-client.js';
import { waitFor } from '../helpers/wait.js';

useCleanup();

let ns: Netns | undefined;
afterAll(() => ns?.destroy());

/** Host pids of `sleep <secs>` processes. */
function sleepers(secs: number): number[] {
  return listPids().filter((pid) => cmdline(pid) === `sleep ${secs}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('partitioned agent (network namespace + veth)', () => {
  it('TASK_UNREACHABLE while cut, RUNNING again after healing, same task process', async () => {
    ns = createNetns();
    const net = ns;
    const dir = tempDir('agora-part-');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    spawnAgora('part-master', ['master', '--ip', '0.0.0.0', '--hostname', '127.0.0.1', '--port', String(port), '--work_dir', dir, ...flagArgs(FAST_MASTER_FLAGS)], dir);
    await waitFor(() => isHealthy(url), { timeoutMs: 30_000, what: 'master /health' });

    const agentDir = tempDir('agora-part-agent-');
    spawnAgoraIn(net, 'part-agent', [
      'agent', '--ip', net.nsIp, '--port', '5051', '--work_dir', agentDir, '--master', `${net.hostIp}:${port}`, '--resources', SMALL_RESOURCES,
      '--status_update_retry_interval', '500ms', '--registration_backoff_factor', '100ms',
    ], agentDir);
    const agentId = await waitFor(async () => (await getJson<{ slaves: { id: string; hostname: string; active: boolean }[] }>(`${url}/master/slaves`)).slaves.find((s) => s.hostname === net.nsIp && s.active)?.id, {
      timeoutMs: 30_000,
      what: `the agent at ${net.nsIp} registered`,
    });

    const fw = await openFramework(url, subscribeCall({ name: 'partition-fw', checkpoint: true, failoverTimeoutSecs: 3600, capabilities: ['PARTITION_AWARE'] }), { autoAck: true });
    // The task runs in its own mount and pid namespaces: find its host pid by its unique command line.
    const secs = 600 + Math.floor(Math.random() * 10_000);
    const offer = await fw.takeOffer(undefined, { timeoutMs: 20_000 });
    const task = commandTask({ id: 'part-task', agentId, shell: `exec sleep ${secs}`, cpus: 0.1, mem: 32 });
    expect((await fw.accept([offer.id.value], [task], { refuse_seconds: 3600 })).status).toBe(202);
    await fw.waitUpdate('part-task', 'TASK_RUNNING', { timeoutMs: 30_000 });
    const pids = (): number[] => sleepers(secs);
    await waitFor(() => pids().length === 1, { what: 'the task process' });
    const pid = pids()[0] ?? -1;

    net.cut();
    const unreachable = await fw.waitUpdate('part-task', ['TASK_UNREACHABLE', 'TASK_LOST', 'TASK_GONE', 'TASK_FAILED', 'TASK_KILLED'], { timeoutMs: 30_000 });
    expect(unreachable.state).toBe('TASK_UNREACHABLE');
    expect(unreachable.reason).toBe('REASON_AGENT_REMOVED');
    const mark = fw.events.length;
    expect(alive(pid)).toBe(true);

    net.heal();
    const back = await fw.waitEvent(
      (e) => e.type === 'UPDATE' && e.update?.status.task_id.value === 'part-task' && e.update.status.state !== 'TASK_UNREACHABLE',
      { from: mark, timeoutMs: 45_000, what: 'an update after healing' },
    );
    expect(back.update?.status.state).toBe('TASK_RUNNING');
    expect(back.update?.status.reason).toBe('REASON_AGENT_REREGISTERED');
    expect(alive(pid)).toBe(true);
    expect(pids()).toEqual([pid]);
    const tasks = await getJson<{ tasks: { id: string; state: string }[] }>(`${url}/master/tasks`);
    expect(tasks.tasks.filter((t) => t.id === 'part-task').map((t) => t.state)).toEqual(['TASK_RUNNING']);
    const state = await getJson<{ unreachable_slaves: number; frameworks: { unreachable_tasks: unknown[] }[] }>(`${url}/master/state`);
    expect(state.unreachable_slaves).toBe(0);
    expect(state.frameworks.flatMap((f) => f.unreachable_tasks)).toEqual([]);
    // No terminal update ever reached the framework.
    expect(fw.updates('part-task').map((s) => s.state).filter((s) => s !== 'TASK_STARTING' && s !== 'TASK_RUNNING' && s !== 'TASK_UNREACHABLE')).toEqual([]);
  }, 60_000);
});
