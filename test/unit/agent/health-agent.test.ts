// The agent's wiring of health checks: a real agent (fake master) reports health updates as reliable,
// uuid-carrying TASK_RUNNING updates, stops checking when the task is killed, and resumes checking a
// still-running task after its own restart.
import { killPids, pidsUsingPath } from '../../helpers/proc.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../../../src/agent/index.js';
import { FakeMaster, runTask } from './fake-master.js';
import { waitFor } from '../../helpers/wait.js';

let master: FakeMaster;
let agent: RunningAgent | undefined;
let workDir: string;

function flags(): Record<string, string | number> {
  return {
    port: 0,
    ip: '127.0.0.1',
    master: master.address,
    work_dir: workDir,
    resources: 'cpus:2;mem:1024;disk:1000;ports:[31000-31010]',
    status_update_retry_interval: 200,
    registration_backoff_factor: 20,
  };
}

beforeEach(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'agora-agent-health-'));
  master = new FakeMaster();
  await master.start();
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await master.stop();
  killPids(pidsUsingPath(workDir));
  rmSync(workDir, { recursive: true, force: true });
});

const healthOf = (id: string): Array<boolean | undefined> =>
  master.updates.filter((u) => u.status.task_id.value === id && u.status.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED').map((u) => u.status.healthy);

describe('agent health-check wiring', () => {
  it('reports unhealthy then healthy, resumes after an agent restart, and stops on kill', async () => {
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 'registration' });
    master.autoAck = true;
    const hc = { type: 'COMMAND', command: { value: 'test -f ok' }, delay_seconds: 0, interval_seconds: 0.1, grace_period_seconds: 0, consecutive_failures: 1000 };
    master.send(runTask('h1', { value: 'sleep 60' }, { health_check: hc }, { capabilities: [{ type: 'TASK_KILLING_STATE' }] }));
    await waitFor(() => healthOf('h1').includes(false), { what: 'unhealthy update' });
    const t = [...agent.agent.allTasks()][0];
    if (t === undefined) throw new Error('no task');
    writeFileSync(join(t.sandbox, 'ok'), '');
    await waitFor(() => healthOf('h1').includes(true), { what: 'healthy update' });
    const healthy = master.updates.find((u) => u.status.healthy === true);
    expect(healthy?.status.state).toBe('TASK_RUNNING');
    expect(healthy?.status.source).toBe('SOURCE_EXECUTOR');
    expect(typeof healthy?.status.uuid).toBe('string');
    expect(healthy?.latest_state).toBe('TASK_RUNNING');
    // Healthy results after the first are not reported again.
    const reported = healthOf('h1').length;
    await new Promise((r) => globalThis.setTimeout(r, 400));
    expect(healthOf('h1')).toHaveLength(reported);

    // Restart: the recovered task is checked again from scratch (a first success is reported).
    await agent.stop();
    // (Fresh = a new uuid: not a re-send of an update from before the restart.)
    const before = new Set(master.updates.map((u) => u.status.uuid));
    agent = await startAgent(flags());
    await waitFor(() => agent?.agent.registered, { what: 're-registration' });
    const fresh = await waitFor(
      () => master.updates.find((u) => u.status.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' && !before.has(u.status.uuid)),
      { what: 'healthy update after restart' },
    );
    expect(fresh.status.healthy).toBe(true);

    // Kill: checking stops; the terminal update has no `healthy` (not killed by its health check).
    master.send({ type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw-1' }, task_id: { value: 'h1' } } });
    await waitFor(() => master.statesOf('h1').includes('TASK_KILLED'), { what: 'killed' });
    const after = healthOf('h1').length;
    await new Promise((r) => globalThis.setTimeout(r, 300));
    expect(healthOf('h1')).toHaveLength(after);
    expect(master.updates.at(-1)?.status.healthy).toBeUndefined();
  });
});
