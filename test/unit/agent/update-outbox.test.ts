import { describe, expect, it } from 'vitest';
import type { StatusUpdateBodyJson } from '../../../src/api/agora/agent-protocol.js';
import { MAX_UPDATES_PER_CALL, UpdateOutbox } from '../../../src/agent/update-outbox.js';

const update = (i: number): StatusUpdateBodyJson => ({
  framework_id: { value: 'f' },
  status: { task_id: { value: `t${i}` }, state: 'TASK_STARTING' },
});
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('UpdateOutbox', () => {
  it('sends the updates of one turn in one call, in order', async () => {
    const calls: string[][] = [];
    const box = new UpdateOutbox((batch) => calls.push(batch.map((u) => u.status.task_id.value)));
    box.add(update(1));
    box.add(update(2));
    box.add(update(3));
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([['t1', 't2', 't3']]);
    box.add(update(4));
    await nextTurn();
    expect(calls).toEqual([['t1', 't2', 't3'], ['t4']]);
  });

  it('splits a large burst into bounded calls without losing or reordering any', async () => {
    const calls: string[][] = [];
    const box = new UpdateOutbox((batch) => calls.push(batch.map((u) => u.status.task_id.value)));
    const n = MAX_UPDATES_PER_CALL * 2 + 5;
    for (let i = 0; i < n; i++) box.add(update(i));
    await nextTurn();
    expect(calls.map((c) => c.length)).toEqual([MAX_UPDATES_PER_CALL, MAX_UPDATES_PER_CALL, 5]);
    expect(calls.flat()).toEqual(Array.from({ length: n }, (_, i) => `t${i}`));
  });

  it('flushes synchronously when asked (agent stop)', () => {
    const calls: number[] = [];
    const box = new UpdateOutbox((batch) => calls.push(batch.length));
    box.add(update(1));
    box.flush();
    expect(calls).toEqual([1]);
  });
});
