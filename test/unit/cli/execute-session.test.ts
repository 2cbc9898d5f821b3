import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../src/core/clock.js';
import { SeededRng } from '../../../src/core/rng.js';
import { silentLogger } from '../../../src/core/log.js';
import { parseResources } from '../../../src/core/resources.js';
import { runExecute } from '../../../src/cli/execute-session.js';
import type { ExecuteSpec } from '../../../src/cli/execute-task.js';
import { FakeMaster, waitFor } from '../scheduler/fake-master.js';

const spec: ExecuteSpec = {
  name: 'hello', command: 'echo hi; exit 3', shell: true, env: undefined, frameworkName: 'agora-execute instance',
  role: '*', checkpoint: false, partitionAware: true, user: 'alice',
};
const offer = (id: string, agent: string, cpus: number) => ({
  id: { value: id }, framework_id: { value: 'fake-master-0000' }, agent_id: { value: agent }, hostname: 'h',
  url: { scheme: 'http', address: { hostname: 'h', ip: '127.0.0.1', port: 5051 }, path: '/slave(1)' },
  resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: cpus } }, { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } }],
});

describe('agora execute session', () => {
  let master: FakeMaster;
  beforeEach(async () => {
    master = new FakeMaster();
    await master.start();
  });
  afterEach(async () => {
    await master.stop();
  });

  it('launches into the first fitting offer, declines the rest, acks, tears down and exits with the task status', async () => {
    const lines: string[] = [];
    const done = runExecute({
      master: master.address, spec, resources: parseResources('cpus:1;mem:128'), killAfterMs: undefined,
      clock: new SystemClock(), rng: new SeededRng(3), logger: silentLogger(), out: (l) => lines.push(l),
    });
    await waitFor(() => lines.includes('Subscribed with ID fake-master-0000'), 'subscription');
    master.send({ type: 'OFFERS', offers: { offers: [offer('o0', 'a0', 0.5), offer('o1', 'a1', 2), offer('o2', 'a2', 2)] } });
    await waitFor(() => master.calls.length === 5, 'offer answers');
    expect(master.calls.map((c) => c.body['type'])).toEqual(['DECLINE', 'SUPPRESS', 'ACCEPT', 'DECLINE', 'SUPPRESS']);
    const accept = master.calls[2]?.body['accept'] as { offer_ids: unknown; operations: { type: string; launch: { task_infos: Record<string, unknown>[] } }[] };
    expect(accept.offer_ids).toEqual([{ value: 'o1' }]);
    expect(accept.operations).toHaveLength(1);
    expect(accept.operations[0]?.launch.task_infos[0]).toMatchObject({
      name: 'hello', task_id: { value: 'hello' }, agent_id: { value: 'a1' }, command: { shell: true, value: 'echo hi; exit 3' },
    });
    expect(lines).toContain("Submitted task 'hello' to agent 'a1'");

    const status = (state: string, message?: string) => ({
      type: 'UPDATE',
      update: { status: { task_id: { value: 'hello' }, state, source: 'SOURCE_EXECUTOR', agent_id: { value: 'a1' }, uuid: 'q83vEjRWeJCrze8SNFZ4kA==', ...(message ? { message } : {}) } },
    });
    master.send(status('TASK_RUNNING'));
    master.send(status('TASK_FAILED', 'Command exited with status 3'));
    expect(await done).toBe(3);
    const types = master.calls.map((c) => c.body['type']);
    expect(types.slice(5)).toEqual(['ACKNOWLEDGE', 'ACKNOWLEDGE', 'TEARDOWN']);
    expect(lines).toContain("Received status update TASK_FAILED for task 'hello'");
    expect(lines).toContain("  message: 'Command exited with status 3'");
  });

  it('exits 1 on an ERROR event', async () => {
    master.script = (res) => {
      master.accept(res);
      master.send({ type: 'ERROR', error: { message: 'Framework has been removed' } }, res);
    };
    const lines: string[] = [];
    const code = await runExecute({
      master: master.address, spec, resources: parseResources('cpus:1'), killAfterMs: undefined,
      clock: new SystemClock(), rng: new SeededRng(3), logger: silentLogger(), out: (l) => lines.push(l),
    });
    expect(code).toBe(1);
    expect(lines).toContain('Received an ERROR event: Framework has been removed');
  });
});
