// An agent daemon killed with SIGKILL mid-run: a new agent on the same work dir re-registers with the same
// id, reports the surviving task as running, and reports its exit; a task that ended while no agent ran is
// reported too. Real processes: `agora agent` children and shell tasks.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useCleanup } from '../../helpers/cleanup.js';
import { startAgent, tempDir } from '../../helpers/daemons.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeMaster, runTask } from './fake-master.js';

useCleanup();
let master: FakeMaster | undefined;
afterEach(async () => {
  await master?.stop();
  master = undefined;
});

describe('agent crash recovery', () => {
  it('survives kill -9: same id, running task adopted, exits reported', async () => {
    master = new FakeMaster();
    await master.start();
    master.autoAck = true;
    const m = master;
    const workDir = tempDir('agora-crash-');
    const flags = { status_update_retry_interval: '200ms', registration_backoff_factor: '50ms' };
    const first = await startAgent({ master: m.address, workDir, flags });
    await waitFor(() => m.subscribes.length === 1, { what: 'registration' });
    m.send(runTask('long', { value: 'while [ ! -f go ]; do sleep 0.05; done; exit 2' }));
    m.send(runTask('short', { value: 'while [ ! -f go ]; do sleep 0.05; done' }));
    await waitFor(() => m.statesOf('long').includes('TASK_RUNNING') && m.statesOf('short').includes('TASK_RUNNING'), { what: 'running' });
    const agentId = 'master-S0'; // the fake master's first agent id
    const state = (await (await fetch(`${first.url}/state`)).json()) as { id: string; frameworks: { executors: { id: string; directory: string }[] }[] };
    expect(state.id).toBe(agentId);
    const dirs = new Map(state.frameworks[0]!.executors.map((e) => [e.id, e.directory]));

    await first.kill('SIGKILL');
    writeFileSync(join(dirs.get('short')!, 'go'), '');
    await new Promise((r) => globalThis.setTimeout(r, 500));

    const second = await startAgent({ master: m.address, workDir, flags });
    await waitFor(() => m.subscribes.length === 2, { what: 're-registration' });
    const sub = m.subscribes[1]!;
    expect(sub.agent_id?.value).toBe(agentId);
    expect(sub.subscribe?.tasks?.map((t) => `${t.task.task_id.value}:${t.state}`).sort()).toEqual(['long:TASK_RUNNING', 'short:TASK_RUNNING']);
    await waitFor(() => m.statesOf('short').includes('TASK_FINISHED'), { what: 'exit while down reported' });
    expect(m.statesOf('long')).not.toContain('TASK_FAILED');
    writeFileSync(join(dirs.get('long')!, 'go'), '');
    await waitFor(() => m.statesOf('long').includes('TASK_FAILED'), { what: 'adopted task exit' });
    expect(m.updates.filter((u) => u.status.task_id.value === 'long').at(-1)?.status.message).toBe('Command exited with status 2');
    await second.stop();
  });
});
