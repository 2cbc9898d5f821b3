// Acceptance (c): an unacknowledged status update is re-sent (same uuid) after the scheduler re-subscribes;
// an acknowledged one never is.
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import { commandTask, delay, openFramework, startCluster, subscribeCall } from '../helpers/index.js';

useCleanup();

describe('acceptance (c): reliable status updates', () => {
  it('re-sends an unacked update after re-subscription and never re-sends an acked one', async () => {
    const { master, agentIds } = await startCluster({ agents: 1 });
    const agentId = agentIds[0] ?? '';
    const first = await openFramework(master.url, subscribeCall({ name: 'it-c', failoverTimeoutSecs: 3600, checkpoint: true }));
    const fid = first.frameworkId;
    const offer = await first.takeOffer();
    expect((await first.accept([offer.id.value], [commandTask({ id: 'sleeper', agentId, shell: 'sleep 1000' })])).status).toBe(202);
    const starting = await first.waitUpdate('sleeper', 'TASK_STARTING');
    const u1 = starting.uuid ?? '';
    expect(u1).not.toBe('');
    // Drop the stream without acknowledging.
    first.close();

    const second = await openFramework(master.url, subscribeCall({ name: 'it-c', id: fid, failoverTimeoutSecs: 3600, checkpoint: true }));
    expect(second.frameworkId).toBe(fid);
    expect(second.streamId).not.toBe(first.streamId);
    const again = await second.waitEvent((e) => e.type === 'UPDATE' && e.update?.status.uuid === u1, { timeoutMs: 15_000, what: `re-sent update ${u1}` });
    expect(again.update?.status.state).toBe('TASK_STARTING');
    expect(again.update?.status.task_id.value).toBe('sleeper');

    // Ack it: the next update (RUNNING) follows, with a new uuid.
    expect((await second.ack(again.update?.status ?? starting)).status).toBe(202);
    const running = await second.waitUpdate('sleeper', 'TASK_RUNNING');
    const u2 = running.uuid ?? '';
    expect(u2).not.toBe(u1);
    expect((await second.ack(running)).status).toBe(202);
    const mark = second.events.length;

    // Observe for several retry intervals (agent retries every 500 ms): neither acked uuid comes back.
    await delay(3000);
    const later = second.events.slice(mark).filter((e) => e.type === 'UPDATE').map((e) => e.update?.status.uuid);
    expect(later).not.toContain(u1);
    expect(later).not.toContain(u2);

    // And a third subscription after the acks does not see them either.
    second.close();
    const third = await openFramework(master.url, subscribeCall({ name: 'it-c', id: fid, failoverTimeoutSecs: 3600, checkpoint: true }));
    await delay(2000);
    const resent = third.updates().map((s) => s.uuid);
    expect(resent).not.toContain(u1);
    expect(resent).not.toContain(u2);
  });
});
