// Acceptance (h): the mesos-framework (tobilg) compatibility checklist of spec §7, one test per point,
// against a real master and agent over raw HTTP.
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanup } from '../helpers/cleanup.js';
import {
  commandTask,
  delay,
  framingProblem,
  openFramework,
  rawRequest,
  startCluster,
  startMaster,
  subscribe,
  subscribeCall,
  waitFor,
  type Cluster,
  type Subscription,
} from '../helpers/index.js';

useCleanup({ perTest: false });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** SUBSCRIBE exactly as mesos-framework v0.5.3/v0.7.0 sends it: every unset field null, no Accept header. */
function mesosFrameworkSubscribe(name: string): Record<string, unknown> {
  return {
    framework_id: null,
    type: 'SUBSCRIBE',
    subscribe: {
      framework_info: {
        user: 'root', name, id: null, failover_timeout: 604800, checkpoint: null, role: '*', roles: [], hostname: null,
        principal: null, webui_url: null, capabilities: [], labels: null,
      },
      suppressed_roles: [],
    },
    accept: null, decline: null, accept_inverse_offers: null, decline_inverse_offers: null, revive: null, kill: null,
    shutdown: null, acknowledge: null, reconcile: null, message: null, request: null, suppress: null,
  };
}

function nullCall(fid: string, type: string, field: string, value: unknown): Record<string, unknown> {
  const call: Record<string, unknown> = {
    framework_id: { value: fid }, type, subscribe: null, accept: null, decline: null, accept_inverse_offers: null, decline_inverse_offers: null,
    revive: null, kill: null, shutdown: null, acknowledge: null, reconcile: null, message: null, request: null, suppress: null,
  };
  if (field !== '') call[field] = value;
  return call;
}

