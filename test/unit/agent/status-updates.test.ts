import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../src/core/clock.js';
import { StatusUpdateManager, type UpdateRecord } from '../../../src/agent/status-updates/manager.js';
import { Journal } from '../../../src/agent/checkpoint/journal.js';
import type { TaskStatusJson } from '../../../src/api/mesos/common.js';

const st = (tid: string, state: TaskStatusJson['state'], uuid: string): TaskStatusJson => ({ task_id: { value: tid }, state, uuid, source: 'SOURCE_EXECUTOR' });

function harness(clock: FakeClock, sink: { append(r: UpdateRecord): Promise<void> }) {
  const sent: { fid: string; state: string; uuid: string | undefined; at: number }[] = [];
  const acked: string[] = [];
  const m = new StatusUpdateManager({
    clock,
    sink,
    send: (fid, s) => sent.push({ fid, state: s.state, uuid: s.uuid, at: clock.now() }),
    onAcknowledged: (_fid, s) => acked.push(s.uuid ?? ''),
    retryIntervalMs: 10_000,
    retryMaxMs: 600_000,
  });
  return { m, sent, acked };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agora-sum-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('status update manager', () => {
  it('sends only the head, and an ack advances the queue in order', async () => {
    const clock = new FakeClock();
    const records: UpdateRecord[] = [];
    const { m, sent, acked } = harness(clock, { append: async (r) => void records.push(r) });
    m.setConnected(true);
    await m.update('f', st('t', 'TASK_STARTING', 'u1'));
    await m.update('f', st('t', 'TASK_RUNNING', 'u2'));
    await m.update('f', st('t', 'TASK_FINISHED', 'u3'));
    expect(sent.map((s) => s.uuid)).toEqual(['u1']);
    expect(records.filter((r) => r.k === 'upd')).toHaveLength(3);
    expect(m.acknowledge('f', 't', 'u2')).toBe(false); // not the head
    expect(m.acknowledge('f', 't', 'zzz')).toBe(false); // unknown uuid is ignored
    expect(m.acknowledge('f', 't', 'u1')).toBe(true);
    expect(sent.map((s) => s.uuid)).toEqual(['u1', 'u2']);
    expect(m.acknowledge('f', 't', 'u2')).toBe(true);
    expect(m.acknowledge('f', 't', 'u3')).toBe(true);
    expect(sent.map((s) => s.uuid)).toEqual(['u1', 'u2', 'u3']);
    expect(acked).toEqual(['u1', 'u2', 'u3']);
    expect(m.pendingCount('f', 't')).toBe(0);
    m.stop();
  });

  it('retries the head with doubling back-off capped at the maximum', async () => {
    const clock = new FakeClock(0);
    const { m, sent } = harness(clock, { append: async () => undefined });
    m.setConnected(true);
    await m.update('f', st('t', 'TASK_RUNNING', 'u1'));
    await clock.advance(9_000);
    expect(sent).toHaveLength(1);
    await clock.advance(1_000);
    expect(sent).toHaveLength(2); // at 10 s
    await clock.advance(20_000);
    expect(sent).toHaveLength(3); // at 30 s (interval 20 s)
    await clock.advance(40_000);
    expect(sent).toHaveLength(4); // at 70 s (interval 40 s)
    // Let the interval grow past the cap: from then on retries are 10 min apart.
    await clock.advance(80_000 + 160_000 + 320_000);
    const before = sent.length;
    await clock.advance(600_000);
    expect(sent.length).toBe(before + 1);
    expect(new Set(sent.map((s) => s.uuid))).toEqual(new Set(['u1']));
    m.acknowledge('f', 't', 'u1');
    await clock.advance(3_600_000);
    expect(sent.length).toBe(before + 1);
    m.stop();
    expect(clock.pending()).toBe(0);
  });

  it('does not send while disconnected and re-sends every head on reconnection', async () => {
    const clock = new FakeClock(0);
    const { m, sent } = harness(clock, { append: async () => undefined });
    await m.update('f', st('a', 'TASK_RUNNING', 'ua'));
    await m.update('f', st('b', 'TASK_RUNNING', 'ub'));
    await clock.advance(60_000);
    expect(sent).toHaveLength(0);
    m.setConnected(true);
    expect(sent.map((s) => s.uuid).sort()).toEqual(['ua', 'ub']);
    m.setConnected(false);
    m.setConnected(true);
    expect(sent).toHaveLength(4);
    m.stop();
  });

  it('persists before sending, and replays unacknowledged updates after a restart', async () => {
    const path = join(dir, 'journal.log');
    const j1 = await Journal.rewrite(path, []);
    const clock = new FakeClock(0);
    const first = harness(clock, j1);
    first.m.setConnected(true);
    await Promise.all([
      first.m.update('f', st('t', 'TASK_STARTING', 'u1')),
      first.m.update('f', st('t', 'TASK_RUNNING', 'u2')),
      first.m.update('f', st('x', 'TASK_RUNNING', 'x1')),
    ]);
    expect(j1.syncCount).toBe(1); // one fsync for the whole burst
    first.m.acknowledge('f', 't', 'u1');
    first.m.stop();
    await j1.close();

    const records = (await Journal.read(path)) as UpdateRecord[];
    const second = harness(clock, { append: async () => undefined });
    for (const r of records) {
      if (r.k === 'upd') second.m.restore(r.fid, r.st);
      else second.m.restoreAck(r.fid, r.tid, r.uuid);
    }
    expect(second.m.head('f', 't')?.uuid).toBe('u2');
    expect(second.m.head('f', 'x')?.uuid).toBe('x1');
    second.m.setConnected(true);
    expect(second.sent.map((s) => s.uuid).sort()).toEqual(['u2', 'x1']);
    expect(second.m.queuedRecords()).toHaveLength(2);
    second.m.stop();
  });

  it('drops a torn final journal line', async () => {
    const path = join(dir, 'journal.log');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '{"k":"ack","fid":"f","tid":"t","uuid":"u"}\n{"k":"upd","fi');
    expect(await Journal.read(path)).toEqual([{ k: 'ack', fid: 'f', tid: 't', uuid: 'u' }]);
  });
});

