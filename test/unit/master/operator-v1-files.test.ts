import { afterEach, describe, expect, it } from 'vitest';
import { StreamClient, startHarness, waitFor, type Harness } from './harness.js';
import { masterConfig } from '../../../src/master/index.js';

let h: Harness | undefined;
const subs: StreamClient[] = [];
afterEach(async () => {
  for (const s of subs.splice(0)) s.close();
  await h?.close();
  h = undefined;
});

async function op(harness: Harness, body: unknown): Promise<{ status: number; body: string }> {
  const r = await harness.app.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  return { status: r.statusCode, body: r.body };
}

describe('master v1 operator API: logging level and files (spec §5.9)', () => {
  it('SET_LOGGING_LEVEL sets the level for the duration on the master clock', async () => {
    h = await startHarness();
    expect((await op(h, { type: 'SET_LOGGING_LEVEL' })).body).toBe("Failed to validate master::Call: Expecting 'set_logging_level' to be present");
    const set = await op(h, { type: 'SET_LOGGING_LEVEL', set_logging_level: { level: 1, duration: { nanoseconds: 10e9 } } });
    expect(set).toEqual({ status: 200, body: '' });
    expect(JSON.parse((await op(h, { type: 'GET_LOGGING_LEVEL' })).body)).toEqual({ type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 1 } });
    await h.clock.advance(10_000);
    expect(JSON.parse((await op(h, { type: 'GET_LOGGING_LEVEL' })).body)).toEqual({ type: 'GET_LOGGING_LEVEL', get_logging_level: { level: 0 } });
  });

  it('LIST_FILES and READ_FILE: the master attaches no log file, so paths are 404', async () => {
    h = await startHarness();
    expect((await op(h, { type: 'LIST_FILES' })).status).toBe(400);
    expect((await op(h, { type: 'READ_FILE', read_file: { path: '/master/log' } })).status).toBe(400);
    const list = await op(h, { type: 'LIST_FILES', list_files: { path: '/master/log' } });
    expect(list.status).toBe(404);
    expect((await op(h, { type: 'READ_FILE', read_file: { path: '/etc/passwd', offset: 0 } })).status).toBe(404);
  });
});

describe('--max_operator_event_stream_subscribers', () => {
  it('is a master flag (default 1000)', () => {
    expect(masterConfig({}, 5050).maxOperatorSubscribers).toBe(1000);
    expect(masterConfig({ max_operator_event_stream_subscribers: 3 }, 5050).maxOperatorSubscribers).toBe(3);
  });

  it('closes the oldest stream beyond the configured limit', async () => {
    h = await startHarness({ max_operator_event_stream_subscribers: '2' });
    const open = async (): Promise<StreamClient> => {
      const s = await StreamClient.open(`${h?.url ?? ''}/api/v1`, { type: 'SUBSCRIBE' });
      subs.push(s);
      await s.next('SUBSCRIBED');
      return s;
    };
    const a = await open();
    const b = await open();
    expect(a.ended).toBe(false);
    const c = await open();
    await waitFor(() => a.ended, 'oldest closed');
    expect(b.ended).toBe(false);
    expect(c.ended).toBe(false);
    expect(h.master.operatorEvents.subscriberCount).toBe(2);
  });
});
