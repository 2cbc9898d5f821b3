import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { MemoryStore } from '../../../src/coordination/index.js';
import { asAgentId } from '../../../src/core/ids.js';
import { fromWire, type WireResource } from '../../../src/core/resources.js';
import { FakeAgent, Scheduler, frameworkInfo, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

type Res = { name: string; role?: string; reservation?: { principal?: string }; scalar?: { value: number }; disk?: unknown };

const reservedCpus = (v: number): unknown => ({ name: 'cpus', type: 'SCALAR', scalar: { value: v }, role: 'dev', reservation: { principal: 'p' } });
const reservedDisk = (v: number): unknown => ({ name: 'disk', type: 'SCALAR', scalar: { value: v }, role: 'dev', reservation: { principal: 'p' } });
const volume = (v: number, id: string): unknown => ({ ...(reservedDisk(v) as object), disk: { persistence: { id, principal: 'p' }, volume: { container_path: 'data', mode: 'RW' } } });

async function form(path: string, body: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await request(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

async function slave(id: string): Promise<Record<string, unknown>> {
  const res = await request(`${h.url}/master/slaves`);
  const json = (await res.body.json()) as { slaves: Record<string, unknown>[] };
  const a = json.slaves.find((s) => s['id'] === id);
  if (a === undefined) throw new Error('agent missing');
  return a;
}

function reservedIn(offer: { resources: unknown[] }, name: string): number {
  return (offer.resources as Res[]).filter((r) => r.name === name && r.role === 'dev').reduce((n, r) => n + (r.scalar?.value ?? 0), 0);
}

async function setup(): Promise<{ agent: FakeAgent; s: Scheduler }> {
  const agent = await FakeAgent.subscribe(h);
  const s = await Scheduler.subscribe(h, frameworkInfo({ role: 'dev', principal: 'p' }));
  await h.clock.advance(1000);
  await waitFor(() => s.offers().length > 0, 'first offer');
  return { agent, s };
}

describe('RESERVE / CREATE through ACCEPT', () => {
  it('reserves, checkpoints on the agent, shows the reservation and offers it back to the role', async () => {
    const { agent, s } = await setup();
    const o = s.offers()[0];
    if (o === undefined) throw new Error('no offer');
    const ops = [
      { type: 'RESERVE', reserve: { resources: [reservedCpus(1), reservedDisk(100)] } },
      { type: 'CREATE', create: { volumes: [volume(40, 'v1')] } },
    ];
    expect((await s.call('ACCEPT', { accept: { offer_ids: [o.id], operations: ops, filters: { refuse_seconds: 0 } } })).status).toBe(202);
    const ck = await agent.stream.next('CHECKPOINT_RESOURCES');
    const total = (ck['checkpoint_resources'] as { resources: Res[] }).resources;
    expect(total.some((r) => r.name === 'disk' && r.disk !== undefined)).toBe(true);
    const a = await slave(agent.agentId);
    expect((a['reserved_resources'] as Record<string, Record<string, number>>)['dev']).toMatchObject({ cpus: 1, disk: 100 });
    expect((a['unreserved_resources'] as Record<string, number>)['cpus']).toBe(3);
    await h.clock.advance(1000);
    await waitFor(() => s.offers().length === 2, 'second offer');
    const next = s.offers()[1];
    if (next === undefined) throw new Error('no second offer');
    expect(reservedIn(next, 'cpus')).toBe(1);
    expect(reservedIn(next, 'disk')).toBe(100);
    expect((next.resources as Res[]).some((r) => r.disk !== undefined)).toBe(true);
  });
  it('DESTROY and UNRESERVE through ACCEPT restore the agent; the allocator books stay whole', async () => {
    const { agent, s } = await setup();
    const accept = async (operations: unknown[]): Promise<{ resources: unknown[] }> => {
      const n = s.offers().length;
      const o = s.offers()[n - 1];
      await s.call('ACCEPT', { accept: { offer_ids: [o?.id], operations, filters: { refuse_seconds: 0 } } });
      await h.clock.advance(1000);
      await waitFor(() => s.offers().length === n + 1, 'next offer');
      return s.offers()[n] as { resources: unknown[] };
    };
    await accept([
      { type: 'RESERVE', reserve: { resources: [reservedCpus(1), reservedDisk(100)] } },
      { type: 'CREATE', create: { volumes: [volume(40, 'v1')] } },
    ]);
    const back = await accept([
      { type: 'DESTROY', destroy: { volumes: [volume(40, 'v1')] } },
      { type: 'UNRESERVE', unreserve: { resources: [reservedCpus(1), reservedDisk(100)] } },
    ]);
    expect(reservedIn(back, 'cpus') + reservedIn(back, 'disk')).toBe(0);
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(2);
    const rec = h.master.agents.get(asAgentId(agent.agentId));
    expect(rec?.total.reserved().isEmpty()).toBe(true);
    // Everything is offered again: what the framework holds equals the agent's total.
    const held = fromWire(back.resources as WireResource[]).unallocated();
    expect(rec !== undefined && held.equals(rec.total)).toBe(true);
  });
  it('drops an invalid RESERVE (other role) and keeps the offer resources unreserved', async () => {
    const { agent, s } = await setup();
    const o = s.offers()[0];
    const bad = { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'ops', reservation: { principal: 'p' } };
    await s.call('ACCEPT', { accept: { offer_ids: [o?.id], operations: [{ type: 'RESERVE', reserve: { resources: [bad] } }], filters: { refuse_seconds: 0 } } });
    await h.clock.advance(1000);
    await waitFor(() => s.offers().length === 2, 'second offer');
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(0);
    expect(reservedIn(s.offers()[1] as { resources: unknown[] }, 'cpus')).toBe(0);
  });
  it('an operation with an id gets OPERATION_ERROR (no RESOURCE_PROVIDER capability) and is dropped', async () => {
    const { agent, s } = await setup();
    const op = { type: 'RESERVE', id: { value: 'op-1' }, reserve: { resources: [reservedCpus(1)] } };
    await s.call('ACCEPT', { accept: { offer_ids: [s.offers()[0]?.id], operations: [op] } });
    const ev = await s.stream.next('UPDATE_OPERATION_STATUS');
    expect(ev['update_operation_status']).toMatchObject({ status: { operation_id: { value: 'op-1' }, state: 'OPERATION_ERROR', agent_id: { value: agent.agentId } } });
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(0);
    await s.call('ACCEPT', { accept: { offer_ids: [{ value: 'gone' }], operations: [op] } });
    await s.stream.next('UPDATE_OPERATION_STATUS', 2);
  });
  it('reserved resources are not offered to another role', async () => {
    const agent = await FakeAgent.subscribe(h);
    const r = await form('/master/reserve', { slaveId: agent.agentId, resources: JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 2 }, role: 'dev', reservation: {} }]) });
    expect(r.status).toBe(202);
    const other = await Scheduler.subscribe(h, frameworkInfo({ role: 'ops' }));
    await h.clock.advance(1000);
    await waitFor(() => other.offers().length > 0, 'offer to ops');
    const o = other.offers()[0] as { resources: Res[] };
    expect(o.resources.filter((x) => x.name === 'cpus').reduce((n, x) => n + (x.scalar?.value ?? 0), 0)).toBe(2);
    expect(o.resources.every((x) => x.role !== 'dev')).toBe(true);
  });
});