describe('journal', () => {
  it('batches fsyncs and compacts online without losing or duplicating records', async () => {
    const path = join(dir, 'j.log');
    const j = await Journal.rewrite(path, [{ n: 0 }]);
    const state: number[] = [0];
    const add = (n: number): Promise<void> => {
      state.push(n);
      return j.append({ n });
    };
    const first = Array.from({ length: 100 }, (_, i) => add(i + 1));
    // Snapshot = the live state, as the agent's compaction does.
    const compaction = j.compact(() => [{ snapshot: [...state] }]);
    const later = add(101);
    await Promise.all([...first, compaction, later]);
    expect(j.syncCount).toBeLessThanOrEqual(4);
    await j.close();
    const records = await Journal.read(path);
    const snap = records[0] as { snapshot: number[] };
    const tail = records.slice(1) as { n: number }[];
    // Every record is either in the snapshot or appended after it, exactly once.
    const seen = [...snap.snapshot.filter((n) => n !== 0), ...tail.map((r) => r.n)].sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
  });
});

describe('journal auto-compaction', () => {
  it('compacts once the file has doubled past the threshold', async () => {
    const path = join(dir, 'auto.log');
    const j = await Journal.rewrite(path, []);
    let live = 0;
    j.autoCompact(() => [{ live }], 2_000);
    for (let i = 0; i < 200; i++) {
      live = i;
      await j.append({ i, pad: 'x'.repeat(50) });
    }
    await j.close();
    const { statSync } = await import('node:fs');
    expect(statSync(path).size).toBeLessThan(8_000);
    const records = (await Journal.read(path)) as { live?: number; i?: number }[];
    const first = records[0]?.live ?? -1;
    expect(first).toBeGreaterThan(0);
    // Everything after the snapshot is still there, in order.
    expect(records.slice(1).map((r) => r.i)).toEqual(Array.from({ length: 199 - first }, (_, k) => first + 1 + k));
  });
});
