// Acceptance (b): KILL honours the kill policy grace period: a task that traps SIGTERM exits by itself within
// its grace (TASK_KILLED, stdout shows got-term); one that ignores SIGTERM is SIGKILLed after the grace with
// all its child processes.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { commandTask, getJson, openFramework, pidsWithMarker, startCluster, subscribeCall, uniqueMarker, waitFor } from '../helpers/index.js';

useCleanup();

describe('acceptance (b): kill with a grace period', () => {
  it('gives a SIGTERM-trapping task its grace and SIGKILLs a SIGTERM-ignoring one with its children', async () => {
    const { master, agents, agentIds } = await startCluster({ agents: 1 });
    const agent = agents[0];
    const agentId = agentIds[0];
    if (agent === undefined || agentId === undefined) throw new Error('no agent');
    const sub = await openFramework(master.url, subscribeCall({ name: 'it-b' }), { autoAck: true });
    const markA = uniqueMarker();
    const markB = uniqueMarker();
    const offer = await sub.takeOffer();
    const res = await sub.accept([offer.id.value], [
      commandTask({
        id: 'graceful',
        agentId,
        shell: `trap 'echo got-term; sleep 1; exit 0' TERM; sleep 1000.${markA} & wait`,
        killGraceSecs: 3,
        env: { AGORA_IT_MARKER: `a${markA}` },
      }),
      commandTask({
        id: 'stubborn',
        agentId,
        shell: `trap '' TERM; sleep 1000.${markB} & sleep 1000.${markB} & wait`,
        killGraceSecs: 1,
        env: { AGORA_IT_MARKER: `b${markB}` },
      }),
    ]);
    expect(res.status).toBe(202);
    await sub.waitUpdate('graceful', 'TASK_RUNNING');
    await sub.waitUpdate('stubborn', 'TASK_RUNNING');
    // Both sleeps of the stubborn task are up before we kill (so "children gone" means something).
    await waitFor(() => pidsWithMarker(`1000.${markB}`).length >= 3 && pidsWithMarker(`1000.${markA}`).length >= 1, { what: 'task processes visible in /proc' });

    const t0 = Date.now();
    expect((await sub.kill('graceful', agentId)).status).toBe(202);
    expect((await sub.kill('stubborn', agentId)).status).toBe(202);

    await sub.waitUpdate('graceful', 'TASK_KILLED', { timeoutMs: 15_000 });
    const tGraceful = Date.now() - t0;
    await sub.waitUpdate('stubborn', 'TASK_KILLED', { timeoutMs: 15_000 });
    const tStubborn = Date.now() - t0;

    console.info(`kill → TASK_KILLED: graceful ${tGraceful} ms, stubborn ${tStubborn} ms`);
    // The graceful task ran its trap (≈1 s) and was not SIGKILLed at 3 s.
    expect(tGraceful).toBeGreaterThanOrEqual(900);
    expect(tGraceful).toBeLessThan(2900);
    const out = await getJson<{ data: string }>(
      `${agent.url}/files/read?path=${encodeURIComponent(`/frameworks/${sub.frameworkId}/executors/graceful/runs/latest/stdout`)}&offset=0`,
    );
    expect(out.data).toContain('got-term');

    // The stubborn one waited the 1 s grace then died by SIGKILL, children included.
    expect(tStubborn).toBeGreaterThanOrEqual(900);
    expect(tStubborn).toBeLessThan(6000);
    await waitFor(() => pidsWithMarker(`1000.${markB}`).length === 0 && pidsWithMarker(`b${markB}`).length === 0, {
      timeoutMs: 3000,
      what: `no process left with marker ${markB} (left: ${pidsWithMarker(markB).join(',')})`,
    });
    await waitFor(() => pidsWithMarker(markA).length === 0, { timeoutMs: 3000, what: `no process left with marker ${markA} (graceful task's container cleaned up)` });
  });
});
