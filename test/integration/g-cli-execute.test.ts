// Acceptance (g): `agora execute` runs a one-off task, prints the status update lines like mesos-execute
// and exits with the task's exit code.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { runAgora, startCluster } from '../helpers/index.js';

useCleanup();

describe('acceptance (g): agora execute', () => {
  it('prints status updates and exits with the task exit code', async () => {
    const { master } = await startCluster({ agents: 1 });
    const res = await runAgora(['execute', '--master', master.hostPort, '--name', 't1', '--command', 'echo hi; exit 3'], 60_000);
    const out = `${res.stdout}\n${res.stderr}`;
    expect(out).toMatch(/Subscribed with ID \S+/);
    expect(out).toMatch(/Submitted task 't1' to agent '\S+'/);
    expect(out).toMatch(/Received status update TASK_RUNNING for task 't1'/);
    expect(out).toMatch(/Received status update TASK_FAILED for task 't1'/);
    expect(res.code, out).toBe(3);
  });

  it('exits 0 for a successful task', async () => {
    const { master } = await startCluster({ agents: 1 });
    const res = await runAgora(['execute', '--master', master.hostPort, '--name', 't2', '--command', 'true'], 60_000);
    const out = `${res.stdout}\n${res.stderr}`;
    expect(out).toMatch(/Received status update TASK_FINISHED for task 't2'/);
    expect(res.code, out).toBe(0);
  });
});
