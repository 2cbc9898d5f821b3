import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { MemoryStore } from '../../../src/coordination/index.js';
import { FakeAgent, Scheduler, StreamClient, frameworkInfo, launch, post, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const NODE_A = { hostname: 'node-a', ip: '127.0.0.1' };
const HOUR_NS = 3600 * 1e9;

async function get(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await request(`${h.url}${path}`);
  const text = await res.body.text();
  return { status: res.statusCode, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function schedule(machines: unknown[], startNs = 1e18, durationNs = HOUR_NS): Record<string, unknown> {
  return { windows: [{ machine_ids: machines, unavailability: { start: { nanoseconds: startNs }, duration: { nanoseconds: durationNs } } }] };
}

/** Polls an async read (real time) until ok(value). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (performance.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function v1(call: Record<string, unknown>): Promise<{ status: number; body: string }> {
  return post(`${h.url}/api/v1`, call);
}

/** An agent on node-a, a framework with one running task on it. */
async function withTask(info = frameworkInfo()): Promise<{ agent: FakeAgent; s: Scheduler; taskId: string }> {
  const agent = await FakeAgent.subscribe(h, { hostname: 'node-a' });
  const s = await Scheduler.subscribe(h, info);
  await h.clock.advance(1000);
  const offer = await waitFor(() => s.offers()[0], 'offer');
  expect((await s.call('ACCEPT', launch(offer, 't1'))).status).toBe(202);
  await waitFor(() => agent.runTasks().length === 1, 'RUN_TASK');
  await agent.status(s.frameworkId, 't1', 'TASK_RUNNING');
  await waitFor(() => s.updates().some((u) => u.state === 'TASK_RUNNING'), 'TASK_RUNNING');
  return { agent, s, taskId: 't1' };
}

describe('maintenance schedule', () => {
  it('validates windows as upstream and keeps the schedule', async () => {
    const url = `${h.url}/maintenance/schedule`;
    expect((await get('/maintenance/schedule')).json).toEqual({});
    const empty = await post(url, { windows: [{ machine_ids: [], unavailability: { start: { nanoseconds: 0 } } }] });
    expect(empty).toEqual({ status: 400, body: 'List of machines in the maintenance window is empty' });
    const noId = await post(url, schedule([{}]));
    expect(noId.status).toBe(400);
    expect(noId.body).toContain("One of 'hostname' or 'ip'");
    const twice = await post(url, { windows: [schedule([NODE_A])['windows'] as unknown[], schedule([{ ...NODE_A, hostname: 'NODE-A' }])['windows'] as unknown[]].flat() });
    expect(twice.status).toBe(400);
    expect(twice.body).toContain('appears more than once in the schedule');
    const negative = await post(url, schedule([NODE_A], 0, -1));
    expect(negative).toEqual({ status: 400, body: "Unavailability 'duration' is negative" });
    expect((await post(url, '{not json')).status).toBe(400);
    expect((await post(url, schedule([NODE_A]))).status).toBe(200);
    expect((await get('/maintenance/schedule')).json).toEqual(schedule([NODE_A]));
    expect((await get('/maintenance/status')).json).toEqual({ draining_machines: [{ id: NODE_A }] });
    const v1s = await v1({ type: 'GET_MAINTENANCE_SCHEDULE' });
    expect(JSON.parse(v1s.body)).toEqual({ type: 'GET_MAINTENANCE_SCHEDULE', get_maintenance_schedule: { schedule: schedule([NODE_A]) } });
    const del = await request(url, { method: 'DELETE' });
    expect(del.statusCode).toBe(405);
    await del.body.text();
  });

  it('machine down needs DRAINING, machine up needs DOWN, a DOWN machine cannot leave the schedule', async () => {
    const other = { hostname: 'node-b', ip: '127.0.0.2' };
    expect(await post(`${h.url}/machine/down`, [other])).toEqual({ status: 400, body: `Machine '${JSON.stringify(other)}' is not part of a maintenance schedule` });
    expect((await post(`${h.url}/maintenance/schedule`, schedule([NODE_A]))).status).toBe(200);
    expect(await post(`${h.url}/machine/up`, [NODE_A])).toEqual({ status: 400, body: `Machine '${JSON.stringify(NODE_A)}' is not in DOWN mode and cannot be brought up` });
    expect(await post(`${h.url}/machine/down`, [])).toEqual({ status: 400, body: 'List of machines is empty' });
    expect((await post(`${h.url}/machine/down`, [NODE_A])).status).toBe(200);
    expect(await post(`${h.url}/machine/down`, [NODE_A])).toEqual({ status: 400, body: `Machine '${JSON.stringify(NODE_A)}' is not in DRAINING mode and cannot be brought down` });
    expect((await get('/maintenance/status')).json).toEqual({ down_machines: [NODE_A] });
    const drop = await post(`${h.url}/maintenance/schedule`, { windows: [] });
    expect(drop).toEqual({ status: 400, body: `Machine '${JSON.stringify(NODE_A)}' is deactivated and cannot be removed from the schedule` });
    expect((await v1({ type: 'STOP_MAINTENANCE', stop_maintenance: { machines: [NODE_A] } })).status).toBe(200);
    expect((await get('/maintenance/status')).json).toEqual({});
    expect((await get('/maintenance/schedule')).json).toEqual({});
  });

  it('offers carry unavailability; the framework gets an inverse offer, accepts it; machine down ends the task; up lets the agent back', async () => {
    const { agent, s } = await withTask();
    expect((await v1({ type: 'UPDATE_MAINTENANCE_SCHEDULE', update_maintenance_schedule: { schedule: schedule([NODE_A]) } })).status).toBe(200);
    await h.clock.advance(1000);
    const ev = await s.stream.next('INVERSE_OFFERS');
    const inverse = (ev['inverse_offers'] as { inverse_offers: { id: { value: string }; agent_id: { value: string }; unavailability: unknown; resources: unknown[] }[] }).inverse_offers;
    expect(inverse).toHaveLength(1);
    expect(inverse[0]?.agent_id.value).toBe(agent.agentId);
    expect(inverse[0]?.unavailability).toEqual({ start: { nanoseconds: 1e18 }, duration: { nanoseconds: HOUR_NS } });
    expect(inverse[0]?.resources).toEqual([]);
    const status1 = (await get('/maintenance/status')).json as { draining_machines: { statuses: { status: string }[] }[] };
    expect(status1.draining_machines[0]?.statuses[0]?.status).toBe('UNKNOWN');
    // Offers of the agent now carry the window (once the 5 s filter of the ACCEPT leftovers expired).
    await h.clock.advance(5000);
    const latest = await waitFor(() => s.offers().find((o) => o['unavailability'] !== undefined), 'offer with unavailability');
    expect(latest['unavailability']).toEqual({ start: { nanoseconds: 1e18 }, duration: { nanoseconds: HOUR_NS } });
    // Still outstanding: no second inverse offer.
    expect(s.stream.of('INVERSE_OFFERS')).toHaveLength(1);
    expect((await s.call('ACCEPT_INVERSE_OFFERS', { accept_inverse_offers: { inverse_offer_ids: [inverse[0]?.id], filters: { refuse_seconds: 3600 } } })).status).toBe(202);
    const accepted = await until(async () => ((await get('/maintenance/status')).json as { draining_machines: { statuses: { status: string; framework_id: { value: string } }[] }[] }).draining_machines[0]?.statuses[0], (st) => st?.status === 'ACCEPT');
    expect(accepted?.framework_id.value).toBe(s.frameworkId);
    // The answer filters further inverse offers for an hour.
    await h.clock.advance(5000);
    expect(s.stream.of('INVERSE_OFFERS')).toHaveLength(1);
    // Machine down: the agent is told to shut down and removed, its task is lost.
    expect((await v1({ type: 'START_MAINTENANCE', start_maintenance: { machines: [NODE_A] } })).status).toBe(200);
    await waitFor(() => agent.stream.of('SHUTDOWN').length === 1, 'SHUTDOWN');
    await waitFor(() => s.updates().some((u) => u.state === 'TASK_LOST' && u.reason === 'REASON_AGENT_REMOVED'), 'TASK_LOST');
    expect(h.master.agents.has(agent.agentId as never)).toBe(false);
    // While DOWN the agent is refused.
    const again = await StreamClient.open(`${h.url}/agora/api/v1/agent`, {
      type: 'SUBSCRIBE',
      subscribe: { version: 1, agent_info: { hostname: 'node-a', port: 5051, resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 } }] }, capabilities: [], frameworks: [], tasks: [] },
    });
    const shut = await again.next('SHUTDOWN');
    expect(shut['shutdown']).toEqual({ message: 'Machine is `DOWN`' });
    again.close();
    // Machine up: the agent registers and is offered again, without unavailability.
    expect((await post(`${h.url}/machine/up`, [NODE_A])).status).toBe(200);
    const back = await FakeAgent.subscribe(h, { hostname: 'node-a' });
    const before = s.offers().length;
    await h.clock.advance(1000);
    const offer = await waitFor(() => s.offers().slice(before).find((o) => o.agent_id.value === back.agentId), 'offer after up');
    expect(offer['unavailability']).toBeUndefined();
  });

  it('declines are recorded, a changed window rescinds the inverse offer and persists across a restart of the state', async () => {
    const { s } = await withTask();
    expect((await post(`${h.url}/maintenance/schedule`, schedule([NODE_A]))).status).toBe(200);
    await h.clock.advance(1000);
    await s.stream.next('INVERSE_OFFERS');
    expect((await post(`${h.url}/maintenance/schedule`, schedule([NODE_A], 2e18))).status).toBe(200);
    const rescind = await s.stream.next('RESCIND_INVERSE_OFFER');
    expect(rescind['rescind_inverse_offer']).toBeDefined();
    await h.clock.advance(1000);
    const ev = await s.stream.next('INVERSE_OFFERS', 2);
    const io = (ev['inverse_offers'] as { inverse_offers: { id: { value: string }; unavailability: { start: { nanoseconds: number } } }[] }).inverse_offers[0];
    expect(io?.unavailability.start.nanoseconds).toBe(2e18);
    expect((await s.call('DECLINE_INVERSE_OFFERS', { decline_inverse_offers: { inverse_offer_ids: [io?.id] } })).status).toBe(202);
    await until(async () => ((await get('/maintenance/status')).json as { draining_machines: { statuses: { status: string }[] }[] }).draining_machines[0]?.statuses[0]?.status, (st) => st === 'DECLINE');
    const snap = await h.master.registry.recover();
    expect(snap.maintenance?.machines).toEqual([{ id: NODE_A, mode: 'DRAINING' }]);
  });
});

