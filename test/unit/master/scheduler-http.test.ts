import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAgent, Scheduler, StreamClient, frameworkInfo, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function inject(opts: { method?: string; url?: string; headers?: Record<string, string>; body?: string }) {
  const res = await h.app.inject({
    method: (opts.method ?? 'POST') as 'POST',
    url: opts.url ?? '/api/v1/scheduler',
    headers: opts.headers ?? { 'content-type': 'application/json' },
    ...(opts.body !== undefined ? { payload: opts.body } : {}),
  });
  return { status: res.statusCode, body: res.body, headers: res.headers };
}

describe('scheduler endpoint status codes (spec §1.5 order)', () => {
  it('405 with Allow for non-POST', async () => {
    const r = await inject({ method: 'GET' });
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('POST');
  });
  it('400 when Content-Type is missing, 415 when it is not JSON', async () => {
    expect((await inject({ headers: {}, body: '{}' })).body).toBe("Expecting 'Content-Type' to be present");
    expect((await inject({ headers: {}, body: '{}' })).status).toBe(400);
    expect((await inject({ headers: { 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
  });
  it('400 on malformed JSON and on wrong types, naming the problem', async () => {
    const a = await inject({ body: '{"type":' });
    expect(a.status).toBe(400);
    expect(a.body).toMatch(/^Failed to parse body into JSON/);
    const b = await inject({ body: '{"type":"KILL","framework_id":{"value":"x"},"kill":{"task_id":{"value":5}}}' });
    expect(b.status).toBe(400);
    expect(b.body).toMatch(/^Failed to convert JSON into Call protobuf/);
  });
  it('400 validation errors: missing type, unknown type string, missing sub-message, bad uuid', async () => {
    expect((await inject({ body: '{}' })).body).toBe("Failed to validate scheduler::Call: Expecting 'type' to be present");
    expect((await inject({ body: '{"type":"NOPE"}' })).body).toBe("Failed to validate scheduler::Call: Expecting 'type' to be present");
    expect((await inject({ body: '{"type":"KILL"}' })).body).toBe("Failed to validate scheduler::Call: Expecting 'framework_id' to be present");
    expect((await inject({ body: '{"type":"ACCEPT","framework_id":{"value":"f"}}' })).body).toBe(
      "Failed to validate scheduler::Call: Expecting 'accept' to be present",
    );
    const ack = await inject({
      body: JSON.stringify({ type: 'ACKNOWLEDGE', framework_id: { value: 'f' }, acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'AAAA' } }),
    });
    expect(ack.status).toBe(400);
    expect(ack.body).toMatch(/16 bytes/);
    const sub = await inject({ body: JSON.stringify({ type: 'SUBSCRIBE', framework_id: { value: 'x' }, subscribe: { framework_info: frameworkInfo() } }) });
    expect(sub.body).toBe("Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'");
  });
  it('406 for SUBSCRIBE without an acceptable Accept, 400 for SUBSCRIBE with a stream id', async () => {
    const body = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo() } });
    expect((await inject({ headers: { 'content-type': 'application/json', accept: 'application/x-protobuf' }, body })).status).toBe(406);
    const r = await inject({ headers: { 'content-type': 'application/json', 'Mesos-Stream-Id': 'abc' }, body });
    expect(r.status).toBe(400);
    expect(r.body).toBe("Subscribe calls should not include the 'Mesos-Stream-Id' header");
  });
  it('400 unknown framework, then 403 not subscribed, then stream-id rules, 501 UNKNOWN, 202 otherwise', async () => {
    const unknown = await inject({ body: JSON.stringify({ type: 'REVIVE', framework_id: { value: 'nope' } }) });
    expect(unknown).toMatchObject({ status: 400, body: 'Framework cannot be found' });
    const s = await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 100 }));
    const call = (headers: Record<string, string>, type = 'REVIVE') =>
      inject({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ type, framework_id: { value: s.frameworkId } }) });
    expect((await call({})).body).toBe("All non-subscribe calls should include the 'Mesos-Stream-Id' header");
    const stale = await call({ 'MESOS-STREAM-ID': 'stale' });
    expect(stale.status).toBe(400);
    expect(stale.body).toContain("The stream ID 'stale' included in this request didn't match");
    expect((await call({ 'mesos-stream-id': s.stream.streamId }, 'UNKNOWN')).status).toBe(501);
    const ok = await call({ 'Mesos-Stream-Id': s.stream.streamId });
    expect(ok.status).toBe(202);
    expect(ok.body).toBe('');
    s.stream.close();
    await waitFor(() => !h.master.frameworks.get(s.frameworkId as never)?.connected, 'disconnect');
    expect((await call({ 'mesos-stream-id': s.stream.streamId })).status).toBe(403);
  });
  it('accepts mesos-framework style bodies: nulls everywhere, no Accept header', async () => {
    const body = {
      framework_id: null,
      type: 'SUBSCRIBE',
      subscribe: {
        framework_info: { user: 'root', name: 'mf', id: null, failover_timeout: 604800, checkpoint: null, role: '*', roles: [], hostname: null, principal: null, webui_url: null, capabilities: [], labels: null },
        suppressed_roles: [],
      },
      accept: null,
      decline: null,
    };
    const c = await StreamClient.open(`${h.url}/api/v1/scheduler`, body);
    expect(c.status).toBe(200);
    await c.next('HEARTBEAT');
    c.close();
  });
  it('413 for oversize bodies', async () => {
    await h.close();
    h = await startHarness({ max_body_size: '100' });
    const r = await inject({ body: JSON.stringify({ type: 'SUBSCRIBE', pad: 'x'.repeat(200) }) });
    expect(r.status).toBe(413);
  });
});