describe('acceptance (h): mesos-framework compatibility checklist (§7)', () => {
  let cluster: Cluster;
  let sub: Subscription;
  let agentId: string;

  beforeAll(async () => {
    cluster = await startCluster({ agents: 1 });
    agentId = cluster.agentIds[0] ?? '';
    sub = await openFramework(cluster.master.url, mesosFrameworkSubscribe('it-mesos-framework'), { autoAck: true });
  });

  it('SUBSCRIBE without an Accept header, with nulls and unknown keys, answers 200 application/json chunked', () => {
    expect(sub.status).toBe(200);
    expect(String(sub.headers['content-type'])).toMatch(/^application\/json/);
    expect(sub.headers['transfer-encoding']).toBe('chunked');
    expect(sub.headers['content-length']).toBeUndefined();
    expect(sub.events[0]?.type).toBe('SUBSCRIBED');
    expect(sub.frameworkId).not.toBe('');
  });

  it('carries a Mesos-Stream-Id header holding a UUID', () => {
    expect(sub.streamId).toMatch(UUID);
  });

  it('null fields and unknown keys are accepted in calls (ACCEPT with create_volume/destroy_volume, role: null)', async () => {
    const offer = await sub.takeOffer();
    const ip = offer.url?.address?.ip ?? '127.0.0.1';
    const task = {
      name: 'mf-task', task_id: { value: 'mf-1' }, agent_id: { value: offer.agent_id.value },
      resources: [
        { name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 }, role: null, reservations: [] },
        { name: 'mem', type: 'SCALAR', scalar: { value: 32 }, role: null, reservations: [] },
        { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31000 }] }, role: null, reservations: [] },
      ],
      command: { shell: true, value: 'sleep 1000', environment: { variables: [{ name: 'HOST', value: ip }, { name: 'PORT0', value: '31000' }] }, uris: [] },
      executor: null, container: null, health_check: null, labels: null, data: null, discovery: null, some_future_field: { x: 1 },
    };
    const body = nullCall(sub.frameworkId, 'ACCEPT', 'accept', {
      offer_ids: [{ value: offer.id.value }],
      operations: [{ type: 'LAUNCH', launch: { task_infos: [task] }, create_volume: null, destroy_volume: null, create_block: null, destroy_block: null, reserve: null, unreserve: null }],
      filters: null,
    });
    const res = await sub.call(body, { headerName: 'mesos-stream-id' });
    expect(res.status, res.body).toBe(202);
    const st = await sub.waitUpdate('mf-1', ['TASK_STARTING', 'TASK_RUNNING', 'TASK_ERROR', 'TASK_FAILED', 'TASK_LOST']);
    expect(st.state, st.message).toMatch(/TASK_STARTING|TASK_RUNNING/);
  });

  it('ACCEPT resources without allocation_info or role are accepted (the master injects the offer role)', async () => {
    const offer = await sub.takeOffer();
    const res = await sub.accept([offer.id.value], [commandTask({ id: 'no-role', agentId: offer.agent_id.value, shell: 'sleep 1000' })]);
    expect(res.status).toBe(202);
    const st = await sub.waitUpdate('no-role', ['TASK_RUNNING', 'TASK_ERROR', 'TASK_FAILED', 'TASK_LOST', 'TASK_DROPPED']);
    expect(st.state, st.message).toBe('TASK_RUNNING');
  });

  it('UPDATE events carry status.agent_id (and a uuid to ack, executor_id, string state)', async () => {
    const updates = sub.updates('no-role');
    expect(updates.length).toBeGreaterThan(0);
    for (const s of updates) {
      expect(s.agent_id?.value).toBe(agentId);
      expect(typeof s.state).toBe('string');
      expect(s.uuid).toBeDefined();
      expect(s.executor_id?.value).toBe('no-role');
    }
  });

  it('offers carry url.address.ip, hostname, agent_id and string enum resource types (no allocation_info for single-role)', () => {
    expect(sub.offers.length).toBeGreaterThan(0);
    for (const o of sub.offers) {
      expect(o.agent_id.value).toBe(agentId);
      expect(typeof o.hostname).toBe('string');
      expect(o.hostname).not.toBe('');
      expect(o.url?.address?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(typeof o.url?.address?.port).toBe('number');
      expect(o.allocation_info).toBeUndefined();
      for (const r of o.resources) {
        expect(['SCALAR', 'RANGES', 'SET']).toContain(r.type);
        expect(r.role).toBe('*');
        expect(r.allocation_info).toBeUndefined();
      }
      const ports = o.resources.find((r) => r.name === 'ports');
      if (ports !== undefined) expect(ports.ranges?.range[0]?.begin).toBeTypeOf('number');
      expect(o.resources.find((r) => r.name === 'cpus')?.scalar?.value).toBeTypeOf('number');
    }
  });

  it('accepts the lower-case mesos-stream-id header; missing or stale stream ids get 400', async () => {
    const ok = await sub.call(nullCall(sub.frameworkId, 'REVIVE', '', null), { headerName: 'mesos-stream-id' });
    expect(ok.status).toBe(202);
    const missing = await rawRequest(`${cluster.master.url}/api/v1/scheduler`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(nullCall(sub.frameworkId, 'REVIVE', '', null)),
    });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatch(/Mesos-Stream-Id/i);
    const stale = await rawRequest(`${cluster.master.url}/api/v1/scheduler`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'mesos-stream-id': '00000000-0000-4000-8000-000000000000' },
      body: JSON.stringify(nullCall(sub.frameworkId, 'REVIVE', '', null)),
    });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatch(/stream ID/i);
  });

  it('answers every non-SUBSCRIBE call with exactly 202 and an empty body', async () => {
    const fid = sub.frameworkId;
    const running = sub.updates('no-role')[0];
    const calls: Array<[string, Record<string, unknown>]> = [
      ['DECLINE', nullCall(fid, 'DECLINE', 'decline', { offer_ids: [{ value: 'no-such-offer' }], filters: null })],
      ['REVIVE', nullCall(fid, 'REVIVE', '', null)],
      ['SUPPRESS', nullCall(fid, 'SUPPRESS', 'suppress', { roles: ['*'] })],
      ['REVIVE(roles)', nullCall(fid, 'REVIVE', 'revive', { roles: ['*'] })],
      ['RECONCILE explicit', nullCall(fid, 'RECONCILE', 'reconcile', { tasks: [{ task_id: { value: 'no-role' }, agent_id: { value: agentId } }] })],
      ['RECONCILE implicit', nullCall(fid, 'RECONCILE', 'reconcile', { tasks: [] })],
      ['ACKNOWLEDGE', nullCall(fid, 'ACKNOWLEDGE', 'acknowledge', { agent_id: running?.agent_id, task_id: running?.task_id, uuid: running?.uuid })],
      ['KILL unknown', nullCall(fid, 'KILL', 'kill', { task_id: { value: 'no-such-task' }, agent_id: { value: agentId }, kill_policy: null })],
      ['MESSAGE', nullCall(fid, 'MESSAGE', 'message', { agent_id: { value: agentId }, executor_id: { value: 'no-such-executor' }, data: 'aGVsbG8=' })],
      ['REQUEST', nullCall(fid, 'REQUEST', 'request', { requests: [] })],
      ['SHUTDOWN', nullCall(fid, 'SHUTDOWN', 'shutdown', { executor_id: { value: 'no-such-executor' }, agent_id: { value: agentId } })],
      ['KILL', nullCall(fid, 'KILL', 'kill', { task_id: { value: 'mf-1' }, agent_id: { value: agentId }, kill_policy: null })],
    ];
    const got: Record<string, string> = {};
    for (const [label, body] of calls) {
      const r = await sub.call(body, { headerName: 'mesos-stream-id' });
      got[label] = `${r.status}${r.body === '' ? '' : ` ${r.body.slice(0, 100)}`}`;
    }
    expect(got).toEqual(Object.fromEntries(calls.map(([label]) => [label, '202'])));
    const reconciled = await sub.waitEvent((e) => e.type === 'UPDATE' && e.update?.status.reason === 'REASON_RECONCILIATION', { what: 'reconciliation answer' });
    expect(reconciled.update?.status.uuid).toBeUndefined();
  });

  it('emits one whole RecordIO record per HTTP chunk, compact ASCII JSON', async () => {
    await waitFor(() => sub.chunks.length >= 5, { what: 'at least 5 chunks' });
    const problems = sub.chunks.map((c) => framingProblem(c.bytes)).filter((p) => p !== undefined);
    expect(problems).toEqual([]);
    expect(sub.framingErrors).toEqual([]);
    expect(sub.decodeErrors).toEqual([]);
    expect(sub.chunks.length).toBe(sub.events.length);
  });

  it('sends an event at least every < 10 s with the configured heartbeat, advertised in SUBSCRIBED', async () => {
    const advertised = sub.events[0]?.subscribed?.heartbeat_interval_seconds;
    expect(advertised).toBe(1);
    const from = sub.eventTimes.length;
    await delay(3500);
    const times = [sub.eventTimes[from - 1] ?? 0, ...sub.eventTimes.slice(from)];
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    expect(gaps.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...gaps)).toBeLessThan(2500);
    expect(sub.events.slice(from).some((e) => e.type === 'HEARTBEAT')).toBe(true);
  });

  it('sends an event at least every < 10 s with default master flags (a mesos-framework client times out at 10 s)', async () => {
    const master = await startMaster();
    const idle = await subscribe(master.url, subscribeCall({ name: 'it-idle' }));
    expect(idle.status).toBe(200);
    const t0 = Date.now();
    await delay(11_000);
    const times = [t0, ...idle.eventTimes, Date.now()];
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    idle.close();
    expect(Math.max(...gaps), `event types: ${idle.summary()}`).toBeLessThan(10_000);
  }, 30_000);

  it('redirects with a protocol-relative Location //host:port (307)', async () => {
    for (const path of ['/master/redirect', '/redirect']) {
      const r = await rawRequest(`${cluster.master.url}${path}`);
      expect(r.status, path).toBe(307);
      expect(String(r.headers.location), path).toMatch(/^\/\/[^/:]+:\d+$/);
      expect(String(r.headers.location)).toContain(`:${cluster.master.port}`);
    }
  });
});