describe('inverse offers answered by draining', () => {
  it('the framework accepts and moves its task away; machine down then loses nothing', async () => {
    const { agent, s } = await withTask();
    expect((await post(`${h.url}/maintenance/schedule`, schedule([NODE_A]))).status).toBe(200);
    await h.clock.advance(1000);
    const ev = await s.stream.next('INVERSE_OFFERS');
    const io = (ev['inverse_offers'] as { inverse_offers: { id: { value: string } }[] }).inverse_offers[0];
    expect((await s.call('ACCEPT_INVERSE_OFFERS', { accept_inverse_offers: { inverse_offer_ids: [io?.id] } })).status).toBe(202);
    expect((await s.call('KILL', { kill: { task_id: { value: 't1' } } })).status).toBe(202);
    await agent.stream.next('KILL_TASK');
    await agent.status(s.frameworkId, 't1', 'TASK_KILLED');
    await waitFor(() => s.updates().some((u) => u.state === 'TASK_KILLED'), 'TASK_KILLED');
    // Nothing of the framework is left on the agent: no new inverse offer once the answer's filter expires.
    await h.clock.advance(10_000);
    expect(s.stream.of('INVERSE_OFFERS').length).toBeLessThanOrEqual(2);
    expect((await post(`${h.url}/machine/down`, [NODE_A])).status).toBe(200);
    await agent.stream.next('SHUTDOWN');
    expect(s.updates().map((u) => u.state)).toEqual(['TASK_RUNNING', 'TASK_KILLED']);
  });
});

