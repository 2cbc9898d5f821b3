import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/coordination/index.js';
import { OperatorEvents } from '../../../src/master/http/operator-v1-events.js';
import { FakeAgent, Scheduler, StreamClient, frameworkInfo, launch, post, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
let sub: StreamClient | undefined;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  sub?.close();
  sub = undefined;
  await h.close();
});

type Json = Record<string, unknown>;

function types(c: StreamClient): string[] {
  return c.events.map((e) => e.type);
}

describe('v1 operator SUBSCRIBE stream (real socket)', () => {
  it('starts with SUBSCRIBED (full state) and HEARTBEAT, then streams agent, framework and task events', async () => {
    const first = await FakeAgent.subscribe(h);
    sub = await StreamClient.open(`${h.url}/api/v1`, { type: 'SUBSCRIBE' });
    expect(sub.status).toBe(200);
    expect(sub.headers['content-type']).toMatch(/application\/json/);
    expect(sub.headers['mesos-stream-id']).toBeUndefined();
    const subscribed = await sub.next('SUBSCRIBED');
    const body = subscribed['subscribed'] as { get_state: { get_agents: { agents: Json[] } }; heartbeat_interval_seconds: number };
    expect(body.heartbeat_interval_seconds).toBe(15);
    expect(body.get_state.get_agents.agents[0]).toMatchObject({ agent_info: { id: { value: first.agentId } } });
    await sub.next('HEARTBEAT');
    expect(types(sub).slice(0, 2)).toEqual(['SUBSCRIBED', 'HEARTBEAT']);
    // Each record is its own chunk (mesos-framework's parser depends on it).
    expect(sub.chunks[0]).toMatch(/^\d+\n\{"type":"SUBSCRIBED"/);

    const agent = await FakeAgent.subscribe(h, { hostname: '127.0.0.1' });
    const added = await sub.next('AGENT_ADDED');
    expect(added['agent_added']).toMatchObject({ agent: { agent_info: { id: { value: agent.agentId } }, active: true } });

    const s = await Scheduler.subscribe(h, frameworkInfo({ name: 'ops' }));
    const fwAdded = await sub.next('FRAMEWORK_ADDED');
    const fwJson = (fwAdded['framework_added'] as { framework: Json }).framework;
    expect(fwJson).toMatchObject({ framework_info: { id: { value: s.frameworkId }, name: 'ops' }, active: true, connected: true });
    expect(fwJson).not.toHaveProperty('offers');

    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers()[0], 'offer');
    const target = offer.agent_id.value === agent.agentId ? agent : first;
    expect((await s.call('ACCEPT', launch(offer, 'web-1'))).status).toBe(202);
    const taskAdded = await sub.next('TASK_ADDED');
    expect(taskAdded['task_added']).toMatchObject({ task: { task_id: { value: 'web-1' }, framework_id: { value: s.frameworkId }, state: 'TASK_STAGING' } });

    await waitFor(() => target.runTasks().length === 1, 'RUN_TASK');
    await target.status(s.frameworkId, 'web-1', 'TASK_RUNNING', Buffer.alloc(16, 3).toString('base64'));
    const updated = await sub.next('TASK_UPDATED');
    expect(updated['task_updated']).toMatchObject({ framework_id: { value: s.frameworkId }, state: 'TASK_RUNNING', status: { task_id: { value: 'web-1' }, state: 'TASK_RUNNING' } });
    // A re-sent update with the same state and a reconciliation answer are not new TASK_UPDATED events.
    await target.status(s.frameworkId, 'web-1', 'TASK_RUNNING', Buffer.alloc(16, 3).toString('base64'));
    await s.call('RECONCILE', { reconcile: { tasks: [] } });
    await waitFor(() => s.updates().length >= 3, 'reconcile answer');

    // Heartbeats every 15 s of the master's clock.
    const beats = sub.of('HEARTBEAT').length;
    await h.clock.advance(15_000);
    await waitFor(() => sub !== undefined && sub.of('HEARTBEAT').length > beats, 'periodic heartbeat');

    const gone = await post(`${h.url}/master/api/v1`, { type: 'MARK_AGENT_GONE', mark_agent_gone: { agent_id: { value: target.agentId } } });
    expect(gone.status).toBe(200);
    const removed = await sub.next('AGENT_REMOVED');
    expect(removed['agent_removed']).toEqual({ agent_id: { value: target.agentId } });
    const lost = await sub.next('TASK_UPDATED', 2);
    expect(lost['task_updated']).toMatchObject({ state: 'TASK_LOST' });
    expect(sub.of('TASK_UPDATED')).toHaveLength(2);

    expect((await post(`${h.url}/api/v1`, { type: 'TEARDOWN', teardown: { framework_id: { value: s.frameworkId } } })).status).toBe(200);
    const fwRemoved = await sub.next('FRAMEWORK_REMOVED');
    expect(fwRemoved['framework_removed']).toMatchObject({ framework_info: { id: { value: s.frameworkId }, name: 'ops' } });
  });

  it('sends FRAMEWORK_UPDATED when a framework re-subscribes, and a closed subscriber is dropped', async () => {
    sub = await StreamClient.open(`${h.url}/api/v1`, { type: 'SUBSCRIBE' });
    await sub.next('SUBSCRIBED');
    const s = await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 60 }));
    await sub.next('FRAMEWORK_ADDED');
    s.stream.close();
    await waitFor(() => h.master.frameworks.get(s.frameworkId as never)?.connected === false, 'disconnected');
    await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 60, id: { value: s.frameworkId } }));
    const upd = await sub.next('FRAMEWORK_UPDATED');
    expect(upd['framework_updated']).toMatchObject({ framework: { framework_info: { id: { value: s.frameworkId } }, connected: true } });
    expect(h.master.operatorEvents.subscriberCount).toBe(1);
    sub.close();
    await waitFor(() => h.master.operatorEvents.subscriberCount === 0, 'subscriber dropped');
  });

  it('publishes TASK_UPDATED for a health change without a state change', async () => {
    const agent = await FakeAgent.subscribe(h);
    const s = await Scheduler.subscribe(h);
    sub = await StreamClient.open(`${h.url}/api/v1`, { type: 'SUBSCRIBE' });
    await sub.next('SUBSCRIBED');
    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers()[0], 'offer');
    await s.call('ACCEPT', launch(offer, 't1'));
    await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
    await agent.status(s.frameworkId, 't1', 'TASK_RUNNING');
    await sub.next('TASK_UPDATED');
    await agent.call('STATUS_UPDATE', {
      status_update: {
        framework_id: { value: s.frameworkId },
        status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', healthy: false },
        latest_state: 'TASK_RUNNING',
      },
    });
    const second = await sub.next('TASK_UPDATED', 2);
    expect(second['task_updated']).toMatchObject({ state: 'TASK_RUNNING', status: { healthy: false } });
    // Teardown kills the task (TASK_UPDATED) and removes the framework.
    expect((await post(`${h.url}/api/v1`, { type: 'TEARDOWN', teardown: { framework_id: { value: s.frameworkId } } })).status).toBe(200);
    await sub.next('FRAMEWORK_REMOVED');
    const killedAt = sub.events.findIndex((e) => e.type === 'TASK_UPDATED' && (e['task_updated'] as { state: string }).state === 'TASK_KILLED');
    expect(sub.events[killedAt]?.['task_updated']).toMatchObject({ status: { reason: 'REASON_FRAMEWORK_REMOVED' } });
    expect(killedAt).toBeLessThan(types(sub).indexOf('FRAMEWORK_REMOVED'));
  });

  it('closes the oldest subscriber when more than the maximum subscribe', async () => {
    const events = new OperatorEvents(h.master, 1);
    const server = createServer((_req, res) => events.subscribe(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const a = await StreamClient.open(url, {});
      await a.next('SUBSCRIBED');
      const b = await StreamClient.open(url, {});
      await b.next('SUBSCRIBED');
      await waitFor(() => a.ended, 'oldest closed');
      expect(b.ended).toBe(false);
      expect(events.subscriberCount).toBe(1);
      events.closeAll();
      await waitFor(() => b.ended, 'closed on closeAll');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('after a master restart, a re-registering agent yields AGENT_ADDED, FRAMEWORK_ADDED (recovered) and TASK_ADDED', async () => {
    await h.close();
    const store = new MemoryStore();
    h = await startHarness({ agent_reregister_timeout: '10mins' }, store);
    const agent = await FakeAgent.subscribe(h);
    const s = await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 3600, checkpoint: true }));
    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers()[0], 'offer');
    await s.call('ACCEPT', launch(offer, 't1'));
    const task = (await waitFor(() => agent.runTasks()[0], 'RUN_TASK')).task;
    s.stream.close();
    agent.stream.close();
    await h.close();
    h = await startHarness({ agent_reregister_timeout: '10mins' }, store);
    sub = await StreamClient.open(`${h.url}/api/v1`, { type: 'SUBSCRIBE' });
    await sub.next('SUBSCRIBED');
    await FakeAgent.subscribe(h, {
      agentId: agent.agentId,
      frameworks: [frameworkInfo({ id: { value: s.frameworkId }, failover_timeout: 3600, checkpoint: true })],
      tasks: [{ framework_id: { value: s.frameworkId }, task, state: 'TASK_RUNNING' }],
    });
    const fw = await sub.next('FRAMEWORK_ADDED');
    expect(fw['framework_added']).toMatchObject({ framework: { framework_info: { id: { value: s.frameworkId } }, recovered: true, connected: false } });
    const added = await sub.next('TASK_ADDED');
    expect(added['task_added']).toMatchObject({ task: { task_id: { value: 't1' }, state: 'TASK_RUNNING' } });
    await sub.next('AGENT_ADDED');
  });
});