describe('SUBSCRIBE stream', () => {
  it('answers 200 + UUID Mesos-Stream-Id, SUBSCRIBED then HEARTBEAT, one record per chunk, then heartbeats', async () => {
    const c = await StreamClient.open(`${h.url}/api/v1/scheduler`, { type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo() } });
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toMatch(/^application\/json/);
    expect(c.streamId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await c.next('HEARTBEAT');
    expect(c.events[0]?.type).toBe('SUBSCRIBED');
    expect(c.events[1]?.type).toBe('HEARTBEAT');
    const sub = c.events[0]?.['subscribed'] as { framework_id: { value: string }; heartbeat_interval_seconds: number; master_info: Record<string, unknown> };
    expect(sub.framework_id.value).toBe(`${h.master.masterId}-0000`);
    expect(sub.heartbeat_interval_seconds).toBe(5);
    expect(sub.master_info).toMatchObject({ id: h.master.masterId, ip: 16777343, port: 5050, pid: 'master@127.0.0.1:5050', hostname: '127.0.0.1', version: '1.12.0' });
    await h.clock.advance(5000);
    await c.next('HEARTBEAT', 2);
    c.close();
  });
  it('writes each record as exactly one HTTP chunk (raw socket)', async () => {
    const { connect } = await import('node:net');
    const body = JSON.stringify({ type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo({ name: 'caf\u00e9' }) } });
    const url = new URL(h.url);
    const sock = connect(Number(url.port), url.hostname);
    let raw = '';
    sock.on('data', (d: Buffer) => (raw += d.toString('latin1')));
    sock.write(`POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const parse = (): string[] => {
      const start = raw.indexOf('\r\n\r\n');
      if (start < 0) return [];
      const out: string[] = [];
      let rest = raw.slice(start + 4);
      for (;;) {
        const crlf = rest.indexOf('\r\n');
        if (crlf < 0) break;
        const size = parseInt(rest.slice(0, crlf), 16);
        if (rest.length < crlf + 2 + size + 2) break;
        out.push(rest.slice(crlf + 2, crlf + 2 + size));
        rest = rest.slice(crlf + 2 + size + 2);
      }
      return out;
    };
    await waitFor(() => parse().length >= 2, 'two chunks');
    await h.clock.advance(5000);
    const chunks = await waitFor(() => (parse().length >= 3 ? parse() : undefined), 'three chunks');
    sock.destroy();
    for (const chunk of chunks) {
      const nl = chunk.indexOf('\n');
      expect(Number(chunk.slice(0, nl))).toBe(chunk.length - nl - 1);
      expect(chunk.slice(nl + 1)).not.toContain('\n');
      expect(() => JSON.parse(chunk.slice(nl + 1)) as unknown).not.toThrow();
    }
    expect(chunks.map((c) => (JSON.parse(c.slice(c.indexOf('\n') + 1)) as { type: string }).type)).toEqual(['SUBSCRIBED', 'HEARTBEAT', 'HEARTBEAT']);
  });
  it('rejects invalid roles with an ERROR event and closes the stream', async () => {
    const c = await StreamClient.open(`${h.url}/api/v1/scheduler`, {
      type: 'SUBSCRIBE',
      subscribe: { framework_info: frameworkInfo({ roles: ['a'] }) },
    });
    const err = await c.next('ERROR');
    expect((err['error'] as { message: string }).message).toBe("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable");
    await waitFor(() => c.ended, 'stream end');
  });
  it('failover: the old stream gets ERROR "Framework failed over"; outstanding offers are discarded', async () => {
    await FakeAgent.subscribe(h);
    const s1 = await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 60 }));
    await h.clock.advance(1000);
    await waitFor(() => s1.offers().length > 0, 'offer');
    const info = frameworkInfo({ failover_timeout: 60, id: { value: s1.frameworkId } });
    const s2 = await Scheduler.subscribe(h, info);
    expect(s2.frameworkId).toBe(s1.frameworkId);
    const err = await s1.stream.next('ERROR');
    expect((err['error'] as { message: string }).message).toBe('Framework failed over');
    expect(s1.stream.of('RESCIND')).toHaveLength(0);
    expect(h.master.offers.size).toBe(0);
    await h.clock.advance(1000);
    await waitFor(() => s2.offers().length > 0, 'offer after failover');
    s2.stream.close();
  });
  it('removes a framework when failover_timeout expires, then refuses its id', async () => {
    const s = await Scheduler.subscribe(h, frameworkInfo({ failover_timeout: 10 }));
    s.stream.close();
    await waitFor(() => h.master.frameworks.get(s.frameworkId as never)?.connected === false, 'disconnect');
    await h.clock.advance(9000);
    expect(h.master.frameworks.has(s.frameworkId as never)).toBe(true);
    await h.clock.advance(1500);
    expect(h.master.frameworks.has(s.frameworkId as never)).toBe(false);
    expect(h.master.completedFrameworks.map((f) => f.id)).toContain(s.frameworkId);
    const c = await StreamClient.open(`${h.url}/api/v1/scheduler`, {
      type: 'SUBSCRIBE',
      framework_id: { value: s.frameworkId },
      subscribe: { framework_info: frameworkInfo({ id: { value: s.frameworkId } }) },
    });
    const err = await c.next('ERROR');
    expect((err['error'] as { message: string }).message).toBe('Framework has been removed');
  });
  it('failover_timeout 0 removes the framework as soon as the connection drops', async () => {
    const s = await Scheduler.subscribe(h);
    s.stream.close();
    await waitFor(() => !h.master.frameworks.has(s.frameworkId as never), 'removal');
  });
  it('UPDATE_FRAMEWORK answers 200, and 400 when the user changes', async () => {
    const s = await Scheduler.subscribe(h);
    const ok = await s.call('UPDATE_FRAMEWORK', { update_framework: { framework_info: frameworkInfo({ id: { value: s.frameworkId }, name: 'renamed' }) } });
    expect(ok.status).toBe(200);
    expect(h.master.frameworks.get(s.frameworkId as never)?.info.name).toBe('renamed');
    const bad = await s.call('UPDATE_FRAMEWORK', { update_framework: { framework_info: frameworkInfo({ id: { value: s.frameworkId }, user: 'bob' }) } });
    expect(bad).toEqual({ status: 400, body: "Updating 'FrameworkInfo.user' is unsupported" });
    s.stream.close();
  });
});