describe('operator endpoints', () => {
  it('/reserve and /unreserve: 202, 400 and 409', async () => {
    const agent = await FakeAgent.subscribe(h);
    const res = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'dev', reservation: {} }]);
    expect(await form('/reserve', { resources: res })).toEqual({ status: 400, body: "Missing 'slaveId' query parameter in the request body" });
    expect((await form('/reserve', { slaveId: agent.agentId })).body).toBe("Missing 'resources' query parameter in the request body");
    expect((await form('/reserve', { slaveId: agent.agentId, resources: '[' })).status).toBe(400);
    expect((await form('/reserve', { slaveId: 'nope', resources: res })).body).toBe('No agent found with specified ID');
    expect((await form('/master/reserve', { slaveId: agent.agentId, resources: res })).status).toBe(202);
    const big = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 100 }, role: 'dev', reservation: {} }]);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: big })).status).toBe(409);
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(1);
    expect(((await slave(agent.agentId))['reserved_resources'] as Record<string, { cpus: number }>)['dev']?.cpus).toBe(1);
    expect((await form('/unreserve', { slaveId: agent.agentId, resources: res })).status).toBe(202);
    expect((await slave(agent.agentId))['reserved_resources']).toEqual({});
    expect((await form('/unreserve', { slaveId: agent.agentId, resources: res })).status).toBe(409);
    expect((await request(`${h.url}/reserve`)).statusCode).toBe(405);
  });
  it('v1 operator RESERVE_RESOURCES, CREATE_VOLUMES, DESTROY_VOLUMES and UNRESERVE_RESOURCES: 202, 400 and 409', async () => {
    const agent = await FakeAgent.subscribe(h);
    const v1 = async (body: unknown): Promise<{ status: number; body: string }> => {
      const res = await request(`${h.url}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.statusCode, body: await res.body.text() };
    };
    const agentId = { value: agent.agentId };
    expect((await v1({ type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: agentId, resources: [reservedDisk(10)] } })).status).toBe(202);
    expect(((await slave(agent.agentId))['reserved_resources'] as Record<string, { disk: number }>)['dev']?.disk).toBe(10);
    expect((await v1({ type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: agentId, resources: [reservedCpus(100)] } })).status).toBe(409);
    expect((await v1({ type: 'RESERVE_RESOURCES', reserve_resources: { agent_id: { value: 'nope' }, resources: [reservedCpus(1)] } })).status).toBe(400);
    expect((await v1({ type: 'CREATE_VOLUMES', create_volumes: { agent_id: agentId, volumes: [volume(10, 'v1')] } })).status).toBe(202);
    expect((await v1({ type: 'DESTROY_VOLUMES', destroy_volumes: { agent_id: agentId, volumes: [volume(10, 'v1')] } })).status).toBe(202);
    expect((await v1({ type: 'UNRESERVE_RESOURCES', unreserve_resources: { agent_id: agentId, resources: [reservedDisk(10)] } })).status).toBe(202);
    expect((await slave(agent.agentId))['reserved_resources']).toEqual({});
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(4);
  });

  it('/reserve with source re-reserves', async () => {
    const agent = await FakeAgent.subscribe(h);
    const dev = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'dev' }] }]);
    const ops = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, reservations: [{ type: 'DYNAMIC', role: 'ops' }] }]);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: dev })).status).toBe(202);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: ops, source: ops })).status).toBe(409);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: ops, source: '{' })).status).toBe(400);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: ops, source: dev })).status).toBe(202);
    expect((await slave(agent.agentId))['reserved_resources']).toEqual({ ops: expect.objectContaining({ cpus: 1 }) as unknown });
  });
  it('rescinds offers holding the resources before reserving', async () => {
    const { agent, s } = await setup();
    const res = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, role: 'dev', reservation: {} }]);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: res })).status).toBe(202);
    await s.stream.next('RESCIND');
    expect(h.master.offers.size).toBe(0);
  });
  it('/create-volumes and /destroy-volumes', async () => {
    const agent = await FakeAgent.subscribe(h);
    const disk = JSON.stringify([reservedDisk(100)]);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: disk })).status).toBe(202);
    const vol = JSON.stringify([{ name: 'disk', type: 'SCALAR', scalar: { value: 50 }, role: 'dev', reservation: { principal: 'p' }, disk: { persistence: { id: 'v1', principal: 'p' }, volume: { container_path: 'data', mode: 'RW' } } }]);
    expect((await form('/create-volumes', { slaveId: agent.agentId })).body).toBe("Missing 'volumes' query parameter in the request body");
    expect((await form('/create-volumes', { slaveId: agent.agentId, volumes: vol })).status).toBe(202);
    const dup = await form('/create-volumes', { slaveId: agent.agentId, volumes: vol });
    expect(dup.status).toBe(400);
    expect(dup.body).toMatch(/already exists/);
    const full = (await slave(agent.agentId))['reserved_resources_full'] as Record<string, Res[]>;
    expect(full['dev']?.some((r) => r.disk !== undefined)).toBe(true);
    expect((await form('/master/destroy-volumes', { slaveId: agent.agentId, volumes: vol })).status).toBe(202);
    expect((await form('/destroy-volumes', { slaveId: agent.agentId, volumes: vol })).status).toBe(409);
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(3);
  });
});

describe('registry', () => {
  it('records the new total, so a restarted master knows the reservation before the agent re-registers', async () => {
    await h.close();
    const store = new MemoryStore();
    h = await startHarness({}, store);
    const agent = await FakeAgent.subscribe(h);
    const res = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'dev', reservation: {} }]);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: res })).status).toBe(202);
    await h.master.registry.drain();
    agent.stream.close();
    await h.close();
    h = await startHarness({}, store);
    const rec = h.master.agents.get(asAgentId(agent.agentId));
    expect(rec?.state).toBe('recovered');
    expect(rec?.total.reserved('dev').scalar('cpus')).toBe(1);
  });
});

describe('re-registration', () => {
  it("re-sends the master's total to an agent that missed a CHECKPOINT_RESOURCES", async () => {
    const agent = await FakeAgent.subscribe(h);
    const res = JSON.stringify([{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: 'dev', reservation: {} }]);
    expect((await form('/reserve', { slaveId: agent.agentId, resources: res })).status).toBe(202);
    agent.stream.close();
    // Same static resources, no checkpointed_resources: the agent lost the checkpoint.
    const again = await FakeAgent.subscribe(h, { agentId: agent.agentId });
    const ck = await again.stream.next('CHECKPOINT_RESOURCES');
    expect(JSON.stringify(ck)).toContain('"role":"dev"');
    expect(((await slave(agent.agentId))['reserved_resources'] as Record<string, { cpus: number }>)['dev']?.cpus).toBe(1);
  });
  it('takes the agent checkpoint for a new agent id', async () => {
    const checkpointed = [{ name: 'cpus', type: 'SCALAR', scalar: { value: 4 }, reservations: [{ type: 'DYNAMIC', role: 'dev' }] }];
    const agent = await FakeAgent.subscribe(h, { agentId: 'x-S7', checkpointed });
    expect(agent.stream.of('CHECKPOINT_RESOURCES')).toHaveLength(0);
    expect(((await slave('x-S7'))['reserved_resources'] as Record<string, { cpus: number }>)['dev']?.cpus).toBe(4);
  });
});
