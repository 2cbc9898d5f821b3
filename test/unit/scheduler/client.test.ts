import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SeededRng } from '../../../src/core/rng.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { SchedulerEvent } from '../../../src/api/mesos/scheduler.js';
import { SchedulerCallError, SchedulerClient, SubscriptionFatalError, NotSubscribedError, schedulerUrl } from '../../../src/scheduler/index.js';
import { FakeMaster, waitFor } from './fake-master.js';

const info = { user: 'alice', name: 'test-framework', role: '*' };
const fastBackoff = { initialMs: 5, factor: 1.5, maxMs: 20 };

describe('SchedulerClient', () => {
  let master: FakeMaster;
  let client: SchedulerClient;

  beforeEach(async () => {
    master = new FakeMaster();
    await master.start();
    client = new SchedulerClient({ master: master.address, rng: new SeededRng(7), backoff: fastBackoff });
  });

  afterEach(async () => {
    await client.close();
    await master.stop();
  });

  it('subscribes, remembers the framework id and delivers events to handlers and the iterator', async () => {
    const seen: string[] = [];
    const offers: string[] = [];
    const it = client.events();
    const fid = await client.subscribe(info, {
      onEvent: (e) => {
        seen.push(e.type);
      },
      onOffers: (os) => {
        offers.push(...os.map((o) => o.id.value));
      },
    });
    expect(fid).toBe('fake-master-0000');
    expect(client.id).toBe(fid);
    expect(client.currentStreamId).toBe(master.streamIds[0]);
    const sub = master.subscribes[0]?.body as { framework_id?: unknown; subscribe: { framework_info: Record<string, unknown> } };
    expect(sub.framework_id).toBeUndefined();
    expect(sub.subscribe.framework_info).toEqual(info);
    expect(master.subscribes[0]?.path).toBe('/api/v1/scheduler');

    master.send({ type: 'OFFERS', offers: { offers: [{ id: { value: 'o1' } }] } });
    await waitFor(() => offers.length === 1, 'the offer');
    expect(offers).toEqual(['o1']);
    expect(seen).toEqual(['SUBSCRIBED', 'HEARTBEAT', 'OFFERS']);

    const first = await it.next();
    expect((first.value as SchedulerEvent).type).toBe('SUBSCRIBED');
  });

  it('carries the stream id and framework id on calls and accepts 202', async () => {
    await client.subscribe(info);
    await client.decline(['o1'], { refuse_seconds: 3 });
    await client.acknowledge('a1', 't1', 'q83vEjRWeJCrze8SNFZ4kA==');
    await client.revive();
    const [decline, ack, revive] = master.calls;
    expect(decline?.headers['mesos-stream-id']).toBe(master.streamIds[0]);
    expect(decline?.body).toEqual({
      framework_id: { value: 'fake-master-0000' },
      type: 'DECLINE',
      decline: { offer_ids: [{ value: 'o1' }], filters: { refuse_seconds: 3 } },
    });
    expect(ack?.body['acknowledge']).toEqual({ agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: 'q83vEjRWeJCrze8SNFZ4kA==' });
    expect(revive?.body).toEqual({ framework_id: { value: 'fake-master-0000' }, type: 'REVIVE' });
  });

  it('raises SchedulerCallError on any status but the expected one', async () => {
    await client.subscribe(info);
    master.callStatus = 400;
    master.callBody = 'Framework cannot be found';
    const err = await client.kill('t1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchedulerCallError);
    expect((err as SchedulerCallError).status).toBe(400);
    expect((err as SchedulerCallError).message).toContain('Framework cannot be found');

    master.callStatus = 200;
    master.callBody = '';
    await client.updateFramework({ ...info, name: 'renamed' });
    expect(master.calls[1]?.body['update_framework']).toMatchObject({ framework_info: { name: 'renamed', id: { value: 'fake-master-0000' } } });
    // 200 is an error for every other call (the C++ library would crash on it).
    await expect(client.suppress()).rejects.toBeInstanceOf(SchedulerCallError);
  });

  it('refuses calls before it is subscribed', async () => {
    await expect(client.teardown()).rejects.toBeInstanceOf(NotSubscribedError);
  });

  it('re-subscribes with its framework id after the master drops the stream', async () => {
    const subscribed: string[] = [];
    const disconnects: string[] = [];
    await client.subscribe(info, {
      onSubscribed: (s) => {
        subscribed.push(s.frameworkId);
      },
      onDisconnected: (r) => {
        disconnects.push(r);
      },
    });
    master.streams[0]?.end();
    await waitFor(() => subscribed.length === 2, 're-subscription');
    expect(disconnects).toHaveLength(1);
    const again = master.subscribes[1]?.body as { framework_id: { value: string }; subscribe: { framework_info: { id: { value: string } } } };
    expect(again.framework_id).toEqual({ value: 'fake-master-0000' });
    expect(again.subscribe.framework_info.id).toEqual({ value: 'fake-master-0000' });
    expect(master.subscribes[1]?.headers['mesos-stream-id']).toBeUndefined();
    expect(client.currentStreamId).toBe(master.streamIds[1]);
    await client.reconcile();
    expect(master.calls[0]?.headers['mesos-stream-id']).toBe(master.streamIds[1]);
  });

  it('treats a silent stream as dead after 5 missed heartbeats and re-subscribes', async () => {
    master.heartbeatSeconds = 0.02;
    await client.subscribe(info);
    const t0 = Date.now();
    await waitFor(() => master.subscribes.length === 2, 're-subscription after silence');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(master.streams[0]?.writableEnded === true || master.streams[0]?.destroyed === true || master.streams[0]?.closed === true).toBe(true);
  });

  it('counts missed heartbeats on the injected clock', async () => {
    const clock = new FakeClock();
    const timed = new SchedulerClient({ master: master.address, clock, rng: new SeededRng(5), backoff: { initialMs: 1000, factor: 1, maxMs: 1000 } });
    master.heartbeatSeconds = 2;
    await timed.subscribe(info);
    await clock.advance(9_900);
    await new Promise((r) => setTimeout(r, 50));
    expect(master.subscribes).toHaveLength(1);
    await clock.advance(100); // 5 × 2 s without an event: the stream is dead
    await waitFor(() => clock.pending() === 1, 'the back-off timer');
    expect(master.subscribes).toHaveLength(1);
    await clock.advance(1_000);
    await waitFor(() => master.subscribes.length === 2, 're-subscription');
    await timed.close();
    expect(clock.pending()).toBe(0);
  });

  it('retries a SUBSCRIBE answered 503 and gives up for good on 400', async () => {
    master.script = (res, _b, n) => {
      if (n === 0) {
        res.writeHead(503).end('Master has not finished recovery');
      } else {
        master.accept(res);
      }
    };
    await expect(client.subscribe(info)).resolves.toBe('fake-master-0000');
    expect(master.subscribes).toHaveLength(2);

    const other = new SchedulerClient({ master: master.address, rng: new SeededRng(1), backoff: fastBackoff });
    master.script = (res) => {
      res.writeHead(400).end('Failed to validate scheduler::Call: bad');
    };
    const err = await other.subscribe(info).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SubscriptionFatalError);
    expect((err as SubscriptionFatalError).status).toBe(400);
    await other.close();
  });

  it('does not re-subscribe after TEARDOWN', async () => {
    const disconnects: string[] = [];
    master.script = (res) => {
      master.accept(res);
    };
    await client.subscribe(info, {
      onDisconnected: (r) => {
        disconnects.push(r);
      },
    });
    await client.teardown();
    master.streams[0]?.end();
    expect(await client.finished()).toBeUndefined();
    expect(master.subscribes).toHaveLength(1);
    expect(disconnects).toEqual([]);
  });

  it('surfaces an ERROR event and does not re-subscribe', async () => {
    const errors: string[] = [];
    const it = client.events();
    await client.subscribe(info, {
      onError: (m) => {
        errors.push(m);
      },
    });
    master.send({ type: 'ERROR', error: { message: 'Framework has been removed' } });
    const fatal = await client.finished();
    expect(fatal).toBeInstanceOf(SubscriptionFatalError);
    expect(fatal?.message).toBe('Framework has been removed');
    expect(errors).toEqual(['Framework has been removed']);
    expect(master.subscribes).toHaveLength(1);
    const types: string[] = [];
    for await (const e of it) types.push(e.type);
    expect(types).toEqual(['SUBSCRIBED', 'HEARTBEAT', 'ERROR']);
  });

  it('follows a 307 to the leader and sends calls there', async () => {
    const standby = new FakeMaster();
    await standby.start();
    standby.script = (res) => {
      res.writeHead(307, { Location: `//127.0.0.1:${master.port}/api/v1/scheduler` }).end();
    };
    const viaStandby = new SchedulerClient({ master: `http://${standby.address}/`, rng: new SeededRng(2), backoff: fastBackoff });
    await viaStandby.subscribe(info);
    await viaStandby.teardown();
    expect(master.calls.map((c) => c.body['type'])).toEqual(['TEARDOWN']);
    expect(standby.calls).toHaveLength(0);
    await viaStandby.close();
    await standby.stop();
  });

  it('close() ends the iterator and rejects a pending subscribe', async () => {
    master.script = () => undefined; // never answers
    const pending = client.subscribe(info);
    await waitFor(() => master.subscribes.length === 1, 'the SUBSCRIBE');
    await client.close();
    await expect(pending).rejects.toThrow(/closed/);
    expect((await client.events().next()).done).toBe(true);
  });
});

describe('schedulerUrl', () => {
  it('accepts host:port and URLs', () => {
    expect(schedulerUrl('10.0.0.1:5050')).toBe('http://10.0.0.1:5050/api/v1/scheduler');
    expect(schedulerUrl('http://m1:5050/')).toBe('http://m1:5050/api/v1/scheduler');
    expect(schedulerUrl('m1:5050', '/master/api/v1/scheduler')).toBe('http://m1:5050/master/api/v1/scheduler');
  });
});
