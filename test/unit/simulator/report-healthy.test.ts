/**
 * `reportHealthy` (used by `npm run bench -- apps`): a simulated agent's TASK_RUNNING carries `healthy: true`
 * for a task with a `health_check`, and no `healthy` for one without (or when the option is off).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFlags } from '../../../src/core/flags.js';
import { silentLogger } from '../../../src/core/log.js';
import { MASTER_FLAGS, startMaster } from '../../../src/master/index.js';
import { startAgentFleet } from '../../../src/simulator/index.js';
import { closeAllSubscriptions, openFramework } from '../../helpers/scheduler-client.js';
import { commandTask, subscribeCall } from '../../helpers/mesos.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeAllSubscriptions();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function runningHealth(reportHealthy: boolean): Promise<{ checked: boolean | undefined; plain: boolean | undefined }> {
  const dir = mkdtempSync(join(tmpdir(), 'agora-sim-healthy-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const flags = resolveFlags(MASTER_FLAGS, { port: '0', work_dir: dir, allocation_interval: '50ms' }, {});
  const master = await startMaster(flags, { logger: silentLogger() });
  cleanups.push(() => master.stop());
  const fleet = await startAgentFleet({ master: master.url, agents: 1, backoffMs: 100, reportHealthy });
  cleanups.push(() => fleet.stop());
  await fleet.ready(30_000);
  const fw = await openFramework(master.url, subscribeCall({ name: `healthy-${String(reportHealthy)}` }), { autoAck: true });
  const offer = await fw.takeOffer();
  const checked = { ...commandTask({ id: 'checked', agentId: offer.agent_id.value }), health_check: { type: 'TCP', tcp: { port: 31000 } } };
  const plain = commandTask({ id: 'plain', agentId: offer.agent_id.value });
  expect((await fw.accept([offer.id.value], [checked, plain])).status).toBe(202);
  const a = await fw.waitUpdate('checked', 'TASK_RUNNING');
  const b = await fw.waitUpdate('plain', 'TASK_RUNNING');
  const healthy = (s: object): boolean | undefined => (s as { healthy?: boolean }).healthy;
  return { checked: healthy(a), plain: healthy(b) };
}

describe('simulated agent fleet: reportHealthy', () => {
  it('reports healthy: true on TASK_RUNNING of tasks with a health check only', async () => {
    expect(await runningHealth(true)).toEqual({ checked: true, plain: undefined });
  });

  it('reports no health without the option', async () => {
    expect(await runningHealth(false)).toEqual({ checked: undefined, plain: undefined });
  });
});