describe('agent drain and deactivation', () => {
  it('DEACTIVATE_AGENT stops offers, REACTIVATE_AGENT resumes them; unknown agents get 400', async () => {
    const agent = await FakeAgent.subscribe(h, { hostname: 'node-a' });
    const s = await Scheduler.subscribe(h);
    await h.clock.advance(1000);
    await waitFor(() => s.offers().length === 1, 'offer');
    expect(await v1({ type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: 'nope' } } })).toEqual({ status: 400, body: "Unknown agent 'nope'" });
    expect(await v1({ type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: agent.agentId } } })).toEqual({ status: 400, body: `Agent '${agent.agentId}' is not deactivated` });
    expect((await v1({ type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: agent.agentId } } })).status).toBe(200);
    await s.stream.next('RESCIND');
    await h.clock.advance(3000);
    expect(s.offers()).toHaveLength(1);
    const state = (await get('/master/state')).json as { slaves: { deactivated: boolean }[] };
    expect(state.slaves[0]?.deactivated).toBe(true);
    expect((await v1({ type: 'REACTIVATE_AGENT', reactivate_agent: { agent_id: { value: agent.agentId } } })).status).toBe(200);
    await h.clock.advance(1000);
    await waitFor(() => s.offers().length === 2, 'offer after reactivation');
  });

  it('DRAIN_AGENT kills tasks with the grace period capped, then the agent is DRAINED (and gone with mark_gone)', async () => {
    const { agent, s } = await withTask();
    const drain = await v1({ type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: agent.agentId }, max_grace_period: { seconds: 2, nanos: 0 }, mark_gone: true } });
    expect(drain.status).toBe(200);
    const kill = await agent.stream.next('KILL_TASK');
    expect(kill['kill_task']).toEqual({ framework_id: { value: s.frameworkId }, task_id: { value: 't1' }, kill_policy: { grace_period: { nanoseconds: 2e9 } } });
    let state = (await get('/master/state')).json as { slaves: { deactivated: boolean; drain_info?: unknown }[] };
    expect(state.slaves[0]?.deactivated).toBe(true);
    expect(state.slaves[0]?.drain_info).toEqual({ state: 'DRAINING', config: { mark_gone: true, max_grace_period: { nanoseconds: 2e9 } } });
    // No offers while draining.
    const offers = s.offers().length;
    await agent.status(s.frameworkId, 't1', 'TASK_KILLED');
    await h.clock.advance(2000);
    expect(s.offers().length).toBe(offers);
    const killed = await waitFor(() => s.updates().find((u) => u.state === 'TASK_KILLED'), 'TASK_KILLED');
    expect(killed.reason).toBe('REASON_AGENT_DRAINING');
    await waitFor(() => h.master.agents.get(agent.agentId as never)?.state === 'gone', 'agent gone after DRAINED');
    state = (await get('/master/state')).json as { slaves: { deactivated: boolean; drain_info?: unknown }[] };
    expect(state.slaves).toHaveLength(0);
    const snap = await h.master.registry.recover();
    expect(snap.agentDrains?.[0]?.drain_info).toEqual({ state: 'DRAINED', config: { mark_gone: true, max_grace_period: { nanoseconds: 2e9 } } });
  });
});

describe('maintenance across a master restart', () => {
  it('the schedule, machine modes and deactivated agents come back from the registry', async () => {
    const store = new MemoryStore();
    const first = await startHarness({}, store);
    const agent = await FakeAgent.subscribe(first, { hostname: 'node-a' });
    const other = { hostname: 'node-b', ip: '127.0.0.2' };
    expect((await post(`${first.url}/maintenance/schedule`, schedule([NODE_A, other]))).status).toBe(200);
    expect((await post(`${first.url}/machine/down`, [other])).status).toBe(200);
    expect((await post(`${first.url}/api/v1`, { type: 'DEACTIVATE_AGENT', deactivate_agent: { agent_id: { value: agent.agentId } } })).status).toBe(200);
    agent.stream.close();
    await first.close();
    const second = await startHarness({}, store);
    try {
      const sched = await request(`${second.url}/maintenance/schedule`);
      expect(JSON.parse(await sched.body.text())).toEqual(schedule([NODE_A, other]));
      const st = await request(`${second.url}/maintenance/status`);
      expect(JSON.parse(await st.body.text())).toEqual({ draining_machines: [{ id: NODE_A }], down_machines: [other] });
      const back = await FakeAgent.subscribe(second, { hostname: 'node-a', agentId: agent.agentId });
      const s = await Scheduler.subscribe(second);
      await second.clock.advance(2000);
      expect(s.offers()).toHaveLength(0);
      const state = await request(`${second.url}/master/state`);
      const slaves = (JSON.parse(await state.body.text()) as { slaves: { id: string; deactivated: boolean }[] }).slaves;
      expect(slaves.find((x) => x.id === back.agentId)?.deactivated).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('draining with mark_gone, PARTITION_AWARE', () => {
  it('the kill of a PARTITION_AWARE task is reported as TASK_GONE_BY_OPERATOR, reason REASON_AGENT_DRAINING', async () => {
    const { agent, s } = await withTask(frameworkInfo({ capabilities: [{ type: 'PARTITION_AWARE' }] }));
    expect((await v1({ type: 'DRAIN_AGENT', drain_agent: { agent_id: { value: agent.agentId }, mark_gone: true } })).status).toBe(200);
    const kill = await agent.stream.next('KILL_TASK');
    expect((kill['kill_task'] as { kill_policy?: unknown }).kill_policy).toBeUndefined();
    await agent.status(s.frameworkId, 't1', 'TASK_KILLED');
    const gone = await waitFor(() => s.updates().find((u) => u.state === 'TASK_GONE_BY_OPERATOR'), 'TASK_GONE_BY_OPERATOR');
    expect(gone.reason).toBe('REASON_AGENT_DRAINING');
    await h.clock.advance(1000);
    await waitFor(() => h.master.agents.get(agent.agentId as never)?.state === 'gone', 'agent gone');
  });
});
